"""The seat counter of an event, changed only inside a write transaction.

Each function here expects the caller to hold `write_transaction()` (BEGIN IMMEDIATE), so
the read of the counters and their update cannot interleave with another writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from models.domain import Event, Registration, RegistrationStatus
from models.errors import NotEnoughSeats, NotFound
from models.outbox import tickets_job
from models.seat_rules import HoldDecision, SeatChange, decide_hold, seats_back
from models.sqlite.outbox import write_job
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


def write_change(
    connection: sqlite3.Connection,
    event_id: str,
    decided: SeatChange | HoldDecision,
) -> bool:
    """Write a decision's `SeatChange` (and for a hold, the event's next hold expiry);
    a change that takes seats is conditioned on the capacity. False when the condition
    failed: inside BEGIN IMMEDIATE the decision read the same counters, so only a
    decision that allowed too much could get there."""
    change = decided.change if isinstance(decided, HoldDecision) else decided
    sql = (
        "UPDATE events SET seats_held = seats_held + ?, seats_confirmed = seats_confirmed + ?,"
        " registrations = registrations + ?, revenue = revenue + ?"
    )
    values: list[object] = [change.held, change.confirmed, change.registrations, change.revenue]
    if isinstance(decided, HoldDecision):
        sql += ", holds_expire_next = ?"
        values.append(decided.holds_expire_next)
    sql += " WHERE id = ?"
    values.append(event_id)
    if change.taken > 0:
        sql += " AND seats_confirmed + seats_held + ? <= capacity"
        values.append(change.taken)
    return connection.execute(sql, values).rowcount == 1


def give_back_sync(connection: sqlite3.Connection, registration: Registration) -> None:
    """Return the seats of a registration that held or confirmed them (`seats_back`),
    inside the caller's transaction."""
    if change := seats_back(registration):
        write_change(connection, registration.event_id, change)


def sweep_if_due(connection: sqlite3.Connection, event: Event, now: datetime) -> Event:
    """Expire the event's run-out holds before a decision counts its seats; the event as
    it is then."""
    if not event.has_expired_holds(now):
        return event
    release_expired_sync(connection, event.id, now)
    return read_event(connection, event.id)


# -- the hot path: one transaction in one thread hop (see PooledSQLiteEngine.in_hot_thread)


def hold(
    connection: sqlite3.Connection,
    registration: Registration,
    tickets: Sequence[Ticket],
    now: datetime,
) -> None:
    """Take seats for `registration` as `decide_hold` says (and store its tickets and
    delivery job, when it is confirmed at once), inside the caller's BEGIN IMMEDIATE
    transaction."""
    event = read_event(connection, registration.event_id)
    if event.is_on_sale(now):
        event = sweep_if_due(connection, event, now)
    mine = account_seats(connection, event.id, registration.user_id, now)
    decision = decide_hold(event, registration, mine, now)
    if not write_change(connection, event.id, decision):
        raise NotEnoughSeats(0)  # the decision read these counters: made certain here
    if registration.status is RegistrationStatus.CONFIRMED:
        # First: a failure after it (an id taken) rolls it back with the rest.
        write_job(connection, tickets_job(registration.id, now))  # invariant 8
    columns = registration_columns(registration)
    connection.execute(insert_sql("registrations", columns), columns)
    insert_tickets(connection, tickets)


def insert_tickets(connection: sqlite3.Connection, tickets: Sequence[Ticket]) -> None:
    for ticket in tickets:
        row = ticket_columns(ticket)
        connection.execute(insert_sql("tickets", row), row)


def account_seats(
    connection: sqlite3.Connection,
    event_id: str,
    user_id: str,
    now: datetime,
    besides: str = "",
) -> int:
    """Seats the account holds (live holds) or has confirmed for the event, over all its
    registrations but `besides`; read inside the caller's transaction, so no other writer
    moves it."""
    row = connection.execute(
        "SELECT COALESCE(SUM(quantity), 0) AS seats FROM registrations"
        " WHERE user_id = ? AND event_id = ? AND id != ?"
        " AND (status = ? OR (status = ? AND hold_expires_at > ?))",
        (
            user_id,
            event_id,
            besides,
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
