"""The door's hot path: one scan is one transaction in one thread hop.

Of any number of concurrent scans of one ticket exactly one is admitted (invariant 2):
the admission is a conditional UPDATE (`... WHERE status = 'valid'`) inside BEGIN
IMMEDIATE, and every scan, admitted or not, is recorded in the same transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta

from models.errors import NotFound
from models.sqlite import figures
from models.sqlite.rows import event_from_row, insert_sql, ticket_from_row
from models.tickets import (
    CheckinAttempt,
    CheckinDecision,
    CheckinOutcome,
    CheckinResult,
    Ticket,
    TicketStatus,
    decide_check_in,
    scanner_of,
)


def check_in(
    connection: sqlite3.Connection,
    attempt: CheckinAttempt,
    code_event_id: str | None,
    grace: timedelta,
) -> CheckinOutcome:
    row = connection.execute("SELECT * FROM events WHERE id = ?", (attempt.event_id,)).fetchone()
    if row is None:
        raise NotFound("This event does not exist.")
    event = event_from_row(dict(row))
    staff = event.organizer_id != attempt.by_user_id and _is_door_staff(connection, attempt)
    scanner = scanner_of(event, attempt.by_user_id, staff)

    def decide() -> CheckinDecision:
        ticket = _ticket(connection, attempt.ticket_id)
        return decide_check_in(
            event,
            scanner,
            attempt.ticket_id,
            code_event_id,
            ticket,
            attempt.at,
            grace,
            attempt.code_generation,
        )

    decision = decide()
    if decision.result is CheckinResult.ADMITTED:
        assert decision.ticket is not None
        if _admit(connection, decision.ticket, attempt):
            figures.admitted(connection, event.id, attempt.at, attempt.gate)
            event = replace(event, checked_in=event.checked_in + 1)
            used = replace(
                decision.ticket,
                status=TicketStatus.USED,
                checked_in_at=attempt.at,
                checked_in_gate=attempt.gate,
            )
            decision = CheckinDecision(CheckinResult.ADMITTED, used)
        else:  # the transaction holds the lock, so this is unreachable: decide again
            decision = decide()
    recorded = {
        "id": attempt.id,
        "event_id": event.id,
        "ticket_id": decision.ticket.id if decision.ticket else attempt.ticket_id,
        "by_user_id": attempt.by_user_id,
        "gate": attempt.gate,
        "device": attempt.device,
        "result": decision.result.value,
        "at": attempt.at,
    }
    connection.execute(insert_sql("checkins", recorded), recorded)
    return CheckinOutcome(decision.result, decision.ticket, event.checked_in, event.seats_confirmed)


def _ticket(connection: sqlite3.Connection, ticket_id: str | None) -> Ticket | None:
    if ticket_id is None:
        return None
    found = connection.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    return ticket_from_row(dict(found)) if found else None


def _admit(connection: sqlite3.Connection, ticket: Ticket, attempt: CheckinAttempt) -> bool:
    """Mark the ticket used, on condition that it is still valid (invariant 2)."""
    admitted = connection.execute(
        "UPDATE tickets SET status = ?, checked_in_at = ?, checked_in_gate = ? "
        "WHERE id = ? AND status = ? AND code_generation = ?",
        (
            TicketStatus.USED.value,
            attempt.at,
            attempt.gate,
            ticket.id,
            TicketStatus.VALID.value,
            ticket.code_generation,
        ),
    ).rowcount
    if admitted != 1:
        return False
    connection.execute(
        "UPDATE events SET checked_in = checked_in + 1 WHERE id = ?", (ticket.event_id,)
    )
    return True


def _is_door_staff(connection: sqlite3.Connection, attempt: CheckinAttempt) -> bool:
    key = f"{attempt.event_id}:{attempt.by_user_id}"
    return (
        connection.execute("SELECT 1 FROM door_staff WHERE key = ?", (key,)).fetchone() is not None
    )
