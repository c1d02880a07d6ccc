"""Registration use cases: book seats, list and cancel, cancel a whole event, sweep holds.

Seats are taken only through `Store.hold_seats` (one atomic step), so whatever the number
of concurrent buyers, confirmed + live held seats never exceed capacity.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from models.cancellation import Canceller, cancellation_refusal
from models.domain import (
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    User,
    new_id,
    registration_problems,
    utcnow,
)
from models.errors import (
    AccountLimit,
    AdmitError,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from models.event_rules import Source
from models.promo_codes import discounted, unlocked_types
from models.questions import AnswersGiven, asked
from models.seat_rules import HoldRead, hold_refusal
from models.store import Page, RegistrationQuery, Store
from models.ticket_type_rules import requested_items
from models.tickets import Ticket, TicketStatus, tickets_for
from web.adapters.mail.port import Attachment, Mailer
from web.calendar_file import event_ics, ticket_ics
from web.mails import (
    event_cancelled_mail,
    passed_on_ticket_cancelled_mail,
    registration_cancelled_mail,
)
from web.services.events import Events
from web.services.payments import Payments
from web.services.promo_codes import lookup_code
from web.services.questions import checked_answers

PAGE_SIZE = 20
SWEEP_BATCH = 100


@dataclass(frozen=True)
class RegistrationView:
    """A registration with its event, as the pages show it."""

    registration: Registration
    event: Event


class Registrations:
    def __init__(
        self,
        store: Store,
        events: Events,
        payments: Payments,
        mailer: Mailer,
        hold: timedelta,
        base_url: str,
    ) -> None:
        self.store = store
        self.events = events
        self.payments = payments
        self.mailer = mailer
        self.hold = hold
        self.base_url = base_url

    async def register(
        self,
        user: User,
        event_id: str,
        quantity: int | None,
        attendee_names: list[str],
        lines: list[tuple[str, int]] | None = None,
        *,
        by_seat: bool = False,
        answers: AnswersGiven | None = None,
        source: Source = "json",
        promo_code: str | None = None,
    ) -> Registration:
        """Hold (or, when the amount comes to 0, confirm) the seats asked for: `lines` of
        (ticket type id, quantity), or a bare `quantity` of the event's one visible type.
        The attendees' names follow the seats in the order of the lines; `by_seat` names
        are one per seat in that order (a blank one: the buyer's), while the old
        `attendee_names` list skips blanks. `answers` are checked against the event's
        questions before anything is held (`models.questions.check_answers`). A
        `promo_code` takes its discount off the items it applies to and unlocks its hidden
        types; the store takes its use with the seats (invariant 6)."""
        # Read together: one round trip of latency less on the buying path.
        event, types, questions = await asyncio.gather(
            self.store.get_event(event_id),
            self.store.list_ticket_types(event_id),
            self.store.list_questions(event_id),
        )
        # A draft is invisible to everyone but its organizer, here as on its page.
        if event is None or (event.status is EventStatus.DRAFT and event.organizer_id != user.id):
            raise NotFound("This event does not exist.")
        now = utcnow()
        promo = await lookup_code(self.store, event.id, promo_code, now)
        items = requested_items(event, types, lines, quantity, unlocked_types(promo, types))
        items = discounted(items, promo)
        quantity = sum(item.quantity for item in items)
        # Checked as typed (a tab or a control character is refused, not cleaned away),
        # then runs of spaces are made one.
        names = [name.strip(" ") for name in attendee_names if by_seat or name.strip()]
        while names and not names[-1].strip():
            names.pop()
        problems = registration_problems(event, quantity, names)
        if by_seat and "attendee_names" in problems:
            problems["attendees"] = problems.pop("attendee_names")
        answered = checked_answers(asked(questions), answers, quantity, source, problems)
        if problems:
            raise ValidationFailed(problems)
        names = [" ".join(name.split()) for name in names]
        # A refusal needs no write lock: when the committed figures already say the seats
        # are not there (and no hold has run out to free some), answer at once. The store
        # re-checks under the lock for every request that may succeed.
        if not event.has_expired_holds(now):
            read = HoldRead(event, {kind.id: kind for kind in types})
            refusal = hold_refusal(read, items, now)
            if refusal is not None and not isinstance(refusal, AccountLimit):
                raise refusal
        amount = sum(item.amount for item in items)
        free = amount == 0
        registration = Registration(
            id=new_id(),
            event_id=event.id,
            user_id=user.id,
            buyer_name=user.name,
            buyer_email=user.email,
            quantity=quantity,
            amount=amount,
            currency=event.currency,
            status=RegistrationStatus.CONFIRMED if free else RegistrationStatus.HELD,
            created_at=now,
            hold_expires_at=None if free else now + self.hold,
            attendee_names=tuple(names),
            items=items,
            answers=answered.registration,
            seat_answers=answered.seats,
            promo_code_id=promo.id if promo else None,
            promo_code=promo.code if promo else None,
        )
        tickets = tickets_for(registration, now) if free else []
        if not free:
            known = self.payments.provider.known_reference(registration)
            registration = replace(registration, payment_ref=known)
        await self.store.hold_seats(registration, now, tickets)
        if not free and registration.payment_ref is None:
            started = await self.payments.start(registration)
            registration = replace(registration, payment_ref=started.ref)
        return registration

    # -- reading ------------------------------------------------------------------------

    async def mine(
        self, user: User, limit: int = PAGE_SIZE, cursor: str | None = None
    ) -> Page[Registration]:
        return await self.store.list_user_registrations(user.id, limit, cursor)

    async def with_events(self, registrations: list[Registration]) -> list[RegistrationView]:
        events: dict[str, Event] = {}
        views = []
        for registration in registrations:
            if registration.event_id not in events:
                event = await self.store.get_event(registration.event_id)
                assert event is not None
                events[event.id] = event
            views.append(RegistrationView(registration, events[registration.event_id]))
        return views

    async def get(self, viewer: User, registration_id: str) -> RegistrationView:
        """Its attendee or the event's organizer; anyone else: NotFound."""
        registration = await self.store.get_registration(registration_id)
        if registration is None:
            raise NotFound("This registration does not exist.")
        event = await self.store.get_event(registration.event_id)
        assert event is not None
        if viewer.id not in (registration.user_id, event.organizer_id):
            raise NotFound("This registration does not exist.")
        if registration.hold_expired(utcnow()):
            await self.events.fresh(event)
            registration = await self.store.get_registration(registration_id) or registration
        return RegistrationView(registration, event)

    # -- the holder's calendar entry --------------------------------------------------

    async def calendar_entry(self, viewer: User, registration_id: str) -> Attachment:
        """The .ics of a confirmed registration, for its holder only (its organizer has no
        use for it): anyone else, or before confirmation, NotFound."""
        registration = await self.store.get_registration(registration_id)
        if (
            registration is None
            or registration.user_id != viewer.id
            or registration.status is not RegistrationStatus.CONFIRMED
        ):
            raise NotFound("This registration has no calendar entry.")
        event = await self.store.get_event(registration.event_id)
        assert event is not None
        return event_ics(event, registration, self.base_url)

    async def ticket_calendar_entry(self, viewer: User, ticket_id: str) -> Attachment:
        """The .ics of a ticket that is not void, for its holder only; else NotFound."""
        ticket = await self.store.get_ticket(ticket_id)
        if ticket is None or ticket.user_id != viewer.id or ticket.status is TicketStatus.VOID:
            raise NotFound("This ticket has no calendar entry.")
        event = await self.store.get_event(ticket.event_id)
        assert event is not None
        return ticket_ics(event, ticket, self.base_url)

    async def for_event(
        self,
        organizer: User,
        event_id: str,
        query: RegistrationQuery | None = None,
        limit: int = PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[Registration]:
        event = await self.events.owned(organizer, event_id)
        return await self.store.list_event_registrations(event.id, limit, cursor, query)

    # -- cancelling ---------------------------------------------------------------------

    async def cancel_refusal(self, viewer: User, view: RegistrationView) -> AdmitError | None:
        """Why `viewer` may not cancel this registration now (for the page to say so
        instead of offering the button); the store decides again when it is asked."""
        registration, event = view.registration, view.event
        by = Canceller.ORGANIZER if viewer.id == event.organizer_id else Canceller.ATTENDEE
        tickets: list[Ticket] = []
        if registration.status is RegistrationStatus.CONFIRMED and by is Canceller.ATTENDEE:
            tickets = await self.store.list_registration_tickets(registration.id)
        statuses = [ticket.status for ticket in tickets]
        passed_on = any(ticket.code_generation for ticket in tickets)
        return cancellation_refusal(registration, event, statuses, utcnow(), by, passed_on)

    async def cancel(self, viewer: User, registration_id: str) -> Registration:
        """Its attendee while the window is open (`models.cancellation`: until the
        earlier of the cancellation deadline and the doors opening, and never once a
        ticket was used), or the event's organizer at any time. Paid seats are refunded in
        full; a hold is simply released.

        The store decides and cancels in one atomic step (a scan at the door cannot slip
        in between); the money moves only after that, so a refused cancellation never
        refunds. If the refund then fails at the provider, the registration stays
        `cancelled` and asking to cancel it again completes the refund."""
        view = await self.get(viewer, registration_id)
        registration, event = view.registration, view.event
        by_organizer = viewer.id == event.organizer_id
        by = Canceller.ORGANIZER if by_organizer else Canceller.ATTENDEE
        if registration.status is RegistrationStatus.CANCELLED and await self._refund_owed(
            registration
        ):
            return await self.payments.refund_and_tell(registration, event)
        cancelled = await self._cancel(registration, event, by)
        if by_organizer and viewer.id != registration.user_id and not cancelled.amount:
            await self.mailer.send(registration_cancelled_mail(cancelled, event, self.base_url))
        if by_organizer:
            await self._tell_holders(cancelled, event, whole_event=False)
        return cancelled

    async def _tell_holders(
        self, registration: Registration, event: Event, whole_event: bool
    ) -> None:
        """Mail each person a ticket of it was passed on to (models/transfers.py): their
        ticket is void now, and nobody else would tell them."""
        for ticket in await self.store.list_registration_tickets(registration.id):
            if not ticket.code_generation:
                continue
            transfers = await self.store.list_ticket_transfers(ticket.id)
            last = next((t for t in transfers if t.generation == ticket.code_generation), None)
            if last is None:
                continue
            await self.mailer.send(
                passed_on_ticket_cancelled_mail(
                    last.to_name, last.to_email, last.from_name, event, whole_event
                )
            )

    async def _refund_owed(self, registration: Registration) -> bool:
        """A paid registration that was confirmed (tickets are issued only then) and is
        cancelled but not refunded: its refund failed at the provider part-way."""
        if not registration.amount or registration.status is not RegistrationStatus.CANCELLED:
            return False
        return bool(await self.store.list_registration_tickets(registration.id))

    async def _cancel(
        self, registration: Registration, event: Event, by: Canceller = Canceller.ORGANIZER
    ) -> Registration:
        cancelled = await self.store.cancel_registration(
            registration.id, RegistrationStatus.CANCELLED, utcnow(), by
        )
        if not cancelled.amount:
            return cancelled
        if registration.status is RegistrationStatus.CONFIRMED or await self._refund_owed(
            cancelled
        ):
            return await self.payments.refund_and_tell(cancelled, event)
        # A hold: stop its payment. One that succeeded meanwhile is refunded when its
        # webhook finds the registration no longer payable (Payments.apply_success).
        await self.payments.provider.cancel(cancelled)
        return cancelled

    async def cancel_event(self, organizer: User, event_id: str) -> Event:
        """Stop sales first, then cancel every registration and tell each attendee.

        Safe to run again after a failure part-way: a cancelled event is simply swept
        again for registrations that still hold seats.
        """
        event = await self.events.owned(organizer, event_id)
        if event.status is not EventStatus.CANCELLED:
            event = await self.store.set_event_status(
                event.id,
                frozenset({EventStatus.DRAFT, EventStatus.PUBLISHED}),
                EventStatus.CANCELLED,
            )
        for status in (RegistrationStatus.CONFIRMED, RegistrationStatus.HELD):
            while True:
                page = await self.store.list_event_registrations(
                    event.id, PAGE_SIZE, None, RegistrationQuery(status=status)
                )
                if not page.items:
                    break
                for registration in page.items:
                    await self._cancel_for_event(registration, event)
        fresh = await self.store.get_event(event.id)
        assert fresh is not None
        return fresh

    async def _cancel_for_event(self, registration: Registration, event: Event) -> None:
        try:
            if registration.status is RegistrationStatus.CONFIRMED and registration.amount:
                cancelled = await self.payments.refund(registration)
            else:
                cancelled = await self._cancel(registration, event)
        except InvalidTransition:
            return  # cancelled meanwhile by its attendee
        if registration.status is RegistrationStatus.CONFIRMED:
            await self.mailer.send(event_cancelled_mail(cancelled, event, self.base_url))
            await self._tell_holders(cancelled, event, whole_event=True)

    # -- the clock job ------------------------------------------------------------------

    async def sweep(self, now: datetime | None = None) -> int:
        """Release every run-out hold; returns the number of seats freed."""
        now = now or utcnow()
        freed = 0
        while event_ids := await self.store.events_with_expired_holds(now, SWEEP_BATCH):
            for event_id in event_ids:
                freed += await self.store.release_expired_holds(event_id, now)
            if len(event_ids) < SWEEP_BATCH:
                break
        return freed
