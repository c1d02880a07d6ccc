"""Ticket types on DynamoDB: each type is an item of the events table
(`id = "type#<event id>#<type id>"`, models/dynamo/codec.py) with its own seat counters,
and the event item lists its types in order (`ticket_type_ids`).

Definitions change here, each in one transaction with the event item, conditioned on
the event's `version` as read (and bumping it): two organizers adding types with one
name, or reordering at once, cannot both win. Counters change only in the seat
operations (models/dynamo/seats.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from models.domain import TicketType, lowest_price
from models.dynamo.base import RETRIES, Refused
from models.dynamo.codec import (
    TYPE_DEFINITION,
    encode,
    event_from_item,
    ticket_type_item,
    type_key,
)
from models.dynamo.seat_shards import shard_count
from models.dynamo.seats import DynamoSeats, n, s
from models.errors import (
    CapacityBelowSold,
    Conflict,
    LastTicketType,
    NotFound,
    TicketTypeInUse,
    ValidationFailed,
)
from models.ticket_type_rules import NAME_TAKEN, name_taken

BUSY = "The event is being changed by someone else; try again."


# docs/SCALING.md: a type's own capacity is spread over a sharded event's counter items
# by `admit shard-event` only.
SHARDED = (
    "This event's seats are split over several counter items: switch it to one"
    " (admit shard-event ID 1) to change a ticket type's capacity, then back."
)


def _find(types: list[TicketType], type_id: str) -> TicketType:
    for kind in types:
        if kind.id == type_id:
            return kind
    raise NotFound("This ticket type does not exist.")


class DynamoTicketTypes(DynamoSeats):
    async def list_ticket_types(self, event_id: str) -> list[TicketType]:
        try:
            item = await self.event_item(event_id)
        except NotFound:
            return []
        if shard_count(item) > 1:  # the counters are on its shards (seat_shards.py)
            return self.types_with_sums(await self.sharded_totals(item), await self.types_of(item))
        return await self.types_of(item)

    async def _read(self, event_id: str) -> tuple[list[TicketType], int]:
        item = await self.event_item(event_id)
        return await self.types_of(item), int(item.get("version", {"N": "0"})["N"])

    def _event_list(self, event_id: str, types: list[TicketType], version: int) -> dict[str, Any]:
        """The event item's update: its list of types in this order, its price (the
        lowest visible type's), conditioned on the version read, which it bumps."""
        return {
            "Update": {
                **self._event_key(event_id),
                "UpdateExpression": "SET ticket_type_ids = :ids, price = :price ADD version :one",
                "ConditionExpression": "version = :version",
                "ExpressionAttributeValues": {
                    ":ids": {"L": [s(kind.id) for kind in types]},
                    ":price": n(lowest_price(types)),
                    ":version": n(version),
                    ":one": n(1),
                },
            }
        }

    async def add_ticket_type(self, ticket_type: TicketType) -> TicketType:
        for attempt in range(RETRIES):
            types, version = await self._read(ticket_type.event_id)
            if name_taken(types, ticket_type.name):
                raise ValidationFailed(NAME_TAKEN)
            event = event_from_item(await self.event_item(ticket_type.event_id))
            if event.seat_shards > 1 and ticket_type.capacity is not None:
                raise Conflict(SHARDED)
            stored = TicketType(
                **{
                    **ticket_type.__dict__,
                    "position": len(types),
                    "currency": event.currency,
                }
            )
            put = {
                "Put": {
                    "TableName": self.t("events"),
                    "Item": ticket_type_item(stored),
                    "ConditionExpression": "attribute_not_exists(id)",
                }
            }
            try:
                await self.transact([put, self._event_list(event.id, [*types, stored], version)])
            except Refused as refused:
                if refused.failed(0):
                    raise Conflict("A ticket type with this id exists.") from refused
                await self.backoff(attempt)
                continue
            return stored
        raise Conflict(BUSY)

    async def update_ticket_type(
        self,
        event_id: str,
        type_id: str,
        change: Callable[[TicketType], TicketType],
        now: datetime,
    ) -> TicketType:
        for attempt in range(RETRIES):
            event, _ = await self._event(event_id)
            if event.has_expired_holds(now):
                await self.release_expired(event_id, now)
            types, version = await self._read(event_id)
            current = _find(types, type_id)
            changed = change(current)
            if event.seat_shards > 1 and changed.capacity != current.capacity:
                raise Conflict(SHARDED)
            if changed.capacity is not None and changed.capacity < current.seats_taken:
                raise CapacityBelowSold(current.seats_taken)
            if name_taken(types, changed.name, besides=type_id):
                raise ValidationFailed(NAME_TAKEN)
            sets, removes = [], []
            values: dict[str, Any] = {}
            for name in TYPE_DEFINITION:
                value = getattr(changed, name)
                if value is None:
                    removes.append(f"#{name}")
                else:
                    sets.append(f"#{name} = :{name}")
                    values[f":{name}"] = encode(value)
            expression = "SET " + ", ".join(sets)
            if removes:
                expression += " REMOVE " + ", ".join(removes)
            condition = "attribute_exists(id)"
            if changed.capacity is not None:
                # A hold taking seats meanwhile fails this and the edit decides again.
                condition += " AND seats_taken <= :capacity"
            update = {
                "Update": {
                    "TableName": self.t("events"),
                    "Key": {"id": s(type_key(event_id, type_id))},
                    "UpdateExpression": expression,
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": {f"#{name}": name for name in TYPE_DEFINITION},
                    "ExpressionAttributeValues": values,
                }
            }
            order = [changed if kind.id == type_id else kind for kind in types]
            try:
                await self.transact([update, self._event_list(event_id, order, version)])
            except Refused:
                await self.backoff(attempt)
                continue
            types, _ = await self._read(event_id)
            return _find(types, type_id)
        raise Conflict(BUSY)

    async def delete_ticket_type(self, event_id: str, type_id: str) -> None:
        for attempt in range(RETRIES):
            types, version = await self._read(event_id)
            kind = _find(types, type_id)
            if kind.in_use:
                raise TicketTypeInUse()
            if len(types) == 1:
                raise LastTicketType()
            delete = {
                "Delete": {
                    "TableName": self.t("events"),
                    "Key": {"id": s(type_key(event_id, type_id))},
                    # A hold taking its first seat meanwhile sets it: then it stays.
                    "ConditionExpression": "in_use = :no",
                    "ExpressionAttributeValues": {":no": {"BOOL": False}},
                }
            }
            rest = [other for other in types if other.id != type_id]
            try:
                await self.transact([delete, self._event_list(event_id, rest, version)])
            except Refused:
                await self.backoff(attempt)
                continue
            return
        raise Conflict(BUSY)

    async def move_ticket_type(self, event_id: str, type_id: str, by: int) -> list[TicketType]:
        for attempt in range(RETRIES):
            types, version = await self._read(event_id)
            kind = _find(types, type_id)
            order = [other for other in types if other.id != type_id]
            order.insert(max(0, min(len(order), types.index(kind) + by)), kind)
            try:
                await self.transact([self._event_list(event_id, order, version)])
            except Refused:
                await self.backoff(attempt)
                continue
            return (await self._read(event_id))[0]
        raise Conflict(BUSY)
