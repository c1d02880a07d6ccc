"""The seat counter of an event, changed only inside a write transaction.

Each function here expects the caller to hold `write_transaction()` (BEGIN IMMEDIATE), so
the read of the counters and their update cannot interleave with another writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from piccolo.columns import Column

from models.domain import Event, Registration, RegistrationStatus
from models.errors import NotEnoughSeats, NotFound
from models.seat_rules import hold_refusal
from models.sqlite.rows import event_from_row, insert_sql, registration_columns, ticket_columns
from models.sqlite.tables import EventRow, RegistrationRow
from models.tickets import Ticket


async def release_expired(event_id: str, now: datetime) -> int:
    """Expire the event's run-out holds and give their seats back; returns seats freed."""
    expired = (
        await RegistrationRow.update(
            {
                RegistrationRow.status: RegistrationStatus.EXPIRED.value,
                RegistrationRow.updated_at: now,
            }
        )
        .where(
            (RegistrationRow.event_id == event_id)
            & (RegistrationRow.status == RegistrationStatus.HELD.value)
            & (RegistrationRow.hold_expires_at <= now)
        )
        .returning(RegistrationRow.quantity)
        .run()
    )
    freed = sum(row["quantity"] for row in expired)
    await (
        EventRow.update(
            {
                EventRow.seats_held: EventRow.seats_held - freed,
                EventRow.holds_expire_next: await _next_expiry(event_id),
            }
        )
        .where(EventRow.id == event_id)
        .run()
    )
    return freed


async def _next_expiry(event_id: str) -> datetime | None:
    row = (
        await RegistrationRow.select(RegistrationRow.hold_expires_at)
        .where(
            (RegistrationRow.event_id == event_id)
            & (RegistrationRow.status == RegistrationStatus.HELD.value)
        )
        .order_by(RegistrationRow.hold_expires_at)
        .first()
        .run()
    )
    return row["hold_expires_at"] if row else None


async def give_back(registration: Registration) -> None:
    """Return the seats of a registration that held or confirmed them."""
    changes: dict[Column | str, Any]
    if registration.status is RegistrationStatus.HELD:
        changes = {EventRow.seats_held: EventRow.seats_held - registration.quantity}
    else:
        changes = {
            EventRow.seats_confirmed: EventRow.seats_confirmed - registration.quantity,
            EventRow.registrations: EventRow.registrations - 1,
            # What a partial refund gave back has left the revenue already.
            EventRow.revenue: EventRow.revenue
            - (registration.amount - registration.refunded_amount),
        }
    await EventRow.update(changes).where(EventRow.id == registration.event_id).run()


def give_back_sync(connection: sqlite3.Connection, registration: Registration) -> None:
    """`give_back` on the hot path's connection, inside the caller's transaction."""
    if registration.status is RegistrationStatus.HELD:
        connection.execute(
            "UPDATE events SET seats_held = seats_held - ? WHERE id = ?",
            (registration.quantity, registration.event_id),
        )
        return
    connection.execute(
        "UPDATE events SET seats_confirmed = seats_confirmed - ?,"
        " registrations = registrations - 1, revenue = revenue - ? WHERE id = ?",
        (
            registration.quantity,
            registration.amount - registration.refunded_amount,
            registration.event_id,
        ),
    )


# -- the hot path: one transaction in one thread hop (see PooledSQLiteEngine.in_hot_thread)


def hold(
    connection: sqlite3.Connection,
    registration: Registration,
    tickets: Sequence[Ticket],
    now: datetime,
) -> None:
    """Check and take seats for `registration` (and store its tickets, when it is
    confirmed at once), inside the caller's BEGIN IMMEDIATE transaction."""
    event = read_event(connection, registration.event_id)
    if event.is_on_sale(now) and event.has_expired_holds(now):
        release_expired_sync(connection, event.id, now)
        event = read_event(connection, event.id)
    mine = account_seats(connection, event.id, registration.user_id, now)
    if refusal := hold_refusal(event, registration.quantity, mine, now):
        raise refusal
    next_expiry = event.holds_expire_next
    held = registration.status is RegistrationStatus.HELD
    if held:
        assert registration.hold_expires_at is not None
        next_expiry = min(d for d in (next_expiry, registration.hold_expires_at) if d)
    quantity = registration.quantity
    updated = connection.execute(
        "UPDATE events SET seats_held = seats_held + ?, seats_confirmed = seats_confirmed + ?,"
        " registrations = registrations + ?, revenue = revenue + ?, holds_expire_next = ?"
        " WHERE id = ? AND seats_confirmed + seats_held + ? <= capacity",
        (
            quantity if held else 0,
            0 if held else quantity,
            0 if held else 1,
            0 if held else registration.amount,
            next_expiry,
            event.id,
            quantity,
        ),
    ).rowcount
    if updated != 1:  # the check above makes this unreachable; the guard makes it certain
        raise NotEnoughSeats(0)
    columns = registration_columns(registration)
    connection.execute(insert_sql("registrations", columns), columns)
    for ticket in tickets:
        row = ticket_columns(ticket)
        connection.execute(insert_sql("tickets", row), row)


def account_seats(
    connection: sqlite3.Connection, event_id: str, user_id: str, now: datetime
) -> int:
    """Seats the account holds (live holds) or has confirmed for the event, over all its
    registrations; read inside the caller's transaction, so no other writer moves it."""
    row = connection.execute(
        "SELECT COALESCE(SUM(quantity), 0) AS seats FROM registrations"
        " WHERE user_id = ? AND event_id = ?"
        " AND (status = ? OR (status = ? AND hold_expires_at > ?))",
        (
            user_id,
            event_id,
            RegistrationStatus.CONFIRMED.value,
            RegistrationStatus.HELD.value,
            now,
        ),
    ).fetchone()
    return int(row["seats"])


def read_event(connection: sqlite3.Connection, event_id: str) -> Event:
    row = connection.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
    if row is None:
        raise NotFound("This event does not exist.")
    return event_from_row(dict(row))


def release_expired_sync(connection: sqlite3.Connection, event_id: str, now: datetime) -> None:
    held = RegistrationStatus.HELD.value
    freed = connection.execute(
        "UPDATE registrations SET status = ?, updated_at = ? "
        "WHERE event_id = ? AND status = ? AND hold_expires_at <= ? RETURNING quantity",
        (RegistrationStatus.EXPIRED.value, now, event_id, held, now),
    ).fetchall()
    next_row = connection.execute(
        "SELECT hold_expires_at FROM registrations WHERE event_id = ? AND status = ? "
        "ORDER BY hold_expires_at LIMIT 1",
        (event_id, held),
    ).fetchone()
    connection.execute(
        "UPDATE events SET seats_held = seats_held - ?, holds_expire_next = ? WHERE id = ?",
        (
            sum(row["quantity"] for row in freed),
            next_row["hold_expires_at"] if next_row else None,
            event_id,
        ),
    )
