"""The Store contract for the edges of the three decisions each store used to write on
its own (issue 11): a payment against the clock and the event's status, and a scan at
the edges of the door hours. Both stores call the same pure function now
(models/payment_rules.py `decide_payment`, models/tickets.py `decide_check_in`); these
prove that each store reads the right rows and writes what the decision says."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from models.domain import (
    Event,
    EventStatus,
    PaymentOutcome,
    Registration,
    RegistrationStatus,
    new_id,
)
from models.errors import AccountLimit, AdmitError, Forbidden
from models.store import Store
from models.tickets import (
    DEFAULT_GRACE,
    CheckinAttempt,
    CheckinResult,
    Ticket,
    TicketStatus,
    tickets_for,
)
from tests.store_contract import make_event, make_registration

SECOND = timedelta(seconds=1)


async def held_at(
    store: Store, event: Event, at: datetime, lasts: timedelta, quantity: int = 1, **changes: object
) -> Registration:
    """A hold made at `at` that runs out `lasts` later."""
    registration = make_registration(
        event, quantity, held_for=lasts, created_at=at, hold_expires_at=at + lasts, **changes
    )
    await store.hold_seats(registration, at)
    return registration


async def figures(store: Store, event_id: str) -> tuple[int, int, int, int]:
    event = await store.get_event(event_id)
    assert event is not None
    return event.seats_confirmed, event.seats_held, event.registrations, event.revenue


async def status_of(store: Store, registration_id: str) -> RegistrationStatus:
    registration = await store.get_registration(registration_id)
    assert registration is not None
    return registration.status


class RulesContract:
    # -- a payment against the clock and the event's status -------------------------------

    async def test_a_payment_after_the_event_ended_on_a_hold_not_swept_is_refused(
        self, store: Store
    ) -> None:
        """Was NO_SEATS on SQLite and CONFIRMED on DynamoDB: sales close when the event
        ends, so the payment is refunded (NOT_PAYABLE) on both, and takes no seat."""
        event = make_event(capacity=5, price=1000)
        await store.create_event(event)
        late = await held_at(store, event, event.ends_at - 20 * 60 * SECOND, 10 * 60 * SECOND)
        paid_at = event.ends_at + 60 * SECOND
        outcome = await store.confirm_payment(late.id, tickets_for(late, paid_at), paid_at)
        assert outcome is PaymentOutcome.NOT_PAYABLE
        assert await status_of(store, late.id) is not RegistrationStatus.CONFIRMED
        assert await store.list_registration_tickets(late.id) == []
        confirmed, _, registrations, revenue = await figures(store, event.id)
        assert (confirmed, registrations, revenue) == (0, 0, 0)

    async def test_a_payment_after_the_event_ended_on_a_live_hold_is_refused(
        self, store: Store
    ) -> None:
        """A hold that outlives the event's end confirms nothing once the event is over:
        its seats go back with the refund."""
        event = make_event(capacity=5, price=1000)
        await store.create_event(event)
        hold = await held_at(store, event, event.ends_at - 5 * 60 * SECOND, 10 * 60 * SECOND)
        paid_at = event.ends_at + SECOND
        outcome = await store.confirm_payment(hold.id, tickets_for(hold, paid_at), paid_at)
        assert outcome is PaymentOutcome.NOT_PAYABLE
        assert await status_of(store, hold.id) is RegistrationStatus.HELD
        assert await figures(store, event.id) == (0, 1, 0, 0)
        refunded = await store.refund_registration(hold.id, paid_at)
        assert refunded.status is RegistrationStatus.REFUNDED
        assert await figures(store, event.id) == (0, 0, 0, 0)

    async def test_a_payment_for_a_cancelled_event_is_refused(self, store: Store) -> None:
        """A live hold on an event cancelled meanwhile is never confirmed."""
        event = make_event(capacity=5, price=1000)
        await store.create_event(event)
        now = event.starts_at - timedelta(days=1)
        hold = await held_at(store, event, now, 10 * 60 * SECOND)
        await store.set_event_status(
            event.id, frozenset({EventStatus.PUBLISHED}), EventStatus.CANCELLED
        )
        paid_at = now + 60 * SECOND
        outcome = await store.confirm_payment(hold.id, tickets_for(hold, paid_at), paid_at)
        assert outcome is PaymentOutcome.NOT_PAYABLE
        assert await store.list_registration_tickets(hold.id) == []
        assert (await figures(store, event.id))[0] == 0

    async def test_a_payment_just_before_the_end_still_confirms(self, store: Store) -> None:
        """The edge of the rule above: one tick before the end, sales are open."""
        event = make_event(capacity=5, price=1000)
        await store.create_event(event)
        hold = await held_at(store, event, event.ends_at - 5 * 60 * SECOND, 10 * 60 * SECOND)
        paid_at = event.ends_at - SECOND
        outcome = await store.confirm_payment(hold.id, tickets_for(hold, paid_at), paid_at)
        assert outcome is PaymentOutcome.CONFIRMED
        assert await figures(store, event.id) == (1, 0, 1, 1000)

    async def test_a_late_payment_on_a_hold_not_swept_takes_its_seats_when_free(
        self, store: Store
    ) -> None:
        """The hold ran out but nobody swept it: the payment gets the seats, and the
        account's count stays right (it may take exactly its limit's rest)."""
        event = make_event(capacity=5, price=1000, max_per_account=3)
        await store.create_event(event)
        now = event.starts_at - timedelta(days=1)
        late = await held_at(store, event, now, 60 * SECOND, quantity=2)
        paid_at = now + 120 * SECOND
        outcome = await store.confirm_payment(late.id, tickets_for(late, paid_at), paid_at)
        assert outcome is PaymentOutcome.CONFIRMED
        assert await status_of(store, late.id) is RegistrationStatus.CONFIRMED
        assert len(await store.list_registration_tickets(late.id)) == 2
        assert await figures(store, event.id) == (2, 0, 1, 2000)
        more = make_registration(event, 1, user_id=late.user_id)
        await store.hold_seats(more, paid_at)
        with pytest.raises(AccountLimit):
            await store.hold_seats(make_registration(event, 1, user_id=late.user_id), paid_at)

    async def test_a_late_payment_gets_no_seats_when_they_were_sold(self, store: Store) -> None:
        event = make_event(capacity=2, price=1000)
        await store.create_event(event)
        now = event.starts_at - timedelta(days=1)
        late = await held_at(store, event, now, 60 * SECOND, quantity=2)
        sold_at = now + 120 * SECOND
        await store.hold_seats(make_registration(event, 1), sold_at)  # sweeps the late hold
        assert await status_of(store, late.id) is RegistrationStatus.EXPIRED
        outcome = await store.confirm_payment(late.id, tickets_for(late, sold_at), sold_at)
        assert outcome is PaymentOutcome.NO_SEATS
        assert await store.list_registration_tickets(late.id) == []
        assert await figures(store, event.id) == (1, 0, 1, 1000)

    async def test_a_late_payment_gets_no_seats_beyond_the_accounts_limit(
        self, store: Store
    ) -> None:
        event = make_event(capacity=10, price=1000, max_per_account=2)
        await store.create_event(event)
        now = event.starts_at - timedelta(days=1)
        late = await held_at(store, event, now, 60 * SECOND, quantity=2)
        later = now + 120 * SECOND
        await store.hold_seats(make_registration(event, 1, user_id=late.user_id), later)
        outcome = await store.confirm_payment(late.id, tickets_for(late, later), later)
        assert outcome is PaymentOutcome.NO_SEATS
        assert await figures(store, event.id) == (1, 0, 1, 1000)

    # -- the door hours' edges, and the tickets that do not admit -------------------------

    async def _door(self, store: Store) -> tuple[Event, list[Ticket]]:
        event = make_event(capacity=10, organizer_id="org")
        event = replace(event, doors_open_at=event.starts_at - timedelta(hours=1))
        await store.create_event(event)
        registration = make_registration(event, 6)
        tickets = tickets_for(registration, event.starts_at - timedelta(days=2))
        await store.hold_seats(registration, event.starts_at - timedelta(days=2), tickets)
        assert await store.add_door_staff(event.id, "door", event.starts_at - timedelta(days=2))
        return event, tickets

    async def test_scans_at_the_edges_of_the_door_hours(self, store: Store) -> None:
        """The doors' own second and the last second of the grace admit; one tick
        outside does not. Door staff lose access one tick after the grace; the organizer
        is told `event_over`."""
        event, tickets = await self._door(store)
        assert event.doors_open_at is not None
        opens, closes = event.doors_open_at, event.ends_at + DEFAULT_GRACE

        async def scan(ticket: Ticket, at: datetime, by: str = "door") -> CheckinResult:
            attempt = CheckinAttempt(new_id(), event.id, ticket.id, by, "A", "phone", at)
            return (await store.check_in(attempt, event.id, DEFAULT_GRACE)).result

        assert await scan(tickets[0], opens - SECOND) is CheckinResult.NOT_YET_OPEN
        assert await scan(tickets[0], opens) is CheckinResult.ADMITTED
        assert await scan(tickets[1], closes) is CheckinResult.ADMITTED
        assert await scan(tickets[2], closes + SECOND, by="org") is CheckinResult.EVENT_OVER
        with pytest.raises(Forbidden):
            await scan(tickets[2], closes + SECOND)
        assert await scan(tickets[2], closes - SECOND) is CheckinResult.ADMITTED
        valid = await store.get_ticket(tickets[3].id)
        assert valid is not None
        assert valid.status is TicketStatus.VALID

    async def test_scans_of_used_void_unknown_and_other_events_tickets(self, store: Store) -> None:
        event, tickets = await self._door(store)
        at = event.starts_at

        def attempt(ticket_id: str | None, by: str = "door") -> CheckinAttempt:
            return CheckinAttempt(new_id(), event.id, ticket_id, by, "B", "phone", at)

        first = await store.check_in(attempt(tickets[0].id), event.id, DEFAULT_GRACE)
        assert first.result is CheckinResult.ADMITTED
        assert (first.admitted, first.total) == (1, 6)
        again = await store.check_in(attempt(tickets[0].id, "org"), event.id, DEFAULT_GRACE)
        assert again.result is CheckinResult.ALREADY_USED
        assert again.ticket is not None
        assert (again.ticket.checked_in_at, again.ticket.checked_in_gate) == (at, "B")
        assert again.admitted == 1

        other = make_event(capacity=5, organizer_id="org")
        await store.create_event(other)
        elsewhere = make_registration(other, 1)
        foreign = tickets_for(elsewhere, at)
        await store.hold_seats(elsewhere, at - timedelta(days=2), foreign)
        wrong = await store.check_in(attempt(foreign[0].id), other.id, DEFAULT_GRACE)
        assert (wrong.result, wrong.ticket) == (CheckinResult.WRONG_EVENT, None)
        # A code signed for this event naming a ticket of another (or none): not ours.
        mixed = await store.check_in(attempt(foreign[0].id), event.id, DEFAULT_GRACE)
        assert (mixed.result, mixed.ticket) == (CheckinResult.INVALID, None)
        unknown = await store.check_in(attempt(new_id()), event.id, DEFAULT_GRACE)
        assert unknown.result is CheckinResult.INVALID
        unreadable = await store.check_in(attempt(None), None, DEFAULT_GRACE)
        assert unreadable.result is CheckinResult.INVALID

        registration_id = tickets[0].registration_id
        await store.cancel_registration(registration_id, RegistrationStatus.CANCELLED, at)
        void = await store.check_in(attempt(tickets[1].id), event.id, DEFAULT_GRACE)
        assert void.result is CheckinResult.VOID
        assert void.ticket is not None
        assert void.ticket.id == tickets[1].id
        used = await store.check_in(attempt(tickets[0].id), event.id, DEFAULT_GRACE)
        assert used.result is CheckinResult.ALREADY_USED  # used stays used when cancelled
        with pytest.raises(Forbidden):
            await store.check_in(attempt(tickets[2].id, "stranger"), event.id, DEFAULT_GRACE)

    async def test_late_payments_and_new_holds_racing_never_oversell(self, store: Store) -> None:
        """Invariant 1 through the payment decision: three late payments (one of them
        repeated) and five new buyers race for four seats."""
        event = make_event(capacity=4, price=1000)
        await store.create_event(event)
        now = event.starts_at - timedelta(days=1)
        lates = [await held_at(store, event, now, 60 * SECOND, quantity=2) for _ in range(2)]
        at = now + 120 * SECOND
        lates.append(await held_at(store, event, at, 60 * SECOND, quantity=1))

        async def buy() -> bool:
            try:
                await store.hold_seats(make_registration(event, 1), at)
            except AdmitError:
                return False
            return True

        async def pay(late: Registration) -> PaymentOutcome:
            return await store.confirm_payment(late.id, tickets_for(late, at), at)

        results = await asyncio.gather(
            *(pay(late) for late in [*lates, lates[0]]), *(buy() for _ in range(5))
        )
        outcomes = [r for r in results if isinstance(r, PaymentOutcome)]
        bought = sum(1 for r in results if r is True)
        paid = 0
        for late in lates:
            if await status_of(store, late.id) is RegistrationStatus.CONFIRMED:
                paid += late.quantity
        confirmed, held, _, _ = await figures(store, event.id)
        assert (confirmed, held) == (paid + bought, 0)
        assert confirmed <= 4
        assert outcomes[2] is PaymentOutcome.CONFIRMED  # a live hold keeps its seat
        assert outcomes.count(PaymentOutcome.ALREADY_CONFIRMED) <= 1  # the repeat, if it won
