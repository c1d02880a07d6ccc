"""The door's hot path: one scan is one transaction in one thread hop.

Of any number of concurrent scans of one ticket exactly one is admitted (invariant 2):
the admission is a conditional UPDATE (`... WHERE status = 'valid'`) inside BEGIN
IMMEDIATE, and every scan, admitted or not, is recorded in the same transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta

from models.errors import Forbidden, NotFound
from models.sqlite.rows import event_from_row, insert_sql, ticket_from_row
from models.tickets import (
    CheckinAttempt,
    CheckinOutcome,
    CheckinResult,
    Ticket,
    TicketStatus,
    door_refusal,
    door_window_result,
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
    if refusal := door_refusal(event, attempt.by_user_id, staff, attempt.at, grace):
        raise Forbidden(refusal)

    ticket: Ticket | None = None
    result: CheckinResult | None = None
    if attempt.ticket_id is None or code_event_id is None:
        result = CheckinResult.INVALID
    elif code_event_id != event.id:
        result = CheckinResult.WRONG_EVENT
    else:
        found = connection.execute(
            "SELECT * FROM tickets WHERE id = ?", (attempt.ticket_id,)
        ).fetchone()
        ticket = ticket_from_row(dict(found)) if found else None
        if ticket is None or ticket.event_id != event.id:
            result, ticket = CheckinResult.INVALID, None
        else:
            result = door_window_result(event, attempt.at, grace)
    if result is None and ticket is not None:
        result = _admit(connection, ticket, attempt)
        if result is CheckinResult.ADMITTED:
            ticket = replace(
                ticket,
                status=TicketStatus.USED,
                checked_in_at=attempt.at,
                checked_in_gate=attempt.gate,
            )
            event = replace(event, checked_in=event.checked_in + 1)
    assert result is not None
    recorded = {
        "id": attempt.id,
        "event_id": event.id,
        "ticket_id": ticket.id if ticket else attempt.ticket_id,
        "by_user_id": attempt.by_user_id,
        "gate": attempt.gate,
        "device": attempt.device,
        "result": result.value,
        "at": attempt.at,
    }
    connection.execute(insert_sql("checkins", recorded), recorded)
    return CheckinOutcome(result, ticket, event.checked_in, event.seats_confirmed)


def _admit(
    connection: sqlite3.Connection, ticket: Ticket, attempt: CheckinAttempt
) -> CheckinResult:
    if ticket.status is TicketStatus.VOID:
        return CheckinResult.VOID
    admitted = connection.execute(
        "UPDATE tickets SET status = ?, checked_in_at = ?, checked_in_gate = ? "
        "WHERE id = ? AND status = ?",
        (TicketStatus.USED.value, attempt.at, attempt.gate, ticket.id, TicketStatus.VALID.value),
    ).rowcount
    if admitted != 1:
        return CheckinResult.ALREADY_USED
    connection.execute(
        "UPDATE events SET checked_in = checked_in + 1 WHERE id = ?", (ticket.event_id,)
    )
    return CheckinResult.ADMITTED


def _is_door_staff(connection: sqlite3.Connection, attempt: CheckinAttempt) -> bool:
    key = f"{attempt.event_id}:{attempt.by_user_id}"
    return (
        connection.execute("SELECT 1 FROM door_staff WHERE key = ?", (key,)).fetchone() is not None
    )
