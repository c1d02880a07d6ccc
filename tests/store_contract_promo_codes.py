"""The Store contract for promo codes (issue 13): codes stored per event, unique without
regard to case, and invariant 6: a code with a use limit N is never in use by more than
N registrations; its use is taken and given back in the same atomic step as the seats
(a hold, a late payment; a hold running out, a cancellation, a refund).

`tests/test_store_sqlite.py` and `tests/test_store_dynamo.py` inherit
`PromoCodesContract`, so every backend passes these unchanged.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from models.domain import (
    Event,
    PaymentOutcome,
    Registration,
    RegistrationItem,
    RegistrationStatus,
    default_type_id,
    new_id,
    utcnow,
)
from models.errors import InvalidTransition, NotFound, ValidationFailed
from models.promo_codes import PromoCode, PromoCodeUsedUp, discounted
from models.store import Store
from models.tickets import tickets_for
from tests.store_contract import make_event, make_registration

HOLD = timedelta(minutes=10)


def make_promo(event: Event, code: str = "EARLY", **changes: object) -> PromoCode:
    values: dict[str, object] = {
        "id": new_id(),
        "event_id": event.id,
        "code": code,
        "percent_off": 20,
        "created_at": utcnow().replace(microsecond=0),
    }
    values.update(changes)
    return PromoCode(**values)  # type: ignore[arg-type]


def with_code(
    event: Event,
    promo: PromoCode,
    quantity: int = 1,
    *,
    held_for: timedelta | None = HOLD,
    now: datetime | None = None,
) -> Registration:
    """A registration of the event's one type at its price less the code's discount."""
    items = discounted(
        (RegistrationItem(default_type_id(event.id), "General admission", quantity, event.price),),
        promo,
    )
    registration = make_registration(
        event,
        quantity,
        held_for=held_for,
        items=items,
        amount=sum(item.amount for item in items),
        promo_code_id=promo.id,
        promo_code=promo.code,
    )
    if now is not None and held_for is not None:
        registration = replace(registration, created_at=now, hold_expires_at=now + held_for)
    return registration


async def event_with_code(
    store: Store, capacity: int = 200, **changes: object
) -> tuple[Event, PromoCode]:
    event = make_event(capacity=capacity, max_per_account=1000)
    await store.create_event(event)
    promo = await store.add_promo_code(make_promo(event, **changes))
    return event, promo


async def uses(store: Store, promo: PromoCode) -> int:
    found = await store.get_promo_code(promo.event_id, promo.id)
    assert found is not None
    return found.uses


class PromoCodesContract:
    # -- definitions ---------------------------------------------------------------------

    async def test_codes_are_found_without_regard_to_case(self, store: Store) -> None:
        event, promo = await event_with_code(store, code="Early-Bird_26")
        found = await store.find_promo_code(event.id, "early-BIRD_26")
        assert found == promo
        assert found.code == "Early-Bird_26"  # as the organizer wrote it
        assert await store.find_promo_code(event.id, "EARLY-BIRD") is None
        assert await store.find_promo_code(make_event().id, "Early-Bird_26") is None
        assert await store.get_promo_code(event.id, promo.id) == promo
        assert await store.get_promo_code("another-event", promo.id) is None

    async def test_a_spelling_is_unique_within_its_event_only(self, store: Store) -> None:
        event, _ = await event_with_code(store, code="VIP")
        with pytest.raises(ValidationFailed) as refused:
            await store.add_promo_code(make_promo(event, code="vip"))
        assert "code" in refused.value.fields
        other = make_event()
        await store.create_event(other)
        await store.add_promo_code(make_promo(other, code="vip"))  # another event: fine

    async def test_listing_is_oldest_first_with_uses(self, store: Store) -> None:
        event, first = await event_with_code(store, code="ONE")
        second = await store.add_promo_code(make_promo(event, code="TWO", max_uses=3))
        await store.hold_seats(with_code(event, second), utcnow())
        listed = await store.list_promo_codes(event.id)
        assert [p.id for p in listed] == [first.id, second.id]
        assert [p.uses for p in listed] == [0, 1]
        assert await store.list_promo_codes("no-such-event") == []

    async def test_an_edit_moves_the_spelling_and_keeps_the_uses(self, store: Store) -> None:
        event, promo = await event_with_code(store, code="OLD", max_uses=5)
        await store.add_promo_code(make_promo(event, code="TAKEN"))
        await store.hold_seats(with_code(event, promo), utcnow())
        with pytest.raises(ValidationFailed) as refused:
            await store.update_promo_code(event.id, promo.id, lambda p: replace(p, code="taken"))
        assert "code" in refused.value.fields
        changed = await store.update_promo_code(
            event.id, promo.id, lambda p: replace(p, code="New", percent_off=None, amount_off=300)
        )
        assert (changed.code, changed.amount_off, changed.percent_off, changed.uses) == (
            "New", 300, None, 1,
        )  # fmt: skip
        assert await store.find_promo_code(event.id, "old") is None
        assert await store.find_promo_code(event.id, "NEW") == changed
        # The old spelling is free again.
        await store.add_promo_code(make_promo(event, code="old"))

    async def test_the_limit_cannot_drop_below_the_uses(self, store: Store) -> None:
        """Invariant 6 by an edit: max_uses below the uses taken is refused."""
        event, promo = await event_with_code(store, max_uses=5)
        for _ in range(2):
            await store.hold_seats(with_code(event, promo), utcnow())
        with pytest.raises(ValidationFailed) as refused:
            await store.update_promo_code(event.id, promo.id, lambda p: replace(p, max_uses=1))
        assert "max_uses" in refused.value.fields
        changed = await store.update_promo_code(
            event.id, promo.id, lambda p: replace(p, max_uses=2)
        )
        assert (changed.max_uses, changed.uses) == (2, 2)
        with pytest.raises(PromoCodeUsedUp):
            await store.hold_seats(with_code(event, changed), utcnow())

    async def test_unknown_codes_are_not_found(self, store: Store) -> None:
        event, _ = await event_with_code(store)
        with pytest.raises(NotFound):
            await store.update_promo_code(event.id, "nope", lambda p: p)
        with pytest.raises(NotFound):
            await store.delete_promo_code(event.id, "nope")

    async def test_a_deleted_code_is_gone_but_its_holders_keep_their_seats(
        self, store: Store
    ) -> None:
        event, promo = await event_with_code(store, code="GONE", max_uses=2)
        held = with_code(event, promo)
        await store.hold_seats(held, utcnow())
        await store.delete_promo_code(event.id, promo.id)
        assert await store.get_promo_code(event.id, promo.id) is None
        assert await store.find_promo_code(event.id, "gone") is None
        assert await store.list_promo_codes(event.id) == []
        with pytest.raises(NotFound):
            await store.delete_promo_code(event.id, promo.id)
        with pytest.raises(ValidationFailed) as refused:
            await store.hold_seats(with_code(event, promo), utcnow())
        assert "promo_code" in refused.value.fields
        # The holder's seats still go back (and nothing fails on the missing code).
        cancelled = await store.cancel_registration(held.id, RegistrationStatus.CANCELLED, utcnow())
        assert cancelled.status is RegistrationStatus.CANCELLED
        assert cancelled.promo_code == "GONE"
        fetched = await store.get_event(event.id)
        assert fetched is not None
        assert fetched.seats_taken == 0
        # Its spelling is free again, with uses of its own.
        again = await store.add_promo_code(make_promo(event, code="gone"))
        assert again.uses == 0

    # -- a use moves with the seats ------------------------------------------------------

    async def test_a_hold_takes_a_use_and_stores_the_code(self, store: Store) -> None:
        event, promo = await event_with_code(store)
        registration = with_code(event, promo, 2)
        await store.hold_seats(registration, utcnow())
        stored = await store.get_registration(registration.id)
        assert stored == registration
        assert stored.promo_code == "EARLY"
        assert [item.discount for item in stored.items] == [500]
        assert stored.amount == 2 * (2500 - 500)
        assert await uses(store, promo) == 1  # one use per registration, not per seat

    async def test_a_code_without_a_limit_still_counts(self, store: Store) -> None:
        event, promo = await event_with_code(store, max_uses=None)
        for _ in range(3):
            await store.hold_seats(with_code(event, promo), utcnow())
        assert await uses(store, promo) == 3

    async def test_a_used_up_code_takes_no_seats(self, store: Store) -> None:
        event, promo = await event_with_code(store, max_uses=1)
        await store.hold_seats(with_code(event, promo), utcnow())
        refused = with_code(event, promo)
        with pytest.raises(PromoCodeUsedUp):
            await store.hold_seats(refused, utcnow())
        assert await store.get_registration(refused.id) is None
        fetched = await store.get_event(event.id)
        assert fetched is not None
        assert fetched.seats_held == 1

    async def test_a_code_outside_its_dates_is_refused_in_the_step(self, store: Store) -> None:
        now = utcnow()
        event, promo = await event_with_code(store, valid_until=now + timedelta(minutes=5))
        with pytest.raises(ValidationFailed) as refused:
            await store.hold_seats(with_code(event, promo), now + timedelta(minutes=6))
        assert "promo_code" in refused.value.fields
        assert await uses(store, promo) == 0

    async def test_a_registration_priced_before_an_edit_is_refused(self, store: Store) -> None:
        """The discount is the code's at the moment of the step, not a stale one."""
        event, promo = await event_with_code(store)
        stale = with_code(event, promo)
        await store.update_promo_code(event.id, promo.id, lambda p: replace(p, percent_off=10))
        with pytest.raises(ValidationFailed):
            await store.hold_seats(stale, utcnow())
        assert await uses(store, promo) == 0

    async def test_uses_return_with_the_seats(self, store: Store) -> None:
        """Cancelled (held or confirmed), refunded, run out: each gives its use back;
        a confirmed registration keeps it."""
        now = utcnow()
        event, promo = await event_with_code(store, max_uses=10)
        held = with_code(event, promo)
        confirmed = with_code(event, promo, held_for=None)
        refunded = with_code(event, promo, held_for=None)
        runs_out = with_code(event, promo, held_for=timedelta(minutes=1), now=now)
        kept = with_code(event, promo, held_for=None)
        for registration in (held, confirmed, refunded, runs_out, kept):
            await store.hold_seats(registration, now, tickets_for(registration, now))
        assert await uses(store, promo) == 5
        await store.cancel_registration(held.id, RegistrationStatus.CANCELLED, now)
        await store.cancel_registration(confirmed.id, RegistrationStatus.CANCELLED, now)
        await store.refund_registration(refunded.id, now)
        await store.refund_registration(refunded.id, now)  # a repeat gives nothing more
        assert await uses(store, promo) == 2
        assert await store.release_expired_holds(event.id, now + timedelta(minutes=2)) == 1
        assert await uses(store, promo) == 1
        fetched = await store.get_event(event.id)
        assert fetched is not None
        assert fetched.seats_taken == 1

    async def test_a_payment_keeps_the_use_of_its_live_hold(self, store: Store) -> None:
        now = utcnow()
        event, promo = await event_with_code(store, max_uses=1)
        registration = with_code(event, promo)
        await store.hold_seats(registration, now)
        outcome = await store.confirm_payment(registration.id, tickets_for(registration, now), now)
        assert outcome is PaymentOutcome.CONFIRMED
        assert await uses(store, promo) == 1

    async def test_a_late_payment_takes_the_use_afresh_or_none(self, store: Store) -> None:
        """A payment after its hold was swept gets seats and the code's use again only
        while a use is free (invariant 6), else it is refunded (NO_SEATS)."""
        now = utcnow()
        later = now + timedelta(minutes=5)
        event, promo = await event_with_code(store, max_uses=1)
        first = with_code(event, promo, held_for=timedelta(minutes=1), now=now)
        await store.hold_seats(first, now)
        await store.release_expired_holds(event.id, later)
        assert await uses(store, promo) == 0
        outcome = await store.confirm_payment(first.id, tickets_for(first, later), later)
        assert outcome is PaymentOutcome.CONFIRMED
        assert await uses(store, promo) == 1
        await store.cancel_registration(first.id, RegistrationStatus.CANCELLED, later)
        # Its hold ran out and someone else took the only use: the payment gets nothing.
        late = with_code(event, promo, held_for=timedelta(minutes=1), now=later)
        await store.hold_seats(late, later)
        much_later = later + timedelta(minutes=5)
        await store.release_expired_holds(event.id, much_later)
        other = with_code(event, promo, now=much_later)
        await store.hold_seats(other, much_later)
        outcome = await store.confirm_payment(late.id, tickets_for(late, much_later), much_later)
        assert outcome is PaymentOutcome.NO_SEATS
        assert await uses(store, promo) == 1

    # -- invariant 6 under concurrency ---------------------------------------------------

    async def test_racing_buyers_never_pass_the_limit(self, store: Store) -> None:
        """Invariant 6 attacked: 40 buyers race for a code with max_uses 5 on an event
        with seats for all; then, wave after wave, holds run out and registrations are
        cancelled or refunded while new buyers race again. Never more than 5 in use, and
        the counter always equals the registrations holding seats with the code."""
        limit = 5
        event, promo = await event_with_code(store, capacity=1000, max_uses=limit)
        rng = random.Random(6)
        now = utcnow()
        live: list[Registration] = []
        for wave in range(4):
            now += timedelta(minutes=3)
            buyers = [
                with_code(event, promo, held_for=timedelta(minutes=rng.choice((2, 60))), now=now)
                for _ in range(40)
            ]
            # Some of the live ones are cancelled or refunded while the buyers race.
            leaving = [r for r in live if rng.random() < 0.5]
            releases = [
                store.cancel_registration(r.id, RegistrationStatus.CANCELLED, now)
                if rng.random() < 0.5
                else store.refund_registration(r.id, now)
                for r in leaving
            ]
            results = await asyncio.gather(
                *(store.hold_seats(r, now) for r in buyers), *releases, return_exceptions=True
            )
            for result in results[: len(buyers)]:
                if isinstance(result, BaseException):
                    assert isinstance(result, PromoCodeUsedUp), result
            for result in results[len(buyers) :]:
                # A hold that ran out meanwhile cannot be cancelled: nothing to give back.
                if isinstance(result, BaseException):
                    assert isinstance(result, InvalidTransition), result
            granted = [r for r, result in zip(buyers, results, strict=False) if result is r]
            if wave == 0:
                assert len(granted) == limit  # exactly N of 40, none lost
            live = await holders_of(store, event, promo)
            assert await uses(store, promo) == len(live) <= limit
            # Swept or not, a run-out hold counts until its step gives it back.
            await store.release_expired_holds(event.id, now)
            live = await holders_of(store, event, promo)
            assert await uses(store, promo) == len(live) <= limit
        assert await uses(store, promo) <= limit


async def holders_of(store: Store, event: Event, promo: PromoCode) -> list[Registration]:
    """Registrations of the event holding or having confirmed seats with the code."""
    found: list[Registration] = []
    cursor = None
    while True:
        page = await store.list_event_registrations(event.id, 100, cursor)
        found += [
            r
            for r in page.items
            if r.promo_code_id == promo.id
            and r.status in (RegistrationStatus.HELD, RegistrationStatus.CONFIRMED)
        ]
        cursor = page.next_cursor
        if cursor is None:
            return found
