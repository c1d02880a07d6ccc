"""Events on SQLite: create, read, search, edit, change status."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from piccolo.columns.combination import WhereRaw

from models.domain import Event, EventStatus, TicketType, lowest_price
from models.errors import CapacityBelowSold, InvalidTransition, NotFound
from models.event_rules import FIELDS, EventFields
from models.sqlite import seats, waitlist
from models.sqlite.base import SqliteBase
from models.sqlite.point_reads import row_where
from models.sqlite.rows import (
    decode_cursor,
    encode_cursor,
    event_columns,
    event_from_row,
    insert_sql,
    like_pattern,
)
from models.sqlite.tables import EventRow
from models.sqlite.ticket_types import insert_types, types_or_default
from models.store import EventQuery, Page
from models.ticket_type_rules import price_follower


def create(connection: sqlite3.Connection, event: Event, types: Sequence[TicketType]) -> None:
    """The event with its types (or its one "General admission" type), in one step."""
    kinds = types_or_default(event, types)
    row = event_columns(replace(event, price=lowest_price(kinds)))
    connection.execute(insert_sql("events", row), row)
    insert_types(connection, kinds)


def update(
    connection: sqlite3.Connection,
    event_id: str,
    change: Callable[[Event], EventFields],
    now: datetime,
) -> Event:
    """Apply `change` to the event as it is now. Its `price`, the old way of setting it,
    moves its only type's price along (`price_follower`)."""
    event = seats.sweep_if_due(connection, seats.read_event(connection, event_id), now)
    fields = change(event)
    if fields.capacity < event.seats_taken:
        raise CapacityBelowSold(event.seats_taken)
    follower = price_follower(seats.read_types(connection, event), event.price, fields.price)
    if follower is not None:
        connection.execute(
            "UPDATE ticket_types SET price = ? WHERE id = ?", (fields.price, follower)
        )
    names = ", ".join(f"{name} = ?" for name in FIELDS)
    connection.execute(
        f"UPDATE events SET {names} WHERE id = ?",  # noqa: S608 (our own column names)
        [getattr(fields, name) for name in FIELDS] + [event_id],
    )
    waitlist.offer_sync(connection, event_id, now)  # a raised capacity: the list first
    return seats.read_event(connection, event_id)


class SqliteEvents(SqliteBase):
    async def create_event(self, event: Event, ticket_types: Sequence[TicketType] = ()) -> None:
        await self._hot(lambda connection: create(connection, event, ticket_types))

    async def get_event(self, event_id: str) -> Event | None:
        row = await row_where(EventRow, EventRow.id, event_id)
        return event_from_row(row) if row else None

    async def list_upcoming_events(
        self,
        now: datetime,
        limit: int,
        cursor: str | None = None,
        query: EventQuery | None = None,
    ) -> Page[Event]:
        query = query or EventQuery()
        where: Any = (EventRow.status == EventStatus.PUBLISHED.value) & (EventRow.ends_at > now)
        if query.text:
            pattern = like_pattern(query.text)
            where &= WhereRaw(
                "(title LIKE {} ESCAPE '\\' OR description LIKE {} ESCAPE '\\' "
                "OR venue LIKE {} ESCAPE '\\')",
                pattern,
                pattern,
                pattern,
            )
        if query.category:
            where &= EventRow.category == query.category
        if query.starts_from:
            where &= EventRow.starts_at >= query.starts_from
        if query.starts_before:
            where &= EventRow.starts_at < query.starts_before
        if query.free is True:
            where &= EventRow.price == 0
        elif query.free is False:
            where &= EventRow.price > 0
        return await self._event_page(where, limit, cursor)

    async def list_organizer_events(
        self, organizer_id: str, limit: int, cursor: str | None = None
    ) -> Page[Event]:
        return await self._event_page(EventRow.organizer_id == organizer_id, limit, cursor)

    async def _event_page(self, where: Any, limit: int, cursor: str | None) -> Page[Event]:
        after = decode_cursor(cursor)
        if after is not None:
            starts_at, event_id = after
            where = where & (
                (EventRow.starts_at > starts_at)
                | ((EventRow.starts_at == starts_at) & (EventRow.id > event_id))
            )
        rows = (
            await EventRow.select()
            .where(where)
            .order_by(EventRow.starts_at, EventRow.id)
            .limit(limit + 1)
            .run()
        )
        events = [event_from_row(row) for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            next_cursor = encode_cursor(events[-1].starts_at, events[-1].id)
        return Page(items=events, next_cursor=next_cursor)

    async def _event_in_transaction(self, event_id: str) -> Event:
        row = await EventRow.select().where(EventRow.id == event_id).first().run()
        if row is None:
            raise NotFound("This event does not exist.")
        return event_from_row(row)

    async def update_event(
        self, event_id: str, change: Callable[[Event], EventFields], now: datetime
    ) -> Event:
        return await self._hot(lambda connection: update(connection, event_id, change, now))

    async def set_event_status(
        self, event_id: str, allowed_from: frozenset[EventStatus], to: EventStatus
    ) -> Event:
        async with self.write_transaction():
            event = await self._event_in_transaction(event_id)
            if event.status not in allowed_from:
                raise InvalidTransition(f"This event is {event.status.value}.")
            await EventRow.update({EventRow.status: to.value}).where(EventRow.id == event_id).run()
            return await self._event_in_transaction(event_id)
