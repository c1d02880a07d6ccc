"""CSV export of an event's registrations, generated page by page as it streams: one row
per ticket (per seat, before tickets are issued), with a column per question."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from decimal import Decimal

from models.domain import Event, Registration, User
from models.event_rules import minor_exponent
from models.questions import Question, shown
from models.tickets import Ticket, TicketStatus
from web.services.events import Events
from web.services.questions import Questions
from web.services.registrations import Registrations
from web.services.tickets import Tickets

HEADER = (
    "Registration id",
    "Name",
    "Email",
    "Status",
    "Registered at",
    "Seat",
    "Ticket type",
    "Attendee name",
    "Ticket id",
    "Checked in",
    "Amount",
    "Currency",
)
BATCH = 200
# A cell starting with one of these is a formula to a spreadsheet; a leading apostrophe
# makes it plain text (OWASP's advice for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def header(questions: list[Question]) -> list[str]:
    """The fixed columns, then one per question headed by its label (a deleted one's
    marked so)."""
    return [*HEADER, *(q.label + (" (deleted)" if q.deleted else "") for q in questions)]


def _rows(
    registration: Registration, event: Event, tickets: list[Ticket], questions: list[Question]
) -> list[list[str]]:
    """One row per seat: the registration's figures, the seat's ticket, then the answers
    (those asked once repeat on each seat's row, so every row stands alone)."""
    exponent = minor_exponent(registration.currency)
    created = registration.created_at.astimezone(event.zone)
    by_seat = {ticket.seat_no - 1: ticket for ticket in tickets}
    names = list(registration.attendee_names)
    kinds = [item for item in registration.seat_items for _ in range(item.quantity)]
    rows = []
    for seat in range(registration.quantity):
        ticket = by_seat.get(seat)
        item = kinds[seat] if seat < len(kinds) else None
        price = Decimal(item.amount // item.quantity if item else 0).scaleb(-exponent)
        name = ticket.attendee_name if ticket else (names[seat] if seat < len(names) else "")
        seat_answers = (
            registration.seat_answers[seat] if seat < len(registration.seat_answers) else {}
        )
        answers = [
            shown(q, (seat_answers if q.per_ticket else registration.answers).get(q.id))
            for q in questions
        ]
        rows.append(
            [
                registration.id,
                neutralise(registration.buyer_name),
                neutralise(registration.buyer_email),
                registration.status.value,
                created.strftime("%Y-%m-%d %H:%M:%S %Z"),
                f"{seat + 1} of {registration.quantity}",
                neutralise(item.name if item else ""),
                neutralise(name or registration.buyer_name),
                ticket.id if ticket else "",
                "yes" if ticket and ticket.status is TicketStatus.USED else "no",
                f"{price:.{exponent}f}",
                registration.currency,
                *(neutralise(answer) for answer in answers),
            ]
        )
    return rows


def _answered(registration: Registration) -> set[str]:
    """The ids of the questions this registration answered."""
    ids = set(registration.answers)
    for seat in registration.seat_answers:
        ids.update(seat)
    return ids


def _line(cells: list[str] | tuple[str, ...]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


class Exports:
    def __init__(
        self,
        events: Events,
        registrations: Registrations,
        tickets: Tickets,
        questions: Questions,
    ) -> None:
        self.events = events
        self.registrations = registrations
        self.tickets = tickets
        self.questions = questions

    async def _columns(self, organizer: User, event: Event) -> list[Question]:
        """The questions asked, then the deleted ones that some registration answered
        (found by a first pass over the registrations, made only when one was deleted)."""
        questions = await self.questions.with_deleted(event)
        deleted = {q.id for q in questions if q.deleted}
        answered: set[str] = set()
        cursor = None
        while deleted - answered:
            page = await self.registrations.for_event(
                organizer, event.id, limit=BATCH, cursor=cursor
            )
            for registration in page.items:
                answered |= _answered(registration)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        return [q for q in questions if not q.deleted or q.id in answered]

    async def registrations_csv(
        self, organizer: User, event_id: str
    ) -> tuple[Event, AsyncIterator[str]]:
        """Check access first (so a stranger gets 404, not an empty file), then stream.

        UTF-8 with a byte-order mark, so spreadsheet programs read accents correctly.
        """
        event = await self.events.owned(organizer, event_id)

        async def lines() -> AsyncIterator[str]:
            questions = await self._columns(organizer, event)
            yield "\ufeff" + _line(header(questions))
            cursor = None
            while True:
                page = await self.registrations.for_event(
                    organizer, event.id, limit=BATCH, cursor=cursor
                )
                rows = [
                    row
                    for r in page.items
                    for row in _rows(r, event, await self.tickets.for_registration(r), questions)
                ]
                yield "".join(_line(row) for row in rows)
                if page.next_cursor is None:
                    return
                cursor = page.next_cursor

        return event, lines()
