"""An event's figures on SQLite (models/figures.py): counter rows upserted inside the
caller's BEGIN IMMEDIATE transaction, read in one statement."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from models.figures import (
    VERSION,
    Bump,
    EventFigures,
    checkin_bumps,
    figures_from,
    merged,
    partial_refund_bumps,
    refund_bumps,
    seat_bumps,
)
from models.seat_rules import SeatChange
from models.sqlite.base import SqliteBase
from models.sqlite.tables import FigureRow


def write(connection: sqlite3.Connection, event_id: str, bumps: Iterable[Bump]) -> None:
    for b in merged(bumps):
        connection.execute(
            "INSERT INTO figures (id, event_id, key, tickets, revenue, hits)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " tickets = tickets + excluded.tickets, revenue = revenue + excluded.revenue,"
            " hits = hits + excluded.hits",
            (f"{event_id}|{b.key}", event_id, b.key, b.tickets, b.revenue, b.count),
        )


def _zone(connection: sqlite3.Connection, event_id: str) -> ZoneInfo:
    row = connection.execute("SELECT timezone FROM events WHERE id = ?", (event_id,)).fetchone()
    return ZoneInfo(row["timezone"] if row else "UTC")


def seats(
    connection: sqlite3.Connection,
    event_id: str,
    change: SeatChange,
    now: datetime,
    refunded: int = 0,
) -> None:
    """What a seat change adds to the figures (and a whole refund of `refunded`)."""
    if not change and not refunded:
        return
    zone = _zone(connection, event_id)
    extra = refund_bumps(refunded) if refunded else []
    write(connection, event_id, [*seat_bumps(change, now, zone), *extra])


def partial_refund(
    connection: sqlite3.Connection, event_id: str, amount: int, now: datetime
) -> None:
    write(connection, event_id, partial_refund_bumps(amount, now, _zone(connection, event_id)))


def admitted(connection: sqlite3.Connection, event_id: str, at: datetime, gate: str) -> None:
    write(connection, event_id, checkin_bumps(at, gate))


class SqliteFigures(SqliteBase):
    async def event_figures(self, event_id: str) -> EventFigures:
        rows = await FigureRow.select().where(FigureRow.event_id == event_id).run()
        return figures_from(Bump(r["key"], r["tickets"], r["revenue"], r["hits"]) for r in rows)

    async def figures_version(self, event_id: str) -> int:
        row = (
            await FigureRow.select(FigureRow.hits)
            .where(FigureRow.id == f"{event_id}|{VERSION}")
            .first()
            .run()
        )
        return int(row["hits"]) if row else 0
