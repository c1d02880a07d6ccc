"""Ticket use cases: my tickets, the ticket page, its PDF and the links that download it.

Codes are never stored: Ed25519 signatures are deterministic, so a ticket's code is
recomputed from its id whenever it is shown. The door is in `door.py`, mailing tickets
in `delivery.py`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from models.domain import Event, Registration, RegistrationStatus, User, normalize_email, utcnow
from models.errors import NotFound
from models.money import money
from models.store import Store
from models.ticket_codes import CodeSigner
from models.tickets import Ticket, TicketStatus
from web.adapters.files.port import DownloadLink, Files, LinkRefused
from web.rendering.document import RenderedFile, TicketDocument

# A phone keeps at most this many upcoming tickets offline (a page and a PDF each).
OFFLINE_MAX = 100


@dataclass(frozen=True)
class TicketView:
    ticket: Ticket
    event: Event
    code: str


class TicketNotRendered(Exception):
    """The PDF renderer failed on a ticket: the same data fails the same way again."""


class DownloadRefused(Exception):
    """A download link that does not open: altered, expired, or naming no file."""

    def __init__(self, expired: bool, fresh_ticket_id: str | None, minutes: int) -> None:
        super().__init__("expired" if expired else "not valid")
        self.expired = expired
        # The ticket the link was for, when the person asking may get a fresh link to it.
        self.fresh_ticket_id = fresh_ticket_id
        self.minutes = minutes  # how long a link works


def pdf_key(ticket: Ticket) -> str:
    """Where its PDF is kept: one file per code generation, so the PDF of a ticket passed
    on never shows the code it had before."""
    if ticket.code_generation:
        return f"tickets/{ticket.event_id}/{ticket.id}.g{ticket.code_generation}.pdf"
    return f"tickets/{ticket.event_id}/{ticket.id}.pdf"


class Tickets:
    def __init__(self, store: Store, signer: CodeSigner, files: Files, download_ttl: int) -> None:
        self.store = store
        self.signer = signer
        self.files = files
        self.download_ttl = download_ttl

    def view(self, ticket: Ticket, event: Event) -> TicketView:
        code = self.signer.sign(ticket.id, ticket.event_id, ticket.code_generation)
        return TicketView(ticket, event, code)

    async def claim_passed_on(self, user: User) -> int:
        """Tickets passed on to this account's address before any account had it become
        the account's own once the address is verified (models/transfers.py); lazily,
        when its tickets are read. The number claimed."""
        if not user.email_verified:
            return 0
        claimed = 0
        for transfer in await self.store.list_transfers_to(normalize_email(user.email)):
            claimed += await self.store.claim_transfer(transfer, user.id)
        return claimed

    async def mine(self, user: User, now: datetime | None = None) -> list[TicketView]:
        """Upcoming first (soonest event first), then past events (most recent first)."""
        now = now or utcnow()
        await self.claim_passed_on(user)
        events: dict[str, Event] = {}
        views = []
        for ticket in await self.store.list_user_tickets(user.id):
            if ticket.event_id not in events:
                event = await self.store.get_event(ticket.event_id)
                assert event is not None
                events[event.id] = event
            views.append(self.view(ticket, events[ticket.event_id]))
        upcoming = [v for v in views if v.event.ends_at > now]
        past = [v for v in views if v.event.ends_at <= now]
        upcoming.sort(key=lambda v: (v.event.starts_at, v.event.id, v.ticket.seat_no))
        past.sort(key=lambda v: (v.event.starts_at, v.ticket.seat_no), reverse=True)
        return upcoming + past

    async def get(self, viewer: User, ticket_id: str) -> TicketView:
        """Its attendee or the event's organizer; anyone else: NotFound."""
        ticket = await self.store.get_ticket(ticket_id)
        if ticket is not None and not ticket.user_id and await self.claim_passed_on(viewer):
            ticket = await self.store.get_ticket(ticket_id)
        if ticket is None:
            raise NotFound("This ticket does not exist.")
        event = await self.store.get_event(ticket.event_id)
        assert event is not None
        if viewer.id not in (ticket.user_id, event.organizer_id):
            raise NotFound("This ticket does not exist.")
        return self.view(ticket, event)

    async def for_registration(self, registration: Registration) -> list[Ticket]:
        return await self.store.list_registration_tickets(registration.id)

    # -- what only the holder sees: the confirmation page, the offline copies ----------

    async def held(self, viewer: User, ticket_id: str) -> TicketView:
        """A ticket of `viewer`'s own (not one of their event's): anyone else NotFound."""
        ticket = await self.store.get_ticket(ticket_id)
        if ticket is None or ticket.user_id != viewer.id:
            raise NotFound("This ticket does not exist.")
        event = await self.store.get_event(ticket.event_id)
        assert event is not None
        return self.view(ticket, event)

    async def held_of(
        self, viewer: User, registration: Registration, event: Event
    ) -> list[TicketView]:
        """The tickets of a confirmed registration that `viewer` holds, seat order."""
        if registration.status is not RegistrationStatus.CONFIRMED:
            return []
        tickets = await self.store.list_registration_tickets(registration.id)
        mine = sorted((t for t in tickets if t.user_id == viewer.id), key=lambda t: t.seat_no)
        return [self.view(ticket, event) for ticket in mine]

    async def for_offline(self, viewer: User, now: datetime | None = None) -> list[TicketView]:
        """The tickets a phone keeps for the door: valid, of events not over, soonest
        first, at most OFFLINE_MAX (the service worker fetches each page and PDF)."""
        now = now or utcnow()
        views = await self.mine(viewer, now)
        usable = [
            v for v in views if v.ticket.status is TicketStatus.VALID and v.event.ends_at > now
        ]
        return usable[:OFFLINE_MAX]

    def document(
        self, view: TicketView, organizer_name: str, unit_price: int | None = None
    ) -> TicketDocument:
        """`unit_price`: what the seat's ticket type cost (default: the event's price)."""
        event, ticket = view.event, view.ticket
        seat = ticket.seat_label
        if ticket.ticket_type_name:
            seat = f"{ticket.ticket_type_name} · {seat}"
        return TicketDocument(
            ticket_id=ticket.id,
            code=view.code,
            event_title=event.title,
            venue=event.venue,
            starts_local=event.local_starts_at,
            ends_local=event.local_ends_at,
            timezone=event.timezone,
            attendee_name=ticket.attendee_name,
            seat_label=seat,
            price_label=money(event.price if unit_price is None else unit_price, event.currency),
            organizer_name=organizer_name,
            ticket_type_name=ticket.ticket_type_name,
        )

    async def pdf(self, view: TicketView) -> RenderedFile:
        from web.rendering.ticket_pdf import render_ticket_pdf  # reportlab: only when needed

        organizer = await self.store.get_user(view.event.organizer_id)
        registration = await self.store.get_registration(view.ticket.registration_id)
        prices = {
            item.ticket_type_id: item.unit_price
            for item in (registration.seat_items if registration else ())
        }
        document = self.document(
            view, organizer.name if organizer else "", prices.get(view.ticket.ticket_type_id)
        )
        try:
            return await asyncio.to_thread(render_ticket_pdf, document)
        except Exception as exc:
            # Whatever the renderer raised, the same ticket raises it again: named here so
            # that delivery reports it as permanent (and a page answers 500, logged).
            raise TicketNotRendered(f"ticket {view.ticket.id}: {exc!r}") from exc

    async def ensure_pdf(self, view: TicketView) -> RenderedFile:
        """The stored PDF, rendered and stored first if it is missing."""
        key = pdf_key(view.ticket)
        stored = await self.files.get(key)
        if stored is not None:
            return RenderedFile(f"ticket-{view.ticket.id}.pdf", "application/pdf", stored)
        rendered = await self.pdf(view)
        await self.files.put(key, rendered.data, rendered.content_type)
        return rendered

    async def download_link(self, view: TicketView) -> DownloadLink:
        """A signed link to the PDF, re-rendering it first if it went missing."""
        key = pdf_key(view.ticket)
        if not await self.files.exists(key):  # a HEAD on S3: the bytes stay there
            rendered = await self.pdf(view)
            await self.files.put(key, rendered.data, rendered.content_type)
        return await self.files.download_link(
            key, f"ticket-{view.ticket.id}.pdf", self.download_ttl
        )

    async def open_link(
        self, viewer: User | None, key: str, filename: str, expires: str, signature: str
    ) -> bytes:
        """The PDF a download link names, served by this site (local files; S3's links go
        to S3: NotFound). Raises DownloadRefused, naming the ticket when `viewer` is its
        attendee so that the page can offer a fresh link."""
        try:
            return await self.files.open_link(key, filename, expires, signature)
        except LinkRefused as exc:
            fresh = None
            ticket_id = key.rsplit("/", 1)[-1].split(".", 1)[0]
            if viewer is not None:
                ticket = await self.store.get_ticket(ticket_id)
                if ticket is not None and ticket.user_id == viewer.id:
                    fresh = ticket.id
            minutes = max(1, self.download_ttl // 60)
            raise DownloadRefused(exc.expired, fresh, minutes) from exc
