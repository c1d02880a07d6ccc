"""CSV export of an event's registrations, generated page by page as it streams."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from decimal import Decimal

from models.domain import Event, Registration, User
from models.event_rules import minor_exponent
from models.tickets import Ticket, TicketStatus
from web.services.events import Events
from web.services.registrations import Registrations
from web.services.tickets import Tickets

HEADER = (
    "Name",
    "Email",
    "Attendee names",
    "Quantity",
    "Status",
    "Amount",
    "Currency",
    "Registered at",
    "Ticket ids",
    "Checked in",
    "Ticket types",
)
BATCH = 200
# A cell starting with one of these is a formula to a spreadsheet; a leading apostrophe
# makes it plain text (OWASP's advice for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def type_lines(registration: Registration) -> str:
    """E.g. "2 x Standard; 1 x Student"."""
    return "; ".join(f"{item.quantity} x {item.name}" for item in registration.seat_items)


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _row(registration: Registration, event: Event, tickets: list[Ticket]) -> list[str]:
    exponent = minor_exponent(registration.currency)
    amount = Decimal(registration.amount).scaleb(-exponent)
    created = registration.created_at.astimezone(event.zone)
    return [
        neutralise(registration.buyer_name),
        neutralise(registration.buyer_email),
        neutralise("; ".join(registration.attendee_names)),
        str(registration.quantity),
        registration.status.value,
        f"{amount:.{exponent}f}",
        registration.currency,
        created.strftime("%Y-%m-%d %H:%M:%S %Z"),
        " ".join(ticket.id for ticket in tickets),
        str(sum(ticket.status is TicketStatus.USED for ticket in tickets)),
        neutralise(type_lines(registration)),
    ]


def _line(cells: list[str] | tuple[str, ...]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


class Exports:
    def __init__(self, events: Events, registrations: Registrations, tickets: Tickets) -> None:
        self.events = events
        self.registrations = registrations
        self.tickets = tickets

    async def registrations_csv(
        self, organizer: User, event_id: str
    ) -> tuple[Event, AsyncIterator[str]]:
        """Check access first (so a stranger gets 404, not an empty file), then stream.

        UTF-8 with a byte-order mark, so spreadsheet programs read accents correctly.
        """
        event = await self.events.owned(organizer, event_id)

        async def lines() -> AsyncIterator[str]:
            yield "\ufeff" + _line(HEADER)
            cursor = None
            while True:
                page = await self.registrations.for_event(
                    organizer, event.id, limit=BATCH, cursor=cursor
                )
                rows = [_row(r, event, await self.tickets.for_registration(r)) for r in page.items]
                yield "".join(_line(row) for row in rows)
                if page.next_cursor is None:
                    return
                cursor = page.next_cursor

        return event, lines()
