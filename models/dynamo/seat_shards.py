"""An event's seats on N counter items (docs/SCALING.md), on DynamoDB.

An event item with `seat_shards = N > 1` has N items `seats#<event id>#<k>` holding a
share of its free seats (`seats_free`, and `t_free_<type id>` per type) and what changed on
that shard since the switch (`held`, `confirmed`, `registrations`, `revenue`, and per
type `t_held_<id>`, `t_confirmed_<id>`, `t_revenue_<id>`). The event and type items keep
their counters as at the switch; the truth is those plus the shards' sums. A hold
writes one shard conditioned on `seats_free >= q`, never the event item, so N shards take N
times one item's write rate. With N = 1 (the default) none of this runs: the callers in
seats.py, registrations.py, payments.py and events.py dispatch here only for N > 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from models.domain import Event, TicketType
from models.dynamo.codec import Item, iso
from models.dynamo.promo_codes import DynamoPromoUses
from models.errors import CapacityBelowSold
from models.seat_rules import HoldRead, SeatChange
from models.seat_shards import (
    capacity_moves,
    shard_of,
    spread,
)

COUNTERS = ("held", "confirmed", "registrations", "revenue")
TYPE_COUNTERS = ("held", "confirmed", "revenue")


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def s(value: str) -> dict[str, str]:
    return {"S": value}


def shard_count(item: Item) -> int:
    """The shards an event item says its seats are on (1: on the item itself)."""
    return int(item.get("seat_shards", {"N": "1"})["N"])


def _int(item: Item, name: str) -> int:
    return int(item[name]["N"]) if name in item else 0


def _type_sums(shards: Sequence[Item], type_ids: Iterable[str]) -> dict[str, dict[str, int]]:
    return {
        tid: {c: sum(_int(x, f"t_{c}_{tid}") for x in shards) for c in (*TYPE_COUNTERS, "free")}
        for tid in type_ids
    }


def _zeroed(event: Event, types: Mapping[str, TicketType]) -> HoldRead:
    """Counters that refuse nothing for want of seats: on a sharded event only the
    shards' conditions decide seats (the first pass of a hold)."""
    return HoldRead(
        event=replace(event, seats_held=0, seats_confirmed=0),
        types={k: replace(t, seats_held=0, seats_confirmed=0) for k, t in types.items()},
    )


class DynamoShardCounters(DynamoPromoUses):
    """Reading the shards and writing them alone (DynamoSeats calls these)."""

    def _shard_key(self, event_id: str, k: int) -> dict[str, Any]:
        return {"TableName": self.t("events"), "Key": {"id": s(f"seats#{event_id}#{k}")}}

    async def shard_items(self, event_id: str, count: int) -> list[Item]:
        """The event's N shard items in order (one strongly consistent BatchGetItem)."""
        keys = [{"id": s(f"seats#{event_id}#{k}")} for k in range(count)]
        found: dict[str, Item] = {}
        while keys:
            response = await self.client.batch_get_item(
                RequestItems={self.t("events"): {"Keys": keys, "ConsistentRead": True}}
            )
            for got in response.get("Responses", {}).get(self.t("events"), ()):
                found[got["id"]["S"]] = got
            keys = list(
                response.get("UnprocessedKeys", {}).get(self.t("events"), {}).get("Keys", ())
            )
        return [found.get(f"seats#{event_id}#{k}", {}) for k in range(count)]

    # -- reading the true counters ----------------------------------------------------

    def with_shard_sums(self, item: Item, shards: Sequence[Item]) -> Item:
        """The event item with the shards' changes added to its counters, the earliest
        hold hint of all, and the per-type sums kept for `types_with_sums`."""
        merged = dict(item)
        sums = {c: sum(_int(x, c) for x in shards) for c in COUNTERS}
        merged["seats_held"] = n(_int(item, "seats_held") + sums["held"])
        merged["seats_confirmed"] = n(_int(item, "seats_confirmed") + sums["confirmed"])
        merged["seats_taken"] = n(_int(merged, "seats_held") + _int(merged, "seats_confirmed"))
        merged["registrations"] = n(_int(item, "registrations") + sums["registrations"])
        merged["revenue"] = n(_int(item, "revenue") + sums["revenue"])
        hints = [x["holds_expire_next"]["S"] for x in shards if "holds_expire_next" in x]
        if "holds_expire_next" in item:
            hints.append(item["holds_expire_next"]["S"])
        if hints:
            merged["holds_expire_next"] = s(min(hints))
        ids = [value["S"] for value in item.get("ticket_type_ids", {"L": []})["L"]]
        merged["_type_sums"] = _type_sums(shards, ids)
        return merged

    async def sharded_totals(self, item: Item) -> Item:
        return self.with_shard_sums(
            item, await self.shard_items(item["id"]["S"], shard_count(item))
        )

    @staticmethod
    def types_with_sums(item: Item, types: list[TicketType]) -> list[TicketType]:
        sums: dict[str, dict[str, int]] = item.get("_type_sums", {})
        return [
            replace(
                kind,
                seats_held=kind.seats_held + sums[kind.id]["held"],
                seats_confirmed=kind.seats_confirmed + sums[kind.id]["confirmed"],
                revenue=kind.revenue + sums[kind.id]["revenue"],
                in_use=kind.in_use or sums[kind.id]["held"] + sums[kind.id]["confirmed"] != 0,
            )
            if kind.id in sums
            else kind
            for kind in types
        ]

    # -- the writes ---------------------------------------------------------------------

    def shard_write(
        self,
        event_id: str,
        k: int,
        change: SeatChange,
        *,
        typed: frozenset[str] = frozenset(),
        expires: datetime | None = None,
    ) -> dict[str, Any]:
        """Shard k moved by `change`: `seats_free` (and each type's) by -taken, conditioned on
        room when it takes seats (a type's own share only when it has a capacity)."""
        terms: dict[str, int] = {
            "held": change.held,
            "confirmed": change.confirmed,
            "registrations": change.registrations,
            "revenue": change.revenue,
            "seats_free": -change.taken,
        }
        for t in change.types:
            terms.update(
                {
                    f"t_held_{t.ticket_type_id}": t.held,
                    f"t_confirmed_{t.ticket_type_id}": t.confirmed,
                    f"t_revenue_{t.ticket_type_id}": t.revenue,
                    f"t_free_{t.ticket_type_id}": -t.taken,
                }
            )
        moving = [name for name, value in terms.items() if value]
        names = {f"#a{i}": name for i, name in enumerate(moving)}
        values: dict[str, Any] = {f":a{i}": n(terms[name]) for i, name in enumerate(moving)}
        expression = "ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(moving)))
        conditions = ["attribute_exists(seats_free)"]
        if change.taken > 0:
            conditions.append("seats_free >= :need")
            values[":need"] = n(change.taken)
            for i, t in enumerate(change.types):
                if t.ticket_type_id in typed and t.taken > 0:
                    names[f"#f{i}"] = f"t_free_{t.ticket_type_id}"
                    values[f":f{i}"] = n(t.taken)
                    conditions.append(f"#f{i} >= :f{i}")
        if expires is not None:
            expression += " SET holds_expire_next = if_not_exists(holds_expire_next, :next)"
            values[":next"] = s(iso(expires))
        update: dict[str, Any] = {
            **self._shard_key(event_id, k),
            "UpdateExpression": expression,
            "ConditionExpression": " AND ".join(conditions),
            "ExpressionAttributeValues": values,
        }
        if names:
            update["ExpressionAttributeNames"] = names
        return {"Update": update}

    def shard_back(
        self, event_id: str, count: int, change: SeatChange, key: str, version: int | None
    ) -> list[dict[str, Any]]:
        """Seats given back (or moved without taking, held to confirmed) on the shard
        `key` names, with the event's `version` checked when given (a cancellation
        decides on the event, which holds on shards never write)."""
        assert change.taken <= 0
        writes = [self.shard_write(event_id, shard_of(key, count), change)]
        if version is not None:
            writes.append(
                {
                    "ConditionCheck": {
                        "TableName": self.t("events"),
                        "Key": {"id": s(event_id)},
                        "ConditionExpression": "version = :version",
                        "ExpressionAttributeValues": {":version": n(version)},
                    }
                }
            )
        return writes

    async def shard_hints(self, event_id: str, count: int, earliest: str | None) -> None:
        """After run-out holds were released: each shard's hint set to the earliest live
        hold (unguarded: a hint lost to a racing hold only waits for the sweeper)."""
        for k in range(count):
            update: dict[str, Any] = {
                **self._shard_key(event_id, k),
                "ConditionExpression": "attribute_exists(seats_free)",
            }
            if earliest is None:
                update["UpdateExpression"] = "REMOVE holds_expire_next"
            else:
                update["UpdateExpression"] = "SET holds_expire_next = :next"
                update["ExpressionAttributeValues"] = {":next": s(earliest)}
            await self.conditional("update_item", **update)

    async def capacity_writes(self, event: Event, capacity: int) -> list[dict[str, Any]]:
        """For a sharded event: each shard's `seats_free` moved so they add up to the new
        capacity's free seats, each conditioned on the `seats_free` read; [] with one shard."""
        if event.seat_shards <= 1 or capacity == event.capacity:
            return []
        shards = await self.shard_items(event.id, event.seat_shards)
        frees = [_int(x, "seats_free") for x in shards]
        moves = capacity_moves(frees, capacity - event.capacity)
        if moves is None:
            raise CapacityBelowSold(event.seats_taken)
        return [
            {
                "Update": {
                    **self._shard_key(event.id, k),
                    "UpdateExpression": "ADD seats_free :move",
                    "ConditionExpression": "seats_free = :seen",
                    "ExpressionAttributeValues": {":move": n(move), ":seen": n(frees[k])},
                }
            }
            for k, move in enumerate(moves)
            if move
        ]

    def new_shard_puts(
        self, event_id: str, free: int, type_free: Mapping[str, int], count: int, old: int = 0
    ) -> list[dict[str, Any]]:
        """The items of `count` fresh shards: `seats_free` and each capacity type's spread."""
        spreads = {tid: spread(max(0, f), count) for tid, f in type_free.items()}
        puts = []
        for k, share in enumerate(spread(max(0, free), count)):
            values: dict[str, Any] = {
                "id": s(f"seats#{event_id}#{k}"),
                "event_id": s(event_id),
                "seats_free": n(share),
                **{c: n(0) for c in COUNTERS},
                **{f"t_free_{tid}": n(spreads[tid][k]) for tid in type_free},
            }
            put: dict[str, Any] = {"TableName": self.t("events"), "Item": values}
            if k >= old:
                put["ConditionExpression"] = "attribute_not_exists(id)"
            puts.append({"Put": put})
        return puts
