"""May this registration be cancelled now, and by whom: one pure decision that both stores
call inside their cancelling transaction (so a scan at the door and a cancellation cannot
both win), and that the pages call to show or hide the button."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from models.domain import SEAT_TAKING, Event, Registration
from models.errors import (
    AdmitError,
    CancellationClosed,
    InvalidTransition,
    TicketTransferred,
    TicketUsed,
)
from models.tickets import TicketStatus


class Canceller(StrEnum):
    """Who asks: the attendee is bound by the window and by used tickets; the event's
    organizer may cancel (and refund) anything that still holds seats."""

    ATTENDEE = "attendee"
    ORGANIZER = "organizer"


def attendee_window_closes_at(event: Event) -> datetime:
    """The earlier of the event's own cancellation deadline and the opening of its doors:
    once people are let in, a ticket could be used and then refunded."""
    return min(event.cancellation_deadline, event.effective_doors_open_at)


def cancellation_refusal(
    registration: Registration,
    event: Event,
    ticket_statuses: Iterable[TicketStatus],
    now: datetime,
    by: Canceller,
    passed_on: bool = False,
) -> AdmitError | None:
    """Why this cancellation may not happen, or None when it may. `passed_on`: a ticket of
    it was transferred (its code generation is above 0), so someone else holds it now."""
    if registration.status not in SEAT_TAKING:
        return InvalidTransition(f"This registration is already {registration.status}.")
    if by is Canceller.ORGANIZER:
        return None
    if any(status is TicketStatus.USED for status in ticket_statuses):
        return TicketUsed()
    if passed_on:
        return TicketTransferred()
    closes = attendee_window_closes_at(event)
    if now >= closes:
        when = closes.astimezone(event.zone).strftime("%d %b %Y, %H:%M")
        return CancellationClosed(
            f"The time to cancel ended on {when} ({event.timezone}). Ask the organizer."
        )
    return None
