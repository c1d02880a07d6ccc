"""Ticket types on SQLite: stored per event in `ticket_types`, each with its own seat
counters, which only models/sqlite/seats.py changes (in the same transaction as the
event's). Definitions change here, each in one BEGIN IMMEDIATE transaction that also
keeps the event's `price` (its lowest visible type's) true."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from models.domain import Event, TicketType, default_ticket_type, lowest_price
from models.errors import (
    CapacityBelowSold,
    LastTicketType,
    NotFound,
    TicketTypeInUse,
    ValidationFailed,
)
from models.sqlite import seats
from models.sqlite.base import SqliteBase
from models.sqlite.rows import (
    TYPE_DEFINITION,
    insert_sql,
    ticket_type_columns,
    ticket_type_from_row,
)
from models.sqlite.tables import TicketTypeRow
from models.ticket_type_rules import NAME_TAKEN, name_taken


def insert_types(connection: sqlite3.Connection, types: Sequence[TicketType]) -> None:
    for position, kind in enumerate(types):
        row = ticket_type_columns(replace(kind, position=position))
        connection.execute(insert_sql("ticket_types", row), row)


def types_or_default(event: Event, types: Sequence[TicketType]) -> list[TicketType]:
    return list(types) or [default_ticket_type(event)]


def set_event_price(connection: sqlite3.Connection, event: Event) -> None:
    """The event's `price` is its lowest visible type's, kept with every type change."""
    price = lowest_price(seats.read_types(connection, event))
    connection.execute("UPDATE events SET price = ? WHERE id = ?", (price, event.id))


def _find(types: list[TicketType], type_id: str) -> TicketType:
    for kind in types:
        if kind.id == type_id:
            return kind
    raise NotFound("This ticket type does not exist.")


def _write_definition(connection: sqlite3.Connection, kind: TicketType) -> None:
    names = ", ".join(f"{name} = ?" for name in TYPE_DEFINITION)
    connection.execute(
        f"UPDATE ticket_types SET {names} WHERE id = ? AND event_id = ?",  # noqa: S608 (our names)
        [getattr(kind, name) for name in TYPE_DEFINITION] + [kind.id, kind.event_id],
    )


def add(connection: sqlite3.Connection, kind: TicketType) -> TicketType:
    event = seats.read_event(connection, kind.event_id)
    types = seats.read_types(connection, event)
    if name_taken(types, kind.name):
        raise ValidationFailed(NAME_TAKEN)
    position = max((t.position for t in types), default=-1) + 1
    stored = replace(kind, position=position, currency=event.currency)
    row = ticket_type_columns(stored)
    connection.execute(insert_sql("ticket_types", row), row)
    set_event_price(connection, event)
    return stored


def update(
    connection: sqlite3.Connection,
    event_id: str,
    type_id: str,
    change: Callable[[TicketType], TicketType],
    now: datetime,
) -> TicketType:
    event = seats.sweep_if_due(connection, seats.read_event(connection, event_id), now)
    types = seats.read_types(connection, event)
    current = _find(types, type_id)
    changed = change(current)
    if changed.capacity is not None and changed.capacity < current.seats_taken:
        raise CapacityBelowSold(current.seats_taken)
    if name_taken(types, changed.name, besides=type_id):
        raise ValidationFailed(NAME_TAKEN)
    _write_definition(connection, changed)
    set_event_price(connection, event)
    return _find(seats.read_types(connection, event), type_id)


def delete(connection: sqlite3.Connection, event_id: str, type_id: str) -> None:
    event = seats.read_event(connection, event_id)
    types = seats.read_types(connection, event)
    kind = _find(types, type_id)
    if kind.in_use:
        raise TicketTypeInUse()
    if len(types) == 1:
        raise LastTicketType()
    connection.execute("DELETE FROM ticket_types WHERE id = ?", (type_id,))
    set_event_price(connection, event)


def move(connection: sqlite3.Connection, event_id: str, type_id: str, by: int) -> list[TicketType]:
    event = seats.read_event(connection, event_id)
    types = seats.read_types(connection, event)
    kind = _find(types, type_id)
    order = [t for t in types if t.id != type_id]
    at = max(0, min(len(order), types.index(kind) + by))
    order.insert(at, kind)
    for position, each in enumerate(order):
        connection.execute("UPDATE ticket_types SET position = ? WHERE id = ?", (position, each.id))
    return seats.read_types(connection, event)


class SqliteTicketTypes(SqliteBase):
    async def list_ticket_types(self, event_id: str) -> list[TicketType]:
        rows = await TicketTypeRow.raw(
            "SELECT t.*, e.currency AS event_currency FROM ticket_types t"
            " JOIN events e ON e.id = t.event_id"
            " WHERE t.event_id = {} ORDER BY t.position, t.id",
            event_id,
        ).run()
        return [ticket_type_from_row(row, row["event_currency"]) for row in rows]

    async def add_ticket_type(self, ticket_type: TicketType) -> TicketType:
        return await self._hot(lambda connection: add(connection, ticket_type))

    async def update_ticket_type(
        self,
        event_id: str,
        type_id: str,
        change: Callable[[TicketType], TicketType],
        now: datetime,
    ) -> TicketType:
        return await self._hot(
            lambda connection: update(connection, event_id, type_id, change, now)
        )

    async def delete_ticket_type(self, event_id: str, type_id: str) -> None:
        await self._hot(lambda connection: delete(connection, event_id, type_id))

    async def move_ticket_type(self, event_id: str, type_id: str, by: int) -> list[TicketType]:
        return await self._hot(lambda connection: move(connection, event_id, type_id, by))
