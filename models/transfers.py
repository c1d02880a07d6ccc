"""Passing a ticket on (API.md "Transfers"): who may, what it changes, and the record.

A transfer keeps the ticket's id and moves it to its new holder: the account with that
email if there is one (else no account holds it, and the mail is how it arrives), under
the new name, with the next code generation, so every code handed out before no longer
admits (models/tickets.py `decide_check_in`; the door phones after their next sync). The
store writes the ticket, the record and the mail's job in one step, conditioned on the
ticket being as read: of a transfer and a scan of the old code, one wins.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from models.domain import Event, EventStatus, email_problem, name_problem, normalize_email
from models.errors import (
    AdmitError,
    InvalidTransition,
    NotFound,
    TicketUsed,
    TicketVoid,
    TransfersLocked,
)
from models.outbox import DeliveryJob, JobKind, new_job
from models.ticket_codes import MOST_GENERATIONS
from models.tickets import Ticket, TicketStatus

NOT_YOURS = "This ticket does not exist."
USED = "This ticket was already used at the door, so it can no longer be passed on."


@dataclass(frozen=True)
class Transfer:
    """One ticket passed on: who, when, from and to. `to_user_id` is "" when no account
    had the address; `generation` is the ticket's code generation after it."""

    id: str
    ticket_id: str
    event_id: str
    by_user_id: str
    to_name: str
    to_email: str  # normalised (trimmed, lower-case)
    to_user_id: str
    at: datetime
    registration_id: str = ""
    from_user_id: str = ""
    from_name: str = ""
    generation: int = 0


def transfer_problems(name: str, email: str, own_email: str) -> dict[str, str]:
    """What is wrong with the new holder as typed, by field."""
    problems = {"name": name_problem(name), "email": email_problem(email)}
    if not problems["email"] and normalize_email(email) == normalize_email(own_email):
        problems["email"] = "That is your own address: enter the new holder's."
    if problems["name"] == "Enter your name.":
        problems["name"] = "Enter the new holder's name."
    if problems["email"] == "Enter your email address.":
        problems["email"] = "Enter the new holder's email address."
    return {field: text for field, text in problems.items() if text}


def transfer_refusal(
    event: Event | None, ticket: Ticket | None, holder_id: str, now: datetime
) -> AdmitError | None:
    """Why `holder_id` may not pass `ticket` on now (read in the store's step), or None.
    Someone who does not hold it (its former holder included) is told it does not exist."""
    if ticket is None or event is None or not holder_id or ticket.user_id != holder_id:
        return NotFound(NOT_YOURS)
    if ticket.status is TicketStatus.USED:
        return TicketUsed(USED)
    if ticket.status is TicketStatus.VOID or event.status is EventStatus.CANCELLED:
        return TicketVoid()
    if not event.transfers_allowed:
        return TransfersLocked()
    if now >= event.ends_at:
        return InvalidTransition("This event is over: its tickets can no longer be passed on.")
    if ticket.code_generation >= MOST_GENERATIONS:
        return InvalidTransition("This ticket has been passed on too many times.")
    return None


def completed(transfer: Transfer, ticket: Ticket) -> Transfer:
    """The record as stored: what the ticket was, and the generation it moves to."""
    return replace(
        transfer,
        event_id=ticket.event_id,
        registration_id=ticket.registration_id,
        from_user_id=ticket.user_id,
        from_name=ticket.attendee_name,
        generation=ticket.code_generation + 1,
    )


def transferred(ticket: Ticket, transfer: Transfer) -> Ticket:
    """The ticket after `transfer` (as `completed`)."""
    return replace(
        ticket,
        user_id=transfer.to_user_id,
        attendee_name=transfer.to_name,
        code_generation=transfer.generation,
    )


def transfer_job(transfer_id: str, now: datetime) -> DeliveryJob:
    """The new holder's mail (the ticket and its PDF), written with the transfer."""
    return new_job(JobKind.TRANSFER, transfer_id, now)
