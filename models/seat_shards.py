"""Where an event's seats are taken when its counter is split across N items
(docs/SCALING.md): pure decisions the DynamoDB store calls and the simulation in
`bench/shard_simulation.py` runs. No I/O.

A shard holds a share of the event's free seats (`free`) and, for each ticket type with
a capacity of its own, a share of that type's free seats. A hold takes from one shard
(conditioned on `free >= q` there), so N shards take N times one item's write rate; a
registration's seats come from one shard unless no single shard has room for them while
all shards together do (the last seats of a sale), when one transaction takes from
several."""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# TransactWriteItems takes at most 100 items; a hold also writes the registration, its
# tickets, the account's and the code's counters, so shards stay well below that.
MOST_SHARDS = 32
# Sharded holds never read the event item that carries the seats waited for.
WAITING_REFUSAL = "People are on the waiting list: shard the event when no one waits."


@dataclass(frozen=True)
class ShardFree:
    """What a shard has left: the event's seats, and each capacity type's (by id)."""

    free: int
    types: Mapping[str, int] = field(default_factory=dict)


def spread(total: int, n: int) -> list[int]:
    """`total` seats split over `n` shards as evenly as whole seats allow."""
    base, extra = divmod(total, n)
    return [base + (1 if k < extra else 0) for k in range(n)]


def probe_order(n: int, start: int) -> list[int]:
    """The shards a hold tries, beginning at `start` (picked at random by the caller, so
    concurrent buyers spread over the shards) and going round."""
    return [(start + k) % n for k in range(n)]


def shard_of(key: str, n: int) -> int:
    """The shard a registration gives its seats back to: any shard would do (only the
    sum of the shards' counters means anything), a stable one spreads the returns."""
    return zlib.crc32(key.encode()) % n


def plan_take(frees: Sequence[int], q: int, start: int) -> dict[int, int] | None:
    """How many seats to take from which shard for `q` seats (event counter only)."""
    plan = plan_items([ShardFree(free) for free in frees], {"": q}, start, typed=frozenset())
    return None if plan is None else {k: sum(seats.values()) for k, seats in plan.items()}


def plan_items(
    shards: Sequence[ShardFree],
    wanted: Mapping[str, int],
    start: int,
    typed: frozenset[str],
) -> dict[int, dict[str, int]] | None:
    """Seats by type to take from each shard, or None when all shards together cannot
    give them. `wanted` is seats by ticket type; `typed` names the types with a capacity
    of their own (their share in each shard bounds them too).

    One shard is used when one has room for everything, the first such in probe order
    from `start`; otherwise the seats are gathered from the shards with most room first,
    so the fewest shards are involved."""
    n = len(shards)

    def room(shard: ShardFree, type_id: str, free: int) -> int:
        return min(free, shard.types.get(type_id, 0)) if type_id in typed else free

    total = sum(wanted.values())
    for k in probe_order(n, start):
        shard = shards[k]
        if shard.free >= total and all(
            room(shard, type_id, q) >= q for type_id, q in wanted.items()
        ):
            return {k: dict(wanted)}
    plan: dict[int, dict[str, int]] = {}
    free = [shard.free for shard in shards]
    type_free = [dict(shard.types) for shard in shards]
    by_room = sorted(range(n), key=lambda k: (-free[k], k))
    for type_id, q in wanted.items():
        left = q
        for k in by_room:
            if left == 0:
                break
            can = min(left, free[k])
            if type_id in typed:
                can = min(can, type_free[k].get(type_id, 0))
            if can <= 0:
                continue
            plan.setdefault(k, {})
            plan[k][type_id] = plan[k].get(type_id, 0) + can
            free[k] -= can
            if type_id in typed:
                type_free[k][type_id] -= can
            left -= can
        if left:
            return None
    return plan


def capacity_moves(frees: Sequence[int], delta: int) -> list[int] | None:
    """What each shard's `free` moves by when the capacity moves by `delta` (one
    transaction, each shard conditioned on the `free` it is read with): a rise is spread
    evenly, a cut is taken from the shards with most room first. None when the shards
    have fewer free seats than the cut (the capacity would fall below the seats taken)."""
    n = len(frees)
    if delta >= 0:
        return spread(delta, n)
    if sum(frees) < -delta:
        return None
    moves = [0] * n
    left = -delta
    for k in sorted(range(n), key=lambda k: (-frees[k], k)):
        cut = min(left, frees[k])
        moves[k] = -cut
        left -= cut
    return moves
