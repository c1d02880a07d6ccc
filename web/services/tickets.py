"""Ticket use cases: my tickets, the ticket page and its PDF, and the door.

Codes are never stored: Ed25519 signatures are deterministic, so a ticket's code is
recomputed from its id whenever it is shown.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from models.domain import (
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    Role,
    User,
    new_id,
    one_line_problem,
    utcnow,
)
from models.errors import Forbidden, NotFound, ValidationFailed
from models.money import money
from models.store import Store
from models.ticket_codes import CodeSigner, CodeVerifier, key_id, public_bytes
from models.tickets import (
    DEVICE_MAX,
    GATE_MAX,
    CheckinAttempt,
    CheckinOutcome,
    Ticket,
    door_refusal,
)
from web.adapters.files.port import DownloadLink, Files, FileStoreFailed
from web.adapters.identity.port import Identity
from web.adapters.mail.port import Attachment, MailDeliveryFailed, Mailer, MailNotBuilt
from web.calendar_file import event_ics
from web.mails import registration_mail
from web.rendering.document import RenderedFile, TicketDocument

SEARCH_LIMIT = 20
CODE_MAX = 400


@dataclass(frozen=True)
class TicketView:
    ticket: Ticket
    event: Event
    code: str


@dataclass(frozen=True)
class DoorList:
    """What a door phone needs to check codes without a connection (`door_list`)."""

    event: Event
    keys: list[dict[str, str]]  # as `checkin_keys` answers them
    tickets: list[Ticket]
    opens_at: datetime  # before this: not_yet_open
    closes_at: datetime  # after this: event_over
    synced_at: datetime


DELIVERY_ATTEMPTS = 3
log = logging.getLogger("admit")


class UndeliverableTickets(Exception):
    """A registration's ticket mail can never be sent as things stand (it cannot be
    built, or a ticket cannot be rendered): trying again will not help, a person must look.
    Logged at ERROR with the registration when raised; the SQS deliverer moves its message
    to the dead-letter queue (and its alarm) instead of letting it come back."""

    def __init__(self, registration_id: str, reason: str) -> None:
        super().__init__(f"tickets of registration {registration_id} cannot be mailed: {reason}")
        self.registration_id = registration_id
        self.reason = reason


class TicketNotRendered(Exception):
    """The PDF renderer failed on a ticket: the same data fails the same way again."""


def pdf_key(ticket: Ticket) -> str:
    return f"tickets/{ticket.event_id}/{ticket.id}.pdf"


class Tickets:
    def __init__(
        self,
        store: Store,
        signer: CodeSigner,
        verifier: CodeVerifier,
        files: Files,
        mailer: Mailer,
        identity: Identity,
        base_url: str,
        grace: timedelta,
        download_ttl: int,
        retry_delay: float = 0.5,
    ) -> None:
        self.store = store
        self.retry_delay = retry_delay
        self.identity = identity
        self.signer = signer
        self.verifier = verifier
        self.files = files
        self.mailer = mailer
        self.base_url = base_url
        self.grace = grace
        self.download_ttl = download_ttl

    def view(self, ticket: Ticket, event: Event) -> TicketView:
        return TicketView(ticket, event, self.signer.sign(ticket.id, ticket.event_id))

    # -- the attendee's side ------------------------------------------------------------

    async def mine(self, user: User, now: datetime | None = None) -> list[TicketView]:
        """Upcoming first (soonest event first), then past events (most recent first)."""
        now = now or utcnow()
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
        if ticket is None:
            raise NotFound("This ticket does not exist.")
        event = await self.store.get_event(ticket.event_id)
        assert event is not None
        if viewer.id not in (ticket.user_id, event.organizer_id):
            raise NotFound("This ticket does not exist.")
        return self.view(ticket, event)

    async def for_registration(self, registration: Registration) -> list[Ticket]:
        return await self.store.list_registration_tickets(registration.id)

    def document(self, view: TicketView, organizer_name: str) -> TicketDocument:
        event, ticket = view.event, view.ticket
        return TicketDocument(
            ticket_id=ticket.id,
            code=view.code,
            event_title=event.title,
            venue=event.venue,
            starts_local=event.local_starts_at,
            ends_local=event.local_ends_at,
            timezone=event.timezone,
            attendee_name=ticket.attendee_name,
            seat_label=ticket.seat_label,
            price_label=money(event.price, event.currency),
            organizer_name=organizer_name,
        )

    async def pdf(self, view: TicketView) -> RenderedFile:
        from web.rendering.ticket_pdf import render_ticket_pdf  # reportlab: only when needed

        organizer = await self.store.get_user(view.event.organizer_id)
        document = self.document(view, organizer.name if organizer else "")
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

    async def deliver(self, registration_id: str) -> None:
        """After confirmation: render and store every PDF, then mail them to the buyer.

        Runs after the answer has gone (a background task). A file or mail service that
        fails (transient: an outage, throttling) is tried again twice, after 0.5 and 1 s;
        then the failure is logged with the registration and raised. A mail that cannot be
        built or a ticket that cannot be rendered (permanent) is not retried: it is logged
        at ERROR and raised as `UndeliverableTickets`. The tickets themselves are already
        issued and on "My tickets" either way."""
        for attempt in range(1, DELIVERY_ATTEMPTS + 1):
            try:
                await self._deliver_once(registration_id)
                return
            except (MailNotBuilt, TicketNotRendered) as exc:
                log.error(
                    "tickets of registration %s cannot be mailed, not retried: %s",
                    registration_id,
                    exc,
                )
                raise UndeliverableTickets(registration_id, str(exc)) from exc
            except (MailDeliveryFailed, FileStoreFailed) as exc:
                if attempt == DELIVERY_ATTEMPTS:
                    log.error(
                        "tickets of registration %s not mailed after %d attempts: %s",
                        registration_id,
                        attempt,
                        exc,
                    )
                    raise
                await asyncio.sleep(self.retry_delay * 2 ** (attempt - 1))

    async def _deliver_once(self, registration_id: str) -> None:
        registration = await self.store.get_registration(registration_id)
        if registration is None or registration.status is not RegistrationStatus.CONFIRMED:
            return
        event = await self.store.get_event(registration.event_id)
        assert event is not None
        attachments = []
        for ticket in await self.store.list_registration_tickets(registration.id):
            view = self.view(ticket, event)
            rendered = await self.ensure_pdf(view)
            attachments.append(Attachment(rendered.filename, rendered.content_type, rendered.data))
        attachments.append(event_ics(event, registration, self.base_url))
        mail = registration_mail(registration, event, self.base_url)
        await self.mailer.send(replace(mail, attachments=tuple(attachments)))

    # -- the door -----------------------------------------------------------------------

    async def _may_check(self, user: User, event_id: str) -> Event:
        event = await self.store.get_event(event_id)
        if event is None:
            raise NotFound("This event does not exist.")
        staff = event.organizer_id != user.id and await self.store.is_door_staff(event_id, user.id)
        if refusal := door_refusal(event, user.id, staff, utcnow(), self.grace):
            raise Forbidden(refusal)
        return event

    async def validate(
        self,
        user: User,
        code: str,
        event_id: str,
        gate: str = "",
        device: str = "",
        ticket_id: str | None = None,
    ) -> CheckinOutcome:
        """Check one code, or (`ticket_id`, from the door's search by name) one ticket of
        this event named by its id: door search never hands out codes."""
        problems = {
            name: problem
            for name, value in (("gate", gate), ("device", device))
            if (problem := one_line_problem(value))
        }
        if problems:
            raise ValidationFailed(problems)
        if ticket_id is not None:
            # The store admits it only if it is a ticket of this event (else `invalid`).
            named = ticket_id.strip()
            ticket, code_event_id = (named, event_id) if 0 < len(named) <= 64 else (None, None)
        else:
            claims = self.verifier.verify(code if len(code) <= CODE_MAX else "")
            ticket, code_event_id = (claims.ticket_id, claims.event_id) if claims else (None, None)
        attempt = CheckinAttempt(
            id=new_id(),
            event_id=event_id,
            ticket_id=ticket,
            by_user_id=user.id,
            gate=" ".join(gate.split())[:GATE_MAX] or "Main gate",
            device=device.strip()[:DEVICE_MAX],
            at=utcnow(),
        )
        return await self.store.check_in(attempt, code_event_id, self.grace)

    async def door(self, user: User, event_id: str) -> tuple[Event, int, int]:
        """The door page: its event, admitted so far, and tickets that may enter."""
        event = await self._may_check(user, event_id)
        return event, event.checked_in, event.seats_confirmed

    async def search(self, user: User, event_id: str, text: str) -> list[Ticket]:
        """Names and ticket ids, never codes: a code is the ticket itself (the QR), and
        the door admits a ticket found by name through its id (`validate`)."""
        event = await self._may_check(user, event_id)
        if problem := one_line_problem(text):
            raise ValidationFailed({"q": problem})
        text = " ".join(text.split())
        if not text:
            return []
        if len(text) > 100:
            raise ValidationFailed({"q": "Search with at most 100 characters."})
        return await self.store.search_event_tickets(event.id, text, SEARCH_LIMIT)

    async def checkin_keys(self, user: User, event_id: str) -> list[dict[str, str]]:
        await self._may_check(user, event_id)
        return self._public_keys()

    async def door_list(self, user: User, event_id: str) -> DoorList:
        """The event's public keys, door hours and every ticket with its state: enough
        for a door phone to decide offline as `Store.check_in` would (invariant 4 needs
        only public keys; invariant 2 stays the server's when the phone syncs)."""
        synced_at = utcnow()  # before the read: nothing the list misses is older
        event = await self._may_check(user, event_id)
        tickets = await self.store.list_event_tickets(event.id)
        return DoorList(
            event=event,
            keys=self._public_keys(),
            tickets=tickets,
            opens_at=event.effective_doors_open_at,
            closes_at=event.ends_at + self.grace,
            synced_at=synced_at,
        )

    def _public_keys(self) -> list[dict[str, str]]:
        keys = [self.signer.private_key.public_key(), *self.verifier.keys.values()]
        unique = {key_id(key): key for key in keys}
        return [
            {
                "key_id": kid,
                "algorithm": "Ed25519",
                "public_key": base64.b64encode(public_bytes(key)).decode(),
            }
            for kid, key in unique.items()
        ]

    # -- where this person may scan ---------------------------------------------------

    async def door_events(self, user: User) -> list[Event]:
        """Events not yet over where this person may scan: as door staff or organizer."""
        ids = set(await self.store.door_staff_events(user.id))
        if user.has_role(Role.ORGANIZER):
            cursor = None
            while True:
                page = await self.store.list_organizer_events(user.id, 100, cursor)
                ids.update(e.id for e in page.items if e.status is EventStatus.PUBLISHED)
                if not (cursor := page.next_cursor):
                    break
        events = []
        for event_id in ids:
            event = await self.store.get_event(event_id)
            if event is not None and event.ends_at + self.grace > utcnow():
                events.append(event)
        return sorted(events, key=lambda e: e.starts_at)
