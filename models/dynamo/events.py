"""Events on DynamoDB: create, read, list by status or organizer, edit, change status."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from models.domain import Event, EventStatus, TicketType, default_ticket_type, lowest_price
from models.dynamo.base import RETRIES, Refused
from models.dynamo.codec import (
    EVENT_FIELDS,
    decode_cursor,
    encode,
    event_from_item,
    event_item,
    event_search_text,
    iso,
    ticket_type_item,
    type_key,
)
from models.dynamo.seat_shards import shard_count
from models.dynamo.seats import DynamoSeats, n, s
from models.dynamo.tables import LAYOUT
from models.errors import CapacityBelowSold, Conflict, InvalidTransition, NotFound
from models.event_rules import EventFields
from models.store import EventQuery, Page
from models.ticket_type_rules import price_follower


class DynamoEvents(DynamoSeats):
    async def create_event(self, event: Event, ticket_types: Sequence[TicketType] = ()) -> None:
        """One transaction: the event item listing its types, and each type's item."""
        kinds = list(ticket_types) or [default_ticket_type(event)]
        event = replace(event, price=lowest_price(kinds))
        puts: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.t("events"),
                    "Item": item,
                    "ConditionExpression": "attribute_not_exists(id)",
                }
            }
            for item in (
                event_item(event, [kind.id for kind in kinds]),
                *(ticket_type_item(kind) for kind in kinds),
            )
        ]
        if (shards := self.default_seat_shards) > 1:  # ADMIT_SEAT_SHARDS (seat_shards.py)
            puts[0] = {
                "Put": {
                    **puts[0]["Put"],
                    "Item": {**puts[0]["Put"]["Item"], "seat_shards": n(shards)},
                }
            }
            type_free = {k.id: k.capacity - k.seats_taken for k in kinds if k.capacity is not None}
            puts += self.new_shard_puts(event.id, event.seats_left, type_free, shards)
        try:
            await self.transact(puts)
        except Refused as refused:
            raise Conflict("An event with this id exists.") from refused

    async def get_event(self, event_id: str) -> Event | None:
        item = await self.get("events", {"id": event_id})
        if item and shard_count(item) > 1:  # the counters are on its shards
            item = await self.sharded_totals(item)
        return event_from_item(item) if item else None

    async def list_upcoming_events(
        self,
        now: datetime,
        limit: int,
        cursor: str | None = None,
        query: EventQuery | None = None,
    ) -> Page[Event]:
        """GSI by_status_start (status = published), soonest first; the rest of the query
        is a filter. Published events that ended stay in the partition (read and dropped
        by the filter) until they are moved to `ended`."""
        query = query or EventQuery()
        start = decode_cursor(
            cursor,
            LAYOUT["events"].key_names("by_status_start"),
            ("status", EventStatus.PUBLISHED.value),
        )
        names = {"#status": "status"}
        values: dict[str, Any] = {":published": s(EventStatus.PUBLISHED.value), ":now": s(iso(now))}
        key = "#status = :published"
        filters = ["ends_at > :now"]
        if query.starts_from and query.starts_before:
            key += " AND starts_at BETWEEN :from AND :before"
            filters.append("starts_at < :before")
        elif query.starts_from:
            key += " AND starts_at >= :from"
        elif query.starts_before:
            key += " AND starts_at < :before"
        if query.starts_from:
            values[":from"] = s(iso(query.starts_from))
        if query.starts_before:
            values[":before"] = s(iso(query.starts_before))
        if query.text:
            filters.append("contains(search_text, :text)")
            values[":text"] = s(query.text.lower())
        if query.category:
            filters.append("category = :category")
            values[":category"] = s(query.category)
        if query.free is True:
            filters.append("price = :zero")
            values[":zero"] = n(0)
        elif query.free is False:
            filters.append("price > :zero")
            values[":zero"] = n(0)
        items, next_cursor = await self.query_page(
            "events",
            "by_status_start",
            limit,
            start,
            KeyConditionExpression=key,
            FilterExpression=" AND ".join(filters),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
        return Page([event_from_item(item) for item in items], next_cursor)

    async def list_organizer_events(
        self, organizer_id: str, limit: int, cursor: str | None = None
    ) -> Page[Event]:
        start = decode_cursor(
            cursor, LAYOUT["events"].key_names("by_organizer"), ("organizer_id", organizer_id)
        )
        items, next_cursor = await self.query_page(
            "events",
            "by_organizer",
            limit,
            start,
            KeyConditionExpression="organizer_id = :o",
            ExpressionAttributeValues={":o": s(organizer_id)},
        )
        return Page([event_from_item(item) for item in items], next_cursor)

    async def update_event(
        self, event_id: str, change: Callable[[Event], EventFields], now: datetime
    ) -> Event:
        """Optimistic: read, apply `change`, write conditioned on the version read (so a
        concurrent edit makes this one re-read and re-apply) and on the seats taken."""
        for attempt in range(RETRIES):
            event, version = await self._event(event_id)
            if event.has_expired_holds(now):
                await self.release_expired(event_id, now)
                event, version = await self._event(event_id)
            fields = change(event)
            if fields.capacity < event.seats_taken:
                raise CapacityBelowSold(event.seats_taken)
            follower = price_follower(
                await self.types_of(await self.event_item(event_id)), event.price, fields.price
            )
            names = {f"#{name}": name for name in EVENT_FIELDS}
            values: dict[str, Any] = {
                f":{name}": encode(getattr(fields, name))
                for name in EVENT_FIELDS
                if getattr(fields, name) is not None
            }
            sets = [f"#{name} = :{name}" for name in EVENT_FIELDS if f":{name}" in values]
            removes = [f"#{name}" for name in EVENT_FIELDS if f":{name}" not in values]
            values[":search"] = s(event_search_text(fields.title, fields.description, fields.venue))
            values[":version"] = n(version)
            values[":one"] = n(1)
            expression = "SET " + ", ".join([*sets, "search_text = :search"])
            expression += " ADD version :one"
            if removes:
                expression += " REMOVE " + ", ".join(removes)
            update = {
                **self._event_key(event_id),
                "UpdateExpression": expression,
                "ConditionExpression": "version = :version AND seats_taken <= :capacity",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
            # A sharded event's free seats move on its shards (seat_shards.py).
            spread = await self.capacity_writes(event, fields.capacity)
            if spread:
                update["ConditionExpression"] = "version = :version"
            if follower is not None or spread:  # its only type's price moves with it
                price = (
                    [] if follower is None else [self._type_price(event_id, follower, fields.price)]
                )
                try:
                    await self.transact([{"Update": update}, *spread, *price])
                except Refused:
                    await self.backoff(attempt)
                    continue
                await self.seats_came_back(event_id, now)  # a raised capacity: the list first
                return (await self._event(event_id))[0]
            try:
                response = await self.conditional("update_item", **update, ReturnValues="ALL_NEW")
            except Refused:
                response = None
            if response is not None:
                if fields.capacity > event.capacity:
                    await self.seats_came_back(event_id, now)  # the list first
                    return (await self._event(event_id))[0]
                return event_from_item(response["Attributes"])
            await self.backoff(attempt)
        raise Conflict("The event is being changed by someone else; try again.")

    def _type_price(self, event_id: str, type_id: str, price: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.t("events"),
                "Key": {"id": s(type_key(event_id, type_id))},
                "UpdateExpression": "SET price = :price",
                "ConditionExpression": "attribute_exists(id)",
                "ExpressionAttributeValues": {":price": n(price)},
            }
        }

    async def set_event_status(
        self, event_id: str, allowed_from: frozenset[EventStatus], to: EventStatus
    ) -> Event:
        for attempt in range(RETRIES):
            event, version = await self._event(event_id)
            if event.status not in allowed_from:
                raise InvalidTransition(f"This event is {event.status.value}.")
            try:
                response = await self.conditional(
                    "update_item",
                    **self._event_key(event_id),
                    UpdateExpression="SET #status = :to ADD version :one",
                    ConditionExpression="version = :version",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={
                        ":to": s(to.value),
                        ":version": n(version),
                        ":one": n(1),
                    },
                    ReturnValues="ALL_NEW",
                )
            except Refused:
                response = None
            if response is not None:
                return event_from_item(response["Attributes"])
            await self.backoff(attempt)
        raise NotFound("This event does not exist.")
