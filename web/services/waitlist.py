"""Waiting-list use cases (issue 14): join, leave, list, offer by hand, accept a free
offer, and the offer's mail. The store decides each step atomically
(`models.waitlist_rules`, invariant 7); this module checks who may ask and reads what
the pages and the API show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.domain import (
    Event,
    EventStatus,
    PaymentOutcome,
    Registration,
    RegistrationStatus,
    User,
    new_id,
    utcnow,
)
from models.errors import Conflict, NotFound, ValidationFailed
from models.outbox import DeliveryJob
from models.store import Store
from models.tickets import tickets_for
from models.waitlist import EntryStatus, WaitlistEntry, positions, shown_status
from models.waitlist_rules import entry_type, offer_due
from web.adapters.mail.port import Mailer
from web.mails import plain_mail
from web.services.delivery import BeforeMail
from web.services.events import Events
from web.services.payments import HoldExpired


class PaymentRequired(Conflict):
    code = "payment_required"
    message = "This offer has a price: pay for it at the checkout."


@dataclass(frozen=True)
class EntryView:
    """An entry as people see it: its status read from its offer, its place in line."""

    entry: WaitlistEntry
    status: EntryStatus
    position: int | None
    event: Event
    # The offer's held registration (what the pages accept or pay), once offered.
    registration: Registration | None = None


class Waitlist:
    def __init__(self, store: Store, events: Events, mailer: Mailer, base_url: str) -> None:
        self.store = store
        self.events = events
        self.mailer = mailer
        self.base_url = base_url

    async def join(
        self, user: User, event_id: str, quantity: object, ticket_type_id: object = None
    ) -> EntryView:
        event = await self.events.visible(event_id, user)
        if ticket_type_id is not None and not isinstance(ticket_type_id, str):
            raise ValidationFailed({"ticket_type_id": "Give the ticket type's id as text."})
        kind = entry_type(await self.store.list_ticket_types(event.id), ticket_type_id)
        if isinstance(kind, ValidationFailed):
            raise kind
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise ValidationFailed({"quantity": "Must be a whole number."})
        now = utcnow()
        entry = WaitlistEntry(
            id=new_id(),
            event_id=event.id,
            ticket_type_id=kind.id,
            user_id=user.id,
            user_name=user.name,
            user_email=user.email,
            quantity=quantity,
            status=EntryStatus.WAITING,
            created_at=now,
        )
        stored = await self.store.join_waitlist(entry, now)
        return (await self._views(await self._fresh(event.id), [stored]))[0]

    async def leave(self, user: User, entry_id: str) -> None:
        await self.store.leave_waitlist(entry_id, user.id, utcnow())

    async def mine(self, user: User) -> list[EntryView]:
        """The caller's entries, newest first, finished ones included."""
        entries = await self.store.list_user_waitlist(user.id)
        views: list[EntryView] = []
        by_event: dict[str, Event] = {}
        for entry in entries:
            if entry.event_id not in by_event:
                by_event[entry.event_id] = await self._fresh(entry.event_id)
            views += await self._views(by_event[entry.event_id], [entry])
        return views

    async def mine_for_event(self, user: User, event_id: str) -> list[EntryView]:
        """The caller's entries on one event (the event page reads it on every visit:
        the other events' entries are not read)."""
        if not await self._entries_on(user, event_id):
            return []
        event = await self._fresh(event_id)  # may offer seats to these very entries
        return await self._views(event, await self._entries_on(user, event_id))

    async def _entries_on(self, user: User, event_id: str) -> list[WaitlistEntry]:
        return [e for e in await self.store.list_user_waitlist(user.id) if e.event_id == event_id]

    async def for_event(self, organizer: User, event_id: str) -> list[EntryView]:
        """An event's entries in order, for its organizer."""
        event = await self.events.owned(organizer, event_id)
        event = await self._fresh(event.id)
        return await self._views(event, await self.store.list_event_waitlist(event.id))

    async def offer(self, organizer: User, event_id: str, entry_id: str) -> Registration:
        """The organizer offers the free seats to one entry, whatever its place."""
        event = await self.events.owned(organizer, event_id)
        (made,) = await self.store.offer_waitlist(event.id, utcnow(), entry_id)
        return made

    async def confirm(self, user: User, registration_id: str) -> Registration:
        """Take a free offer: its held registration becomes confirmed, with its tickets
        and delivery job in the same step (`Store.confirm_payment`, invariant 8)."""
        registration = await self.store.get_registration(registration_id)
        if registration is None or registration.user_id != user.id:
            raise NotFound("This registration does not exist.")
        if registration.status is RegistrationStatus.CONFIRMED:
            return registration
        now = utcnow()
        if registration.status is not RegistrationStatus.HELD or registration.hold_expired(now):
            raise HoldExpired()
        if registration.amount:
            raise PaymentRequired()
        outcome = await self.store.confirm_payment(
            registration.id, tickets_for(registration, now), now
        )
        if outcome not in (PaymentOutcome.CONFIRMED, PaymentOutcome.ALREADY_CONFIRMED):
            raise HoldExpired()
        confirmed = await self.store.get_registration(registration.id)
        assert confirmed is not None
        return confirmed

    # -- the offer's mail (an outbox job, written with the offer) ---------------------

    async def run_offer_mail(self, job: DeliveryJob, before_mail: BeforeMail) -> None:
        entry = await self.store.get_waitlist_entry(job.subject)
        if entry is None or entry.registration_id is None:
            return
        event = await self.store.get_event(entry.event_id)
        assert event is not None
        when = entry.offer_expires_at.astimezone(event.zone) if entry.offer_expires_at else None
        deadline = when.strftime("%d %b %Y, %H:%M") if when else "soon"
        link = f"{self.base_url}/my/registrations/{entry.registration_id}"
        seats = "a seat" if entry.quantity == 1 else f"{entry.quantity} seats"
        mail = plain_mail(
            entry.user_email,
            f"Seats for you: {event.title}",
            [
                f"Hello {entry.user_name},",
                f"{seats.capitalize()} came free for {event.title}, and they are yours if you "
                f"take them before {deadline} ({event.timezone}).",
                f"Take them here: {link}",
            ],
        )
        await before_mail()
        await self.mailer.send(mail)

    # -- reading ----------------------------------------------------------------------

    async def _fresh(self, event_id: str) -> Event:
        """The event, with seats that sit free while people wait offered now (lazily:
        what a crash between a giving-back step and its offers left)."""
        event = await self.store.get_event(event_id)
        if event is None:
            raise NotFound("This event does not exist.")
        event = await self.events.fresh(event)
        if offer_due(event) and event.status is EventStatus.PUBLISHED:
            await self.store.offer_waitlist(event.id, utcnow())
            event = await self.store.get_event(event_id) or event
        return event

    async def _views(self, event: Event, entries: list[WaitlistEntry]) -> list[EntryView]:
        now: datetime = utcnow()
        places = positions(await self.store.list_event_waitlist(event.id))
        views = []
        for entry in entries:
            registration = None
            if entry.registration_id is not None:
                registration = await self.store.get_registration(entry.registration_id)
            status = shown_status(entry, registration, now)
            views.append(EntryView(entry, status, places.get(entry.id), event, registration))
        return views
