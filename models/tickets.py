"""Tickets and check-ins: entities and the rules of the door, plain Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from models.domain import Event, Registration, new_id


class TicketStatus(StrEnum):
    VALID = "valid"
    USED = "used"
    VOID = "void"


class CheckinResult(StrEnum):
    ADMITTED = "admitted"
    ALREADY_USED = "already_used"
    WRONG_EVENT = "wrong_event"
    VOID = "void"
    INVALID = "invalid"
    NOT_YET_OPEN = "not_yet_open"
    EVENT_OVER = "event_over"


@dataclass(frozen=True)
class Ticket:
    id: str
    event_id: str
    registration_id: str
    user_id: str
    attendee_name: str
    buyer_name: str
    seat_no: int
    seats: int
    status: TicketStatus
    created_at: datetime
    checked_in_at: datetime | None = None
    checked_in_gate: str | None = None

    @property
    def seat_label(self) -> str:
        return f"Ticket {self.seat_no} of {self.seats}"


def tickets_for(registration: Registration, now: datetime) -> list[Ticket]:
    """One ticket per seat; named seats first, the rest under the buyer's name."""
    names = list(registration.attendee_names)
    return [
        Ticket(
            id=new_id(),
            event_id=registration.event_id,
            registration_id=registration.id,
            user_id=registration.user_id,
            attendee_name=names[seat] if seat < len(names) else registration.buyer_name,
            buyer_name=registration.buyer_name,
            seat_no=seat + 1,
            seats=registration.quantity,
            status=TicketStatus.VALID,
            created_at=now,
        )
        for seat in range(registration.quantity)
    ]


DEFAULT_GRACE = timedelta(hours=6)
GATE_MAX = 60
DEVICE_MAX = 64


def door_window_result(event: Event, now: datetime, grace: timedelta) -> CheckinResult | None:
    """`not_yet_open` before the doors open, `event_over` after the end plus a grace."""
    if now < event.effective_doors_open_at:
        return CheckinResult.NOT_YET_OPEN
    if now > event.ends_at + grace:
        return CheckinResult.EVENT_OVER
    return None


DOOR_STAFF_ENDED = "Your access as door staff ended with this event's check-in window."
NOT_DOOR_STAFF = "Only this event's door staff and organizer can check tickets."


def door_refusal(
    event: Event, user_id: str, is_staff: bool, now: datetime, grace: timedelta
) -> str | None:
    """Why `user_id` may not check tickets of `event` now (None: they may). The organizer
    always may; door staff only until the check-in window closes (the end plus the
    grace), so a phone left signed in after the night opens nothing."""
    if user_id == event.organizer_id:
        return None
    if not is_staff:
        return NOT_DOOR_STAFF
    if now > event.ends_at + grace:
        return DOOR_STAFF_ENDED
    return None


@dataclass(frozen=True)
class DoorInvitation:
    """Door staff asked for by email before any account used that address: the role
    applies when someone signs up with it and verifies it (`Accounts`)."""

    id: str
    event_id: str
    email: str  # normalised (trimmed, lower-case)
    created_at: datetime


@dataclass(frozen=True)
class CheckinAttempt:
    """One scan as the door sent it; recorded whatever its result."""

    id: str
    event_id: str
    ticket_id: str | None  # None when the code was not one we signed
    by_user_id: str
    gate: str
    device: str
    at: datetime


@dataclass(frozen=True)
class CheckinOutcome:
    result: CheckinResult
    ticket: Ticket | None
    admitted: int  # the event's admitted count after this scan
    total: int  # tickets that may enter (valid or used)
