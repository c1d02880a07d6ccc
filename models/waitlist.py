"""Waiting-list entries: plain data (issue 14, API.md "Waiting list").

An entry waits for `quantity` seats of one ticket type of an event. When seats come back
it is offered them: it gets a held registration of its own (`registration_id`), whose
fate then says what became of the offer (`shown_status`): paid or confirmed, accepted;
run out, expired; cancelled, left. The store keeps only waiting, offered and left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from models.domain import Registration, RegistrationStatus


class EntryStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    LEFT = "left"


@dataclass(frozen=True)
class WaitlistEntry:
    id: str
    event_id: str
    ticket_type_id: str
    user_id: str
    # Who the offer's registration is for (a registration carries its buyer's name and
    # address, and the offer's mail goes there).
    user_name: str
    user_email: str
    quantity: int
    status: EntryStatus
    created_at: datetime
    updated_at: datetime | None = None
    registration_id: str | None = None
    offer_expires_at: datetime | None = None

    @property
    def waiting(self) -> bool:
        return self.status is EntryStatus.WAITING


def shown_status(
    entry: WaitlistEntry, registration: Registration | None, now: datetime
) -> EntryStatus:
    """What an offered entry became, read from its registration."""
    if entry.status is not EntryStatus.OFFERED or registration is None:
        return entry.status
    status = registration.status
    if status is RegistrationStatus.CONFIRMED or status is RegistrationStatus.REFUNDED:
        return EntryStatus.ACCEPTED
    if status is RegistrationStatus.EXPIRED or registration.hold_expired(now):
        return EntryStatus.EXPIRED
    if status is RegistrationStatus.CANCELLED:
        return EntryStatus.LEFT
    return EntryStatus.OFFERED


def positions(entries: list[WaitlistEntry]) -> dict[str, int]:
    """Each waiting entry's place (from 1) among the event's waiting entries, in the
    order they joined (`entries` in that order)."""
    places: dict[str, int] = {}
    for entry in entries:
        if entry.waiting:
            places[entry.id] = len(places) + 1
    return places


def order_key(entry: WaitlistEntry) -> tuple[datetime, str]:
    return (entry.created_at, entry.id)
