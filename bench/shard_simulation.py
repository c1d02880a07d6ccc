"""The sharded hold algorithm of docs/SCALING.md against N in-memory counter items, each
with DynamoDB's per-item write limit, printing sustained holds/s and oversells.

    .venv/bin/python bench/shard_simulation.py [--capacity 50000] [--shards 1 4 16]
        [--buyers 3000] [--write-limit 1000] [--latency-ms 8] [--cancel-rate 0.02]
        [--seed 1]

A discrete-event simulation (simulated time, so the figures do not depend on this
machine's load). Each buyer loops: ask for 1 to 4 seats; write the conditional take on
a random shard (`free >= q`); on a failed condition probe the next shard; when every
shard refused, read them all (what BatchGetItem does) and either answer sold out (the
sum of `free` is 0), take across several shards in one transaction (the sum fits but no
single shard does), or ask again for what is left. Every write (a taken seat, a failed
condition, a seat given back) spends a token of its item's bucket; a write finding the
bucket empty is throttled, as DynamoDB answers ProvisionedThroughputExceeded, and the
buyer backs off like the AWS SDK (full jitter, doubling from 25 ms, capped at 1 s).
A share of the holds run out a while later and give their seats back to a shard picked
by the registration id, so the end state also shows cancellations returning seats.

"Sustained" holds/s (and seats/s; a hold is 2.5 seats on average) is the rate over the
time until 90 % of the seats were taken (the tail, where the last seats are hunted across
shards, is printed separately as the time to sell out). "Oversold" counts every moment a
shard's `free` went below 0 plus any excess of the seats taken over the capacity at the
end; it must be 0.
"""

from __future__ import annotations

import argparse
import heapq
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from models.seat_shards import plan_take, probe_order, shard_of, spread


@dataclass
class Bucket:
    """A token bucket: `rate` tokens a second, at most `burst` saved up."""

    rate: float
    burst: float
    tokens: float = 0.0
    at: float = 0.0

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class Shard:
    free: int
    bucket: Bucket
    taken: int = 0


@dataclass
class Buyer:
    want: int = 0
    order: list[int] = field(default_factory=list)
    throttled: int = 0


@dataclass
class Result:
    shards: int
    sustained: float
    seats_per_second: float
    sold_out_at: float
    holds: int
    seats_taken: int
    given_back: int
    throttled: int
    failed_conditions: int
    multi_shard: int
    oversold: int


def simulate(
    *,
    capacity: int,
    shards: int,
    buyers: int,
    write_limit: float,
    latency: float,
    cancel_rate: float,
    seed: int,
) -> Result:
    rng = random.Random(seed)
    items = [
        Shard(free, Bucket(write_limit, write_limit / 10)) for free in spread(capacity, shards)
    ]
    queue: list[tuple[float, int, int, str]] = []  # (time, tiebreak, buyer, what)
    tick = 0

    def at(time: float, who: int, what: str) -> None:
        nonlocal tick
        tick += 1
        heapq.heappush(queue, (time, tick, who, what))

    people = [Buyer() for _ in range(buyers)]
    for who in range(buyers):
        at(rng.random() * latency, who, "new")
    returns: list[tuple[float, int, int]] = []  # (time, registration number, seats)
    holds = given_back = throttled = failed = multi = oversold = 0
    ninety_at: float | None = None
    holds_at_ninety = 0
    sold_out_at = 0.0
    finished: set[int] = set()
    now = 0.0

    def backoff(buyer: Buyer) -> float:
        buyer.throttled += 1
        return rng.uniform(0, min(1.0, 0.025 * 2 ** min(buyer.throttled, 6)))

    def taken() -> int:
        return sum(item.taken for item in items)

    while queue:
        now, _, who, what = heapq.heappop(queue)
        if ninety_at is None and taken() >= 0.9 * capacity:
            ninety_at = now
            holds_at_ninety = holds
        while returns and returns[0][0] <= now:
            _, number, seats = heapq.heappop(returns)
            item = items[shard_of(str(number), shards)]
            # A give-back is a write too; a throttled one is retried by the sweeper.
            if item.bucket.take(now):
                item.free += seats
                item.taken -= seats
                given_back += seats
            else:
                heapq.heappush(returns, (now + 0.05, number, seats))
        buyer = people[who]
        if what == "new":
            if who in finished:
                continue
            buyer.want = rng.randint(1, 4)
            buyer.order = probe_order(shards, rng.randrange(shards))
            buyer.throttled = 0
            what = "try"
        if what == "try":
            if buyer.order:
                item = items[buyer.order[0]]
                if not item.bucket.take(now):
                    throttled += 1
                    at(now + latency + backoff(buyer), who, "try")
                    continue
                if item.free >= buyer.want:  # the condition `free >= :q`
                    item.free -= buyer.want
                    item.taken += buyer.want
                    oversold += item.free < 0
                    holds += 1
                    if rng.random() < cancel_rate:
                        heapq.heappush(returns, (now + 0.5, holds, buyer.want))
                    at(now + latency, who, "new")
                else:
                    failed += 1
                    buyer.order.pop(0)
                    at(now + latency, who, "try")
                continue
            # Every shard refused: read them all, as BatchGetItem would.
            frees = [item.free for item in items]
            if sum(frees) == 0:
                sold_out_at = sold_out_at or now
                if not returns:
                    finished.add(who)  # sold out, and nothing will come back
                else:
                    at(now + latency + 0.2, who, "new")  # a buyer refreshing the page
                continue
            plan = plan_take(frees, buyer.want, rng.randrange(shards))
            if plan is None:
                buyer.want = sum(frees)  # "only n seats left": ask for those
                buyer.order = probe_order(shards, rng.randrange(shards))
                at(now + latency, who, "try")
                continue
            if not all(items[k].bucket.take(now) for k in plan):
                throttled += 1
                at(now + latency + backoff(buyer), who, "read")
                continue
            if all(items[k].free >= q for k, q in plan.items()):
                for k, q in plan.items():
                    items[k].free -= q
                    items[k].taken += q
                holds += 1
                multi += 1
                at(now + latency, who, "new")
            else:
                failed += 1
                at(now + latency, who, "read")
        elif what == "read":
            buyer.order = []
            at(now, who, "try")
    end = taken()
    oversold += max(0, end - capacity)
    assert ninety_at is not None
    return Result(
        shards=shards,
        sustained=holds_at_ninety / ninety_at,
        seats_per_second=0.9 * capacity / ninety_at,
        sold_out_at=sold_out_at,
        holds=holds,
        seats_taken=end,
        given_back=given_back,
        throttled=throttled,
        failed_conditions=failed,
        multi_shard=multi,
        oversold=oversold,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--capacity", type=int, default=50_000)
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--buyers", type=int, default=3000)
    parser.add_argument("--write-limit", type=float, default=1000.0)
    parser.add_argument("--latency-ms", type=float, default=8.0)
    parser.add_argument("--cancel-rate", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(
        f"capacity {args.capacity}, {args.buyers} buyers, {args.write_limit:.0f} writes/s"
        f" per item, {args.latency_ms} ms a request, {args.cancel_rate:.0%} of holds run out"
    )
    print(
        f"{'shards':>6} {'holds/s':>9} {'seats/s':>9} {'sold out':>9} {'holds':>7} {'taken':>7}"
        f" {'back':>5} {'throttled':>10} {'cond. failed':>12} {'multi':>6} {'oversold':>8}"
    )
    for n in args.shards:
        r = simulate(
            capacity=args.capacity,
            shards=n,
            buyers=args.buyers,
            write_limit=args.write_limit,
            latency=args.latency_ms / 1000,
            cancel_rate=args.cancel_rate,
            seed=args.seed,
        )
        print(
            f"{r.shards:>6} {r.sustained:>9,.0f} {r.seats_per_second:>9,.0f}"
            f" {r.sold_out_at:>8.1f}s {r.holds:>7} {r.seats_taken:>7} {r.given_back:>5}"
            f" {r.throttled:>10} {r.failed_conditions:>12} {r.multi_shard:>6} {r.oversold:>8}"
        )


if __name__ == "__main__":
    main()
