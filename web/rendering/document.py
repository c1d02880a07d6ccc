"""What a ticket shows, as plain data: the input of every ticket renderer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TicketDocument:
    ticket_id: str
    code: str  # exactly the text of the QR code
    event_title: str
    venue: str
    starts_local: datetime  # aware, in the event's time zone
    ends_local: datetime
    timezone: str  # IANA name, e.g. "Europe/Lisbon"
    attendee_name: str
    seat_label: str  # e.g. "Ticket 2 of 3"
    price_label: str  # e.g. "€25.00" or "Free"
    organizer_name: str
    ticket_type_name: str = ""  # e.g. "VIP"; also leads `seat_label`


@dataclass(frozen=True)
class RenderedFile:
    filename: str
    content_type: str
    data: bytes
