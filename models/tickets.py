"""Tickets and check-ins: entities and the rules of the door, plain Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from models.domain import Event, Registration, new_id
from models.errors import Forbidden


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
    ticket_type_id: str = ""
    ticket_type_name: str = ""
    # 0 for the code the ticket was issued with; one more with each transfer, so a code
    # handed out before the last transfer no longer admits (models/ticket_codes.py).
    code_generation: int = 0

    @property
    def seat_label(self) -> str:
        return f"Ticket {self.seat_no} of {self.seats}"


def tickets_for(registration: Registration, now: datetime) -> list[Ticket]:
    """One ticket per seat, by type in the order of the registration's items; named seats
    first, the rest (and blank ones) under the buyer's name."""
    names = list(registration.attendee_names)
    kinds = [item for item in registration.seat_items for _ in range(item.quantity)]
    return [
        Ticket(
            id=new_id(),
            event_id=registration.event_id,
            registration_id=registration.id,
            user_id=registration.user_id,
            attendee_name=(names[seat] if seat < len(names) else "") or registration.buyer_name,
            buyer_name=registration.buyer_name,
            seat_no=seat + 1,
            seats=registration.quantity,
            status=TicketStatus.VALID,
            created_at=now,
            ticket_type_id=kinds[seat].ticket_type_id,
            ticket_type_name=kinds[seat].name,
        )
        for seat in range(registration.quantity)
    ]


DEFAULT_GRACE = timedelta(hours=6)
GATE_MAX = 60
DEVICE_MAX = 64


@dataclass(frozen=True)
class DoorHours:
    """When the door checks tickets of an event: from `opens_at` (the doors) to
    `closes_at` (the end plus the grace), both included. The offline list carries these
    two times, so the phone decides with the same edges."""

    opens_at: datetime
    closes_at: datetime


def door_hours(event: Event, grace: timedelta) -> DoorHours:
    return DoorHours(event.effective_doors_open_at, event.ends_at + grace)


def door_window_result(event: Event, now: datetime, grace: timedelta) -> CheckinResult | None:
    """`not_yet_open` before the doors open, `event_over` after the end plus a grace."""
    hours = door_hours(event, grace)
    if now < hours.opens_at:
        return CheckinResult.NOT_YET_OPEN
    if now > hours.closes_at:
        return CheckinResult.EVENT_OVER
    return None


DOOR_STAFF_ENDED = "Your access as door staff ended with this event's check-in window."
NOT_DOOR_STAFF = "Only this event's door staff and organizer can check tickets."


class Scanner(StrEnum):
    """Who scans: the event's organizer, its door staff, or someone who is neither."""

    ORGANIZER = "organizer"
    DOOR_STAFF = "door_staff"
    OTHER = "other"


def scanner_of(event: Event, user_id: str, is_staff: bool) -> Scanner:
    if user_id == event.organizer_id:
        return Scanner.ORGANIZER
    return Scanner.DOOR_STAFF if is_staff else Scanner.OTHER


def scanner_refusal(event: Event, scanner: Scanner, now: datetime, grace: timedelta) -> str | None:
    """Why this scanner may not check tickets of `event` now (None: they may). The
    organizer always may; door staff only until the check-in window closes (the end plus
    the grace), so a phone left signed in after the night opens nothing."""
    if scanner is Scanner.ORGANIZER:
        return None
    if scanner is Scanner.OTHER:
        return NOT_DOOR_STAFF
    if now > door_hours(event, grace).closes_at:
        return DOOR_STAFF_ENDED
    return None


def door_refusal(
    event: Event, user_id: str, is_staff: bool, now: datetime, grace: timedelta
) -> str | None:
    """`scanner_refusal` for the account `user_id` (door staff of the event or not)."""
    return scanner_refusal(event, scanner_of(event, user_id, is_staff), now, grace)


@dataclass(frozen=True)
class CheckinDecision:
    """The answer to one scan, and the ticket it names (None for a code that is not
    ours or is another event's). `ADMITTED` is the one write: the store marks the ticket
    used on condition that it is still valid, and decides again on the ticket read anew
    if that condition fails (invariant 2)."""

    result: CheckinResult
    ticket: Ticket | None


def decide_check_in(
    event: Event,
    scanner: Scanner,
    code_ticket_id: str | None,
    code_event_id: str | None,
    ticket: Ticket | None,
    now: datetime,
    grace: timedelta,
    code_generation: int | None = 0,
) -> CheckinDecision:
    """Does this scan admit. Input, read inside the store's transaction: the event the
    door checks, who scans, what the code says (the ticket and event it was signed for;
    None when it is not a code we signed) and the ticket with that id (None if none).

    In this order: a scanner who may not check is refused (raises `Forbidden`); a code
    not ours is `invalid`; another event's code is `wrong_event`; a ticket we do not
    have (or of another event) is `invalid`; outside the door hours `not_yet_open` or
    `event_over` (the edges themselves are inside); then `void` (a void ticket, or a code
    of another generation than the ticket's: it was passed on since), `already_used`, and
    otherwise `admitted`. The door's offline decision (static/js/door-offline.js) follows
    the same order, and models/checkin_cases.json holds the cases both are tested on."""
    if refusal := scanner_refusal(event, scanner, now, grace):
        raise Forbidden(refusal)
    if code_ticket_id is None or code_event_id is None:
        return CheckinDecision(CheckinResult.INVALID, None)
    if code_event_id != event.id:
        return CheckinDecision(CheckinResult.WRONG_EVENT, None)
    if ticket is None or ticket.id != code_ticket_id or ticket.event_id != event.id:
        return CheckinDecision(CheckinResult.INVALID, None)
    if outside := door_window_result(event, now, grace):
        return CheckinDecision(outside, ticket)
    stale = code_generation is not None and code_generation != ticket.code_generation
    if ticket.status is TicketStatus.VOID or stale:
        return CheckinDecision(CheckinResult.VOID, ticket)
    if ticket.status is TicketStatus.USED:
        return CheckinDecision(CheckinResult.ALREADY_USED, ticket)
    return CheckinDecision(CheckinResult.ADMITTED, ticket)


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
    # The generation the code was signed for; None for a ticket the door found by name
    # (by its id: whichever code it has now).
    code_generation: int | None = 0


@dataclass(frozen=True)
class CheckinOutcome:
    result: CheckinResult
    ticket: Ticket | None
    admitted: int  # the event's admitted count after this scan
    total: int  # tickets that may enter (valid or used)
