"""Exports of an event's registrations: the CSV, generated page by page as it streams, and
the same rows as an XLSX workbook (one row per ticket, or per seat before tickets are
issued, with a column per question); and the printable attendee list (a PDF sorted by
name) for the door when no phone works."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

from models.domain import Event, Registration, User, utcnow
from models.event_rules import minor_exponent
from models.questions import Question, shown
from models.store import Store
from models.tickets import Ticket, TicketStatus
from web.rendering.attendee_list import AttendeeLine, AttendeeList, attendee_list_pdf, sort_key
from web.rendering.document import RenderedFile
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
    registration: Registration,
    event: Event,
    tickets: list[Ticket],
    questions: list[Question],
    clean: Callable[[str], str] = neutralise,
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
                clean(registration.buyer_name),
                clean(registration.buyer_email),
                registration.status.value,
                created.strftime("%Y-%m-%d %H:%M:%S %Z"),
                f"{seat + 1} of {registration.quantity}",
                clean(item.name if item else ""),
                clean(name or registration.buyer_name),
                ticket.id if ticket else "",
                "yes" if ticket and ticket.status is TicketStatus.USED else "no",
                f"{price:.{exponent}f}",
                registration.currency,
                *(clean(answer) for answer in answers),
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
        store: Store,
    ) -> None:
        self.store = store
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

    async def _all_rows(
        self, organizer: User, event: Event, questions: list[Question]
    ) -> AsyncIterator[list[str]]:
        cursor = None
        while True:
            page = await self.registrations.for_event(
                organizer, event.id, limit=BATCH, cursor=cursor
            )
            for registration in page.items:
                tickets = await self.tickets.for_registration(registration)
                for row in _rows(registration, event, tickets, questions, clean=str):
                    yield row
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def registrations_xlsx(self, organizer: User, event_id: str) -> RenderedFile:
        """The CSV's rows as a workbook: text stays text (a cell starting with "=" is
        never a formula), the header row is frozen."""
        from openpyxl import Workbook
        from openpyxl.cell import Cell, WriteOnlyCell
        from openpyxl.styles import Font

        event = await self.events.owned(organizer, event_id)
        questions = await self._columns(organizer, event)
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Registrations")
        sheet.freeze_panes = "A2"
        bold = Font(bold=True)

        def text(value: str, header: bool = False) -> Cell:
            cell = WriteOnlyCell(sheet, value=_xlsx_safe(value))
            cell.data_type = "s"  # never a formula, whatever the text starts with
            if header:
                cell.font = bold
            return cell

        sheet.append([text(name, header=True) for name in header(questions)])
        async for row in self._all_rows(organizer, event, questions):
            sheet.append([text(value) for value in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return RenderedFile(
            f"registrations-{event.id}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            buffer.getvalue(),
        )

    async def attendee_list(self, organizer: User, event_id: str) -> RenderedFile:
        """Every ticket that may still enter (or did), sorted by the attendee's name."""
        event = await self.events.owned(organizer, event_id)
        tickets = [
            t
            for t in await self.store.list_event_tickets(event.id)
            if t.status is not TicketStatus.VOID
        ]
        lines = sorted(
            (
                AttendeeLine(
                    name=t.attendee_name or t.buyer_name,
                    ticket_type=t.ticket_type_name,
                    buyer=t.buyer_name,
                    ticket_id=t.id,
                    checked_in_at=t.checked_in_at.astimezone(event.zone)
                    if t.checked_in_at
                    else None,
                )
                for t in tickets
            ),
            key=lambda line: (sort_key(line.name), line.ticket_id),
        )
        document = AttendeeList(
            event_title=event.title,
            starts_local=event.local_starts_at,
            venue=event.venue,
            printed_local=utcnow().astimezone(event.zone),
            lines=tuple(lines),
        )
        return attendee_list_pdf(document, f"attendees-{event.id}.pdf")


# XML 1.0 cannot hold most control characters; openpyxl refuses them.
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def _xlsx_safe(value: str) -> str:
    return value.translate(_CONTROL)
