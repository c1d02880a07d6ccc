"""Cancelling a registration on SQLite: one transaction in one thread hop.

The decision (`models.cancellation.cancellation_refusal`) reads the registration, its
event and its tickets inside the same BEGIN IMMEDIATE transaction that voids the tickets,
and a scan at the door (models/sqlite/door.py) takes the same lock: a scan and a
cancellation racing each other are serialised, so either the scan admits and the
attendee's cancellation is refused (`ticket_used`), or the cancellation voids the ticket
first and the scan answers `void`.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from models.cancellation import Canceller, cancellation_refusal
from models.domain import Registration, RegistrationStatus
from models.errors import NotFound
from models.seat_rules import seats_back
from models.sqlite import figures, seats, waitlist
from models.sqlite.rows import registration_from_row
from models.tickets import TicketStatus


def read_registration(connection: sqlite3.Connection, registration_id: str) -> Registration:
    row = connection.execute(
        "SELECT * FROM registrations WHERE id = ?", (registration_id,)
    ).fetchone()
    if row is None:
        raise NotFound("This registration does not exist.")
    return registration_from_row(dict(row))


def cancel(
    connection: sqlite3.Connection,
    registration_id: str,
    to: RegistrationStatus,
    now: datetime,
    by: Canceller,
) -> Registration:
    registration = read_registration(connection, registration_id)
    event = seats.read_event(connection, registration.event_id)
    rows = connection.execute(
        "SELECT status, code_generation FROM tickets WHERE registration_id = ?",
        (registration_id,),
    ).fetchall()
    statuses = [TicketStatus(row["status"]) for row in rows]
    passed_on = any(row["code_generation"] for row in rows)
    if refusal := cancellation_refusal(registration, event, statuses, now, by, passed_on):
        raise refusal
    connection.execute(
        "UPDATE registrations SET status = ?, updated_at = ? WHERE id = ?",
        (to.value, now, registration_id),
    )
    seats.give_back_sync(connection, registration)
    figures.seats(connection, event.id, seats_back(registration), now)
    void_valid_tickets(connection, registration_id)
    waitlist.offer_sync(connection, event.id, now)  # invariant 7: the list first
    return read_registration(connection, registration_id)


def void_valid_tickets(connection: sqlite3.Connection, registration_id: str) -> None:
    """Void the registration's tickets that were not used: a used one stays used."""
    connection.execute(
        "UPDATE tickets SET status = ? WHERE registration_id = ? AND status = ?",
        (TicketStatus.VOID.value, registration_id, TicketStatus.VALID.value),
    )
