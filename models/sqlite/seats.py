"""The seat counters of an event and of its ticket types, changed only inside a write
transaction (invariant 1).

Each function here expects the caller to hold a BEGIN IMMEDIATE transaction on the
connection it is given (`PooledSQLiteEngine.in_hot_transaction`), so the read of the
counters and their update cannot interleave with another writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from models.domain import Event, Registration, RegistrationStatus, TicketType
from models.errors import NotEnoughSeats, NotFound
from models.outbox import tickets_job
from models.seat_rules import (
    HoldDecision,
    HoldRead,
    SeatChange,
    combined,
    decide_hold,
    seats_back,
)
from models.sqlite import figures
from models.sqlite.outbox import write_job
from models.sqlite.promo_codes import read_promo, write_use
from models.sqlite.rows import (
    event_from_row,
    insert_sql,
    registration_columns,
    registration_from_row,
    ticket_columns,
    ticket_type_from_row,
)
from models.tickets import Ticket


def write_change(
    connection: sqlite3.Connection,
    event_id: str,
    decided: SeatChange | HoldDecision,
) -> bool:
    """Write a decision's `SeatChange` to the event's counters and each of its types'
    (and for a hold, the event's next hold expiry), and its promo codes' uses, all or
    nothing. A change that takes
    seats is conditioned on the event's capacity and on each type's own. False when a
    condition failed (nothing is written then): inside BEGIN IMMEDIATE the decision read
    the same counters, so only a decision that allowed too much could get there."""
    change = decided.change if isinstance(decided, HoldDecision) else decided
    connection.execute("SAVEPOINT seats")
    if (
        _write_event(connection, event_id, decided, change)
        and all(
            _write_type(connection, event_id, t.ticket_type_id, t.held, t.confirmed, t.revenue)
            for t in change.types
        )
        # Invariant 6: a code's use moves with the seats, a take within its max_uses.
        and all(write_use(connection, event_id, p.promo_id, p.uses) for p in change.promos)
    ):
        connection.execute("RELEASE seats")
        return True
    connection.execute("ROLLBACK TO seats")
    connection.execute("RELEASE seats")
    return False


def _write_event(
    connection: sqlite3.Connection,
    event_id: str,
    decided: SeatChange | HoldDecision,
    change: SeatChange,
) -> bool:
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
        sql += " AND seats_confirmed + seats_held + waitlist_seats + ? <= capacity"
        values.append(change.taken)
    return connection.execute(sql, values).rowcount == 1


def _write_type(
    connection: sqlite3.Connection,
    event_id: str,
    type_id: str,
    held: int,
    confirmed: int,
    revenue: int,
) -> bool:
    taken = held + confirmed
    sql = (
        "UPDATE ticket_types SET seats_held = seats_held + ?,"
        " seats_confirmed = seats_confirmed + ?, revenue = revenue + ?"
    )
    if taken > 0:
        sql += ", in_use = 1"
    sql += " WHERE id = ? AND event_id = ?"
    values: list[object] = [held, confirmed, revenue, type_id, event_id]
    if taken > 0:
        sql += " AND (capacity IS NULL OR seats_confirmed + seats_held + ? <= capacity)"
        values.append(taken)
    return connection.execute(sql, values).rowcount == 1


def give_back_sync(connection: sqlite3.Connection, registration: Registration) -> None:
    """Return the seats of a registration that held or confirmed them (`seats_back`),
    to the event and to its types, inside the caller's transaction."""
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
    read = read_hold(
        connection, event, registration.user_id, now, promo_id=registration.promo_code_id
    )
    decision = decide_hold(read, registration, now)
    if not write_change(connection, event.id, decision):
        raise NotEnoughSeats(0)  # the decision read these counters: made certain here
    figures.seats(connection, event.id, decision.change, now)
    if registration.status is RegistrationStatus.CONFIRMED:
        # First: a failure after it (an id taken) rolls it back with the rest.
        write_job(connection, tickets_job(registration.id, now))  # invariant 8
    columns = registration_columns(registration)
    connection.execute(insert_sql("registrations", columns), columns)
    insert_tickets(connection, tickets)


def read_hold(
    connection: sqlite3.Connection,
    event: Event,
    user_id: str,
    now: datetime,
    besides: str = "",
    promo_id: str | None = None,
) -> HoldRead:
    """What a seat decision reads: the event, its types, the account's seats, and the
    promo code named (with its uses)."""
    return HoldRead(
        event=event,
        types={kind.id: kind for kind in read_types(connection, event)},
        account_seats=account_seats(connection, event.id, user_id, now, besides),
        promo=read_promo(connection, event.id, promo_id) if promo_id else None,
    )


def read_types(connection: sqlite3.Connection, event: Event) -> list[TicketType]:
    rows = connection.execute(
        "SELECT * FROM ticket_types WHERE event_id = ? ORDER BY position, id", (event.id,)
    ).fetchall()
    return [ticket_type_from_row(dict(row), event.currency) for row in rows]


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


def release_expired_sync(connection: sqlite3.Connection, event_id: str, now: datetime) -> int:
    """Expire the event's run-out holds and give their seats back, to the event and to
    each type; returns the seats freed."""
    held = RegistrationStatus.HELD.value
    expired = [
        registration_from_row(dict(row))
        for row in connection.execute(
            "UPDATE registrations SET status = ?, updated_at = ? "
            "WHERE event_id = ? AND status = ? AND hold_expires_at <= ? RETURNING *",
            (RegistrationStatus.EXPIRED.value, now, event_id, held, now),
        ).fetchall()
    ]
    change = combined([seats_back(replace(r, status=RegistrationStatus.HELD)) for r in expired])
    next_row = connection.execute(
        "SELECT hold_expires_at FROM registrations WHERE event_id = ? AND status = ? "
        "ORDER BY hold_expires_at LIMIT 1",
        (event_id, held),
    ).fetchone()
    next_expiry = next_row["hold_expires_at"] if next_row else None
    write_change(connection, event_id, HoldDecision(change, next_expiry))
    figures.seats(connection, event_id, change, now)
    # Invariant 7: the seats (a run-out offer's too) go to the waiting list first.
    from models.sqlite.waitlist import offer_sync  # it reads through this module

    offer_sync(connection, event_id, now)
    return -change.held
