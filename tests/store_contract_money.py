"""The Store contract for money and seats (issue 10): the limit on one account, the
attendee's cancellation decided inside the cancelling transaction, partial refunds.

`tests/test_store_sqlite.py` and `tests/test_store_dynamo.py` inherit `MoneyContract`
next to `StoreContract`, so every backend passes these unchanged.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from models.cancellation import Canceller
from models.domain import (
    SEAT_TAKING,
    PaymentOutcome,
    Registration,
    RegistrationStatus,
    new_id,
    utcnow,
)
from models.errors import (
    AccountLimit,
    CancellationClosed,
    InvalidTransition,
    NotEnoughSeats,
    SoldOut,
    TicketUsed,
)
from models.store import Store
from models.tickets import DEFAULT_GRACE, CheckinAttempt, CheckinResult, TicketStatus, tickets_for
from tests.store_contract import fields_from, make_event, make_registration

ATTENDEE = Canceller.ATTENDEE


async def _account_seats(store: Store, event_id: str, user_id: str) -> int:
    """Seats the account holds or has confirmed, as its registrations say."""
    page = await store.list_user_registrations(user_id, limit=100)
    now = utcnow()
    return sum(
        r.quantity
        for r in page.items
        if r.event_id == event_id and r.status in SEAT_TAKING and not r.hold_expired(now)
    )


class MoneyContract:
    # -- one account's seats (max_per_account) -------------------------------------------

    async def test_the_limit_round_trips_and_can_be_edited(self, store: Store) -> None:
        event = make_event(max_per_account=3)
        await store.create_event(event)
        assert (await store.get_event(event.id)) == event
        updated = await store.update_event(
            event.id, lambda e: fields_from(e, max_per_account=700), utcnow()
        )
        assert updated.max_per_account == 700

    async def test_the_limit_counts_every_registration_of_the_account(self, store: Store) -> None:
        """Fails on the code before issue 10: one account could take every seat."""
        event = make_event(capacity=100, max_per_account=5)
        other_event = make_event(capacity=100, max_per_account=5)
        for made in (event, other_event):
            await store.create_event(made)
        await store.hold_seats(make_registration(event, 2, user_id="ann"), utcnow())
        await store.hold_seats(
            make_registration(event, 2, user_id="ann", held_for=timedelta(minutes=5)), utcnow()
        )
        with pytest.raises(AccountLimit) as caught:
            await store.hold_seats(make_registration(event, 3, user_id="ann"), utcnow())
        assert caught.value.details == {"seats_allowed": 1}
        await store.hold_seats(make_registration(event, 1, user_id="ann"), utcnow())
        with pytest.raises(AccountLimit) as caught:
            await store.hold_seats(make_registration(event, 1, user_id="ann"), utcnow())
        assert caught.value.details == {"seats_allowed": 0}
        # Other accounts, and the same account at another event, are not affected.
        await store.hold_seats(make_registration(event, 5, user_id="bob"), utcnow())
        await store.hold_seats(make_registration(other_event, 5, user_id="ann"), utcnow())
        figures = await store.get_event(event.id)
        assert figures is not None
        assert figures.seats_taken == 10

    async def test_a_sold_out_event_says_so_before_the_limit(self, store: Store) -> None:
        event = make_event(capacity=3, max_per_account=2)
        await store.create_event(event)
        await store.hold_seats(make_registration(event, 2, user_id="ann"), utcnow())
        await store.hold_seats(make_registration(event, 1, user_id="bob"), utcnow())
        with pytest.raises(SoldOut):
            await store.hold_seats(make_registration(event, 1, user_id="ann"), utcnow())
        roomy = make_event(capacity=3, max_per_account=3)
        await store.create_event(roomy)
        await store.hold_seats(make_registration(roomy, 1, user_id="ann"), utcnow())
        with pytest.raises(NotEnoughSeats):
            await store.hold_seats(make_registration(roomy, 3, user_id="bob"), utcnow())

    async def test_one_account_racing_itself_never_passes_the_limit(self, store: Store) -> None:
        """Fails on the code before issue 10: 40 concurrent holds of one account all won."""
        event = make_event(capacity=60, max_per_account=7)
        await store.create_event(event)
        greedy = [
            make_registration(event, 1, user_id="greedy", held_for=timedelta(minutes=10))
            for _ in range(40)
        ]
        others = [
            make_registration(
                event, 1 + i % 2, user_id=f"other-{i}", held_for=timedelta(minutes=10)
            )
            for i in range(20)
        ]
        attempts = [r for pair in zip(greedy, others, strict=False) for r in pair] + greedy[20:]
        results = await asyncio.gather(
            *(store.hold_seats(r, utcnow()) for r in attempts), return_exceptions=True
        )
        by_id = {r.id: result for r, result in zip(attempts, results, strict=True)}
        taken = [by_id[r.id] for r in greedy if isinstance(by_id[r.id], Registration)]
        refused = [by_id[r.id] for r in greedy if not isinstance(by_id[r.id], Registration)]
        assert len(taken) == 7
        assert all(isinstance(r, AccountLimit) for r in refused), refused
        assert all(r.details["seats_allowed"] == 0 for r in refused if isinstance(r, AccountLimit))
        # Everyone else bought what they asked for.
        assert all(isinstance(by_id[r.id], Registration) for r in others)
        assert await _account_seats(store, event.id, "greedy") == 7
        figures = await store.get_event(event.id)
        assert figures is not None
        assert figures.seats_held == 7 + sum(r.quantity for r in others)

    async def test_expired_cancelled_and_refunded_seats_give_the_allowance_back(
        self, store: Store
    ) -> None:
        event = make_event(capacity=50, max_per_account=4)
        await store.create_event(event)
        stale = make_registration(event, 4, user_id="ann", held_for=timedelta(seconds=-1))
        await store.hold_seats(stale, utcnow() - timedelta(minutes=5))
        # The run-out hold no longer counts, whether or not the sweeper came by.
        fresh = make_registration(event, 4, user_id="ann", held_for=timedelta(minutes=5))
        await store.hold_seats(fresh, utcnow())
        with pytest.raises(AccountLimit):
            await store.hold_seats(make_registration(event, 1, user_id="ann"), utcnow())
        await store.cancel_registration(fresh.id, RegistrationStatus.CANCELLED, utcnow(), ATTENDEE)
        confirmed = make_registration(event, 4, user_id="ann")
        await store.hold_seats(confirmed, utcnow())
        with pytest.raises(AccountLimit):
            await store.hold_seats(make_registration(event, 1, user_id="ann"), utcnow())
        await store.refund_registration(confirmed.id, utcnow())
        swept = make_registration(event, 4, user_id="ann", held_for=timedelta(seconds=-1))
        await store.hold_seats(swept, utcnow() - timedelta(minutes=5))
        assert await store.release_expired_holds(event.id, utcnow()) == 4
        await store.hold_seats(make_registration(event, 4, user_id="ann"), utcnow())
        assert await _account_seats(store, event.id, "ann") == 4

    async def test_a_late_payment_respects_the_limit(self, store: Store) -> None:
        event = make_event(capacity=50, max_per_account=3, price=1000)
        await store.create_event(event)
        late = make_registration(event, 2, user_id="ann", held_for=timedelta(seconds=-1))
        await store.hold_seats(late, utcnow() - timedelta(minutes=5))
        await store.release_expired_holds(event.id, utcnow())
        await store.hold_seats(make_registration(event, 2, user_id="ann"), utcnow())
        outcome = await store.confirm_payment(late.id, tickets_for(late, utcnow()), utcnow())
        assert outcome is PaymentOutcome.NO_SEATS
        assert await _account_seats(store, event.id, "ann") == 2

    # -- the attendee's cancellation ------------------------------------------------------

    async def test_an_attendee_may_not_cancel_once_a_ticket_was_used(self, store: Store) -> None:
        """Fails on the code before issue 10: an admitted attendee cancelled for a refund."""
        event = make_event(days=0.01, capacity=5)  # doors are open
        await store.create_event(event)
        registration = make_registration(event, 2, user_id="ann")
        tickets = tickets_for(registration, utcnow())
        await store.hold_seats(registration, utcnow(), tickets)
        attempt = CheckinAttempt(new_id(), event.id, tickets[0].id, "org", "A", "p", utcnow())
        assert (await store.check_in(attempt, event.id, DEFAULT_GRACE)).result is (
            CheckinResult.ADMITTED
        )
        with pytest.raises(TicketUsed):
            await store.cancel_registration(
                registration.id, RegistrationStatus.CANCELLED, utcnow(), ATTENDEE
            )
        kept = await store.get_registration(registration.id)
        assert kept is not None
        assert kept.status is RegistrationStatus.CONFIRMED
        assert [t.status for t in await store.list_registration_tickets(registration.id)] == [
            TicketStatus.USED,
            TicketStatus.VALID,
        ]
        # The organizer still can; the used ticket stays used, the other is voided.
        refunded = await store.cancel_registration(
            registration.id, RegistrationStatus.REFUNDED, utcnow(), Canceller.ORGANIZER
        )
        assert refunded.status is RegistrationStatus.REFUNDED
        assert [t.status for t in await store.list_registration_tickets(registration.id)] == [
            TicketStatus.USED,
            TicketStatus.VOID,
        ]

    async def test_the_attendee_window_closes_when_the_doors_open(self, store: Store) -> None:
        """Fails on the code before issue 10: with cancellation_hours 0 an attendee could
        cancel until the start, hours after the doors opened."""
        starts = utcnow() + timedelta(hours=5)
        event = make_event(
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            doors_open_at=utcnow() - timedelta(minutes=1),
            cancellation_hours=0,
        )
        early = make_event(cancellation_hours=200)  # starts in 7 days: 168 h < 200 h
        for made in (event, early):
            await store.create_event(made)
        for made in (event, early):
            registration = make_registration(made, 1, user_id="ann")
            await store.hold_seats(registration, utcnow())
            with pytest.raises(CancellationClosed):
                await store.cancel_registration(
                    registration.id, RegistrationStatus.CANCELLED, utcnow(), ATTENDEE
                )
            done = await store.cancel_registration(
                registration.id, RegistrationStatus.CANCELLED, utcnow(), Canceller.ORGANIZER
            )
            assert done.status is RegistrationStatus.CANCELLED
        with pytest.raises(InvalidTransition):
            await store.cancel_registration(
                registration.id, RegistrationStatus.CANCELLED, utcnow(), Canceller.ORGANIZER
            )

    async def test_a_scan_racing_a_cancellation_never_both_win(self, store: Store) -> None:
        """Either the scan admits and the attendee's cancellation is refused, or the
        cancellation wins and the scan answers void. (The cancellation is decided at a
        moment before the doors opened, the scan after: in real time the window closes as
        the doors open, so this is how a scan and an in-window cancellation can meet.)"""
        event = make_event(days=0.01, capacity=200, cancellation_hours=0)
        await store.create_event(event)
        before_doors = event.effective_doors_open_at - timedelta(minutes=1)
        pairs = []
        for index in range(12):
            registration = make_registration(event, 1, user_id=f"u{index}")
            [ticket] = tickets_for(registration, utcnow())
            await store.hold_seats(registration, utcnow(), [ticket])
            pairs.append((registration, ticket))

        async def scan(ticket_id: str) -> CheckinResult:
            attempt = CheckinAttempt(new_id(), event.id, ticket_id, "org", "A", "p", utcnow())
            return (await store.check_in(attempt, event.id, DEFAULT_GRACE)).result

        async def cancel(registration_id: str) -> Registration | Exception:
            try:
                return await store.cancel_registration(
                    registration_id, RegistrationStatus.CANCELLED, before_doors, ATTENDEE
                )
            except TicketUsed as refused:
                return refused

        async def race(index: int, registration_id: str, ticket_id: str) -> tuple:
            # Half the pairs start with the scan, half with the cancellation.
            if index % 2:
                return tuple(await asyncio.gather(scan(ticket_id), cancel(registration_id)))
            cancelled, scanned = await asyncio.gather(cancel(registration_id), scan(ticket_id))
            return scanned, cancelled

        outcomes = await asyncio.gather(*(race(i, r.id, t.id) for i, (r, t) in enumerate(pairs)))
        for (_, ticket), (scanned, cancelled) in zip(pairs, outcomes, strict=True):
            stored = await store.get_ticket(ticket.id)
            assert stored is not None
            if scanned is CheckinResult.ADMITTED:
                assert isinstance(cancelled, TicketUsed)
                assert stored.status is TicketStatus.USED
            else:
                assert scanned is CheckinResult.VOID
                assert isinstance(cancelled, Registration)
                assert cancelled.status is RegistrationStatus.CANCELLED
                assert stored.status is TicketStatus.VOID

    # -- partial refunds -----------------------------------------------------------------

    async def test_a_partial_refund_keeps_the_registration(self, store: Store) -> None:
        event = make_event(capacity=10, price=2500)
        await store.create_event(event)
        registration = make_registration(event, 2)
        tickets = tickets_for(registration, utcnow())
        await store.hold_seats(registration, utcnow(), tickets)
        held = make_registration(event, 1, held_for=timedelta(minutes=5))
        await store.hold_seats(held, utcnow())

        partly = await store.record_partial_refund(registration.id, 1000, utcnow())
        assert (partly.status, partly.refunded_amount) == (RegistrationStatus.CONFIRMED, 1000)
        # Repeated and out-of-order reports of a smaller total change nothing.
        assert (await store.record_partial_refund(registration.id, 1000, utcnow())) == partly
        assert (await store.record_partial_refund(registration.id, 400, utcnow())) == partly
        await asyncio.gather(
            *(store.record_partial_refund(registration.id, 3000, utcnow()) for _ in range(5))
        )
        figures = await store.get_event(event.id)
        assert figures is not None
        assert (figures.revenue, figures.seats_confirmed) == (5000 - 3000, 2)
        assert {t.status for t in await store.list_registration_tickets(registration.id)} == {
            TicketStatus.VALID
        }
        assert (await store.record_partial_refund(held.id, 100, utcnow())).refunded_amount == 0
        # A full refund afterwards takes off only what was still counted.
        await store.refund_registration(registration.id, utcnow())
        figures = await store.get_event(event.id)
        assert figures is not None
        assert (figures.revenue, figures.seats_confirmed, figures.registrations) == (0, 0, 0)
