"""The Store contract for the waiting list (issue 14) and invariant 7: while anyone waits,
seats that come back go to the list first (oldest entry that fits), are never offered
twice and never sold to the public meanwhile.

`tests/test_store_sqlite.py` and `tests/test_store_dynamo.py` inherit `WaitlistContract`,
so both backends pass these unchanged.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from models.domain import (
    Event,
    EventStatus,
    Registration,
    RegistrationItem,
    RegistrationStatus,
    TicketType,
    default_type_id,
    new_id,
    utcnow,
)
from models.errors import (
    AccountLimit,
    AlreadyWaiting,
    EventNotOpen,
    InvalidTransition,
    NotEnoughSeats,
    NotFound,
    SeatsAvailable,
    SoldOut,
    ValidationFailed,
    WaitlistClosed,
)
from models.outbox import JobKind, job_id
from models.store import Store
from models.waitlist import EntryStatus, WaitlistEntry, positions
from tests.store_contract import fields_from, make_event, make_registration

HOLD = timedelta(minutes=10)


def make_entry(
    event: Event, quantity: int = 1, *, type_id: str | None = None, at: datetime | None = None
) -> WaitlistEntry:
    user = "wait-" + new_id()[:8]
    return WaitlistEntry(
        id=new_id(),
        event_id=event.id,
        ticket_type_id=type_id or default_type_id(event.id),
        user_id=user,
        user_name="Wendy Waiter",
        user_email=f"{user}@example.com",
        quantity=quantity,
        status=EntryStatus.WAITING,
        created_at=at or utcnow(),
    )


async def sold_out(store: Store, capacity: int, **changes: object) -> tuple[Event, list[str]]:
    """A published event whose `capacity` seats are confirmed, one per registration."""
    event = make_event(capacity=capacity, max_per_account=1000, **changes)
    await store.create_event(event)
    ids = []
    for _ in range(capacity):
        registration = make_registration(event, 1)
        await store.hold_seats(registration, utcnow())
        ids.append(registration.id)
    return event, ids


async def join_in_order(store: Store, event: Event, quantities: list[int]) -> list[WaitlistEntry]:
    """Entries that joined one after another (their times strictly in that order)."""
    base = utcnow().replace(microsecond=0)
    entries = []
    for i, q in enumerate(quantities):
        entry = make_entry(event, q, at=base + timedelta(milliseconds=i))
        entries.append(await store.join_waitlist(entry, utcnow()))
    return entries


async def fresh(store: Store, event_id: str) -> Event:
    event = await store.get_event(event_id)
    assert event is not None
    return event


async def entry(store: Store, entry_id: str) -> WaitlistEntry:
    found = await store.get_waitlist_entry(entry_id)
    assert found is not None
    return found


def public(event: Event, quantity: int = 1) -> Registration:
    return make_registration(event, quantity, held_for=HOLD)


class WaitlistContract:
    async def test_joining_is_refused_while_the_public_can_buy(self, store: Store) -> None:
        """Joining needs a sold-out event (409 seats_available before); the seats waited
        for are the public's no more. Fails before issue 14: no waiting list."""
        event = make_event(capacity=2, max_per_account=1000)
        await store.create_event(event)
        with pytest.raises(SeatsAvailable):
            await store.join_waitlist(make_entry(event), utcnow())
        await store.hold_seats(make_registration(event, 2), utcnow())
        first, second = await join_in_order(store, event, [2, 1])
        assert first.status is EntryStatus.WAITING
        counted = await fresh(store, event.id)
        assert (counted.waitlist_seats, counted.waitlist_entries, counted.seats_left) == (3, 2, 0)
        listed = await store.list_event_waitlist(event.id)
        assert [e.id for e in listed] == [first.id, second.id]
        assert positions(listed) == {first.id: 1, second.id: 2}
        assert [e.id for e in await store.list_user_waitlist(first.user_id)] == [first.id]

    async def test_joining_checks_the_list_and_the_entry(self, store: Store) -> None:
        """A closed list, a hidden or unknown type, a quantity out of range, an event not
        on sale: each refused, nothing stored."""
        event, _ = await sold_out(store, 1, waitlist_enabled=False)
        with pytest.raises(WaitlistClosed):
            await store.join_waitlist(make_entry(event), utcnow())
        event, _ = await sold_out(store, 1)
        with pytest.raises(ValidationFailed) as bad_type:
            await store.join_waitlist(make_entry(event, type_id=new_id()), utcnow())
        assert "ticket_type_id" in bad_type.value.fields
        with pytest.raises(ValidationFailed) as too_many:
            await store.join_waitlist(make_entry(event, 11), utcnow())
        assert "quantity" in too_many.value.fields
        draft = make_event(capacity=1, status=EventStatus.DRAFT)
        await store.create_event(draft)
        with pytest.raises(EventNotOpen):
            await store.join_waitlist(make_entry(draft), utcnow())
        with pytest.raises(NotFound):
            await store.join_waitlist(make_entry(replace(draft, id=new_id())), utcnow())
        assert await store.list_event_waitlist(event.id) == []

    async def test_an_account_waits_once_and_within_its_limit(self, store: Store) -> None:
        """One entry waiting or offered per account and event, even when it joins eight
        times at once; what it holds plus what it waits for stays within max_per_account
        (an offer becomes seats of its own). Fails before: joins were counted apart."""
        event = make_event(capacity=3, max_per_account=3)
        await store.create_event(event)
        await store.hold_seats(make_registration(event, 2, user_id="user-ulla"), utcnow())
        await store.hold_seats(make_registration(event, 1), utcnow())
        greedy = replace(make_entry(event, 2), user_id="user-ulla")
        with pytest.raises(AccountLimit) as limit:
            await store.join_waitlist(greedy, utcnow())
        assert limit.value.details["seats_allowed"] == 1

        async def join() -> WaitlistEntry | None:
            try:
                return await store.join_waitlist(
                    replace(make_entry(event, 1), user_id="user-ulla"), utcnow()
                )
            except AlreadyWaiting:
                return None

        joined = [e for e in await asyncio.gather(*(join() for _ in range(8))) if e]
        assert len(joined) == 1
        assert [e.id for e in await store.list_event_waitlist(event.id)] == [joined[0].id]
        assert (await fresh(store, event.id)).waitlist_entries == 1
        await store.leave_waitlist(joined[0].id, "user-ulla", utcnow())
        again = await store.join_waitlist(
            replace(make_entry(event, 1), user_id="user-ulla"), utcnow()
        )
        assert again.status is EntryStatus.WAITING

    async def test_seats_that_come_back_go_to_the_oldest_entry_that_fits(
        self, store: Store
    ) -> None:
        """A cancellation offers its seat to the oldest entry that fits (a held
        registration of its own, with its mail job); the public gets sold_out."""
        event, sold = await sold_out(store, 3)
        big, small, later = await join_in_order(store, event, [2, 1, 1])
        now = utcnow()
        await store.cancel_registration(sold[0], RegistrationStatus.CANCELLED, now)
        offered = await entry(store, small.id)
        assert offered.status is EntryStatus.OFFERED
        assert (await entry(store, big.id)).status is EntryStatus.WAITING
        assert (await entry(store, later.id)).status is EntryStatus.WAITING
        assert offered.registration_id is not None
        registration = await store.get_registration(offered.registration_id)
        assert registration is not None
        assert registration.status is RegistrationStatus.HELD
        assert registration.user_id == small.user_id
        assert registration.amount == event.price
        assert registration.hold_expires_at == offered.offer_expires_at
        assert offered.offer_expires_at is not None
        assert offered.offer_expires_at <= event.starts_at
        job = await store.get_job(job_id(JobKind.WAITLIST_OFFER, small.id))
        assert job is not None
        with pytest.raises(SoldOut):
            await store.hold_seats(public(event), utcnow())
        # One seat more: the oldest (2 seats) does not fit, the later one does.
        await store.cancel_registration(sold[1], RegistrationStatus.CANCELLED, utcnow())
        assert (await entry(store, later.id)).status is EntryStatus.OFFERED
        # And one more: kept for the oldest (the public gets none), then a third fits it.
        await store.cancel_registration(sold[2], RegistrationStatus.REFUNDED, utcnow())
        assert (await entry(store, big.id)).status is EntryStatus.WAITING
        with pytest.raises(SoldOut):
            await store.hold_seats(public(event), utcnow())
        assert offered.registration_id is not None
        await store.cancel_registration(
            offered.registration_id, RegistrationStatus.CANCELLED, utcnow()
        )
        assert (await entry(store, big.id)).status is EntryStatus.OFFERED
        counted = await fresh(store, event.id)
        assert (counted.seats_held, counted.seats_confirmed) == (3, 0)
        assert (counted.waitlist_seats, counted.waitlist_entries) == (0, 0)

    async def test_an_offer_that_runs_out_passes_to_the_next(self, store: Store) -> None:
        """A run-out offer's seats go to the next entry (the sweeper, or lazily)."""
        event, sold = await sold_out(store, 1, waitlist_offer_hours=1)
        first, second = await join_in_order(store, event, [1, 1])
        await store.cancel_registration(sold[0], RegistrationStatus.CANCELLED, utcnow())
        offered = await entry(store, first.id)
        assert offered.offer_expires_at is not None
        later = offered.offer_expires_at + timedelta(seconds=1)
        assert await store.release_expired_holds(event.id, later) == 1
        assert (await entry(store, second.id)).status is EntryStatus.OFFERED
        assert offered.registration_id is not None
        gone = await store.get_registration(offered.registration_id)
        assert gone is not None
        assert gone.status is RegistrationStatus.EXPIRED
        counted = await fresh(store, event.id)
        assert (counted.seats_held, counted.waitlist_seats, counted.waitlist_entries) == (1, 0, 0)

    async def test_an_offer_never_lasts_past_the_start(self, store: Store) -> None:
        event, sold = await sold_out(store, 1, days=0.5)  # 12 hours away: less than 24
        (waiting,) = await join_in_order(store, event, [1])
        await store.cancel_registration(sold[0], RegistrationStatus.CANCELLED, utcnow())
        assert (await entry(store, waiting.id)).offer_expires_at == event.starts_at

    async def test_leaving_gives_the_seats_back_to_the_public(self, store: Store) -> None:
        """Only its owner, only while waiting; then the public may buy again."""
        event, sold = await sold_out(store, 1)
        (waiting,) = await join_in_order(store, event, [1])
        await store.cancel_registration(sold[0], RegistrationStatus.CANCELLED, utcnow())
        (other,) = await join_in_order(store, event, [1])  # offered at once? no: taken
        with pytest.raises(NotFound):
            await store.leave_waitlist(other.id, "someone-else", utcnow())
        with pytest.raises(InvalidTransition):
            await store.leave_waitlist(waiting.id, waiting.user_id, utcnow())  # offered
        gone = await store.leave_waitlist(other.id, other.user_id, utcnow())
        assert gone.status is EntryStatus.LEFT
        counted = await fresh(store, event.id)
        assert (counted.waitlist_seats, counted.waitlist_entries) == (0, 0)

    async def test_a_raised_capacity_goes_to_the_list_first(self, store: Store) -> None:
        event, _ = await sold_out(store, 2)
        first, second = await join_in_order(store, event, [1, 1])
        await store.update_event(
            event.id, lambda e: fields_from(e, capacity=e.capacity + 1), utcnow()
        )
        assert (await entry(store, first.id)).status is EntryStatus.OFFERED
        assert (await entry(store, second.id)).status is EntryStatus.WAITING
        with pytest.raises(SoldOut):
            await store.hold_seats(public(event), utcnow())

    async def test_the_organizer_offers_by_hand(self, store: Store) -> None:
        """A list turned off makes no offers by itself; the organizer offers any waiting
        entry, whatever its place, when its seats are free; else refused."""
        event, sold = await sold_out(store, 1)
        older, younger = await join_in_order(store, event, [1, 1])
        with pytest.raises(NotEnoughSeats):
            await store.offer_waitlist(event.id, utcnow(), younger.id)
        await store.update_event(
            event.id, lambda e: fields_from(e, waitlist_enabled=False), utcnow()
        )
        with pytest.raises(WaitlistClosed):
            await store.join_waitlist(make_entry(event), utcnow())
        await store.cancel_registration(sold[0], RegistrationStatus.CANCELLED, utcnow())
        assert (await entry(store, older.id)).status is EntryStatus.WAITING
        with pytest.raises(SoldOut):  # still theirs
            await store.hold_seats(public(event), utcnow())
        (made,) = await store.offer_waitlist(event.id, utcnow(), younger.id)
        assert made.user_id == younger.user_id
        assert (await entry(store, younger.id)).status is EntryStatus.OFFERED
        assert (await entry(store, older.id)).status is EntryStatus.WAITING
        with pytest.raises(InvalidTransition):
            await store.offer_waitlist(event.id, utcnow(), younger.id)  # offered already

    async def test_a_type_waits_for_its_own_seats(self, store: Store) -> None:
        """An entry for a type with its own capacity: that type's seats coming back go to
        it; another type's public sales go on."""
        event = make_event(capacity=10, max_per_account=1000)
        vip = TicketType(id=new_id(), event_id=event.id, name="VIP", price=9000,
                         currency="EUR", capacity=1)  # fmt: skip
        floor = TicketType(id=new_id(), event_id=event.id, name="Floor", price=2000,
                           currency="EUR", position=1)  # fmt: skip
        await store.create_event(event, [vip, floor])
        item = RegistrationItem(vip.id, vip.name, 1, vip.price)
        bought = make_registration(event, 1, items=(item,), amount=vip.price)
        await store.hold_seats(bought, utcnow())
        with pytest.raises(SeatsAvailable):
            await store.join_waitlist(make_entry(event, type_id=floor.id), utcnow())
        waiting = await store.join_waitlist(make_entry(event, type_id=vip.id), utcnow())
        floor_item = RegistrationItem(floor.id, floor.name, 2, floor.price)
        await store.hold_seats(
            make_registration(event, 2, items=(floor_item,), amount=2 * floor.price), utcnow()
        )
        await store.cancel_registration(bought.id, RegistrationStatus.CANCELLED, utcnow())
        offered = await entry(store, waiting.id)
        assert offered.status is EntryStatus.OFFERED
        assert offered.registration_id is not None
        registration = await store.get_registration(offered.registration_id)
        assert registration is not None
        assert [i.ticket_type_id for i in registration.items] == [vip.id]
        assert registration.amount == vip.price

    async def test_a_cancellation_wave_during_a_rush_serves_the_list_only(
        self, store: Store
    ) -> None:
        """Invariant 7 under concurrency: many cancellations at once while many public
        buyers rush. No buyer gets a freed seat while entries wait, no seat is offered
        twice, nothing oversells. Fails without the list's seats counted in the hold's
        condition (public buyers would take the freed seats)."""
        # Entries of two seats: after every other cancellation one freed seat waits for
        # the next, and a public buyer must not get it meanwhile.
        capacity, wave, waiting, buyers = 24, 12, 10, 24
        event, sold = await sold_out(store, capacity)
        entries = await join_in_order(store, event, [2] * waiting)
        cancelled = random.sample(sold, wave)

        async def cancel(registration_id: str) -> None:
            await store.cancel_registration(registration_id, RegistrationStatus.CANCELLED, utcnow())

        async def buy() -> Registration | None:
            try:
                return await store.hold_seats(public(event, random.choice((1, 2))), utcnow())
            except (SoldOut, NotEnoughSeats):
                return None

        jobs = [cancel(i) for i in cancelled] + [buy() for _ in range(buyers)]
        random.shuffle(jobs)
        results = await asyncio.gather(*jobs)
        assert [r for r in results if isinstance(r, Registration)] == []
        # Whatever an offer step left undone (none should be), a last pass finishes.
        await store.offer_waitlist(event.id, utcnow())
        listed = await store.list_event_waitlist(event.id)
        offered = [e for e in listed if e.status is EntryStatus.OFFERED]
        assert len(offered) == wave // 2
        # The oldest entries got them, each its own registration.
        assert {e.id for e in offered} == {e.id for e in entries[: wave // 2]}
        registration_ids = {e.registration_id for e in offered}
        assert len(registration_ids) == wave // 2
        assert None not in registration_ids
        counted = await fresh(store, event.id)
        assert counted.seats_taken == capacity
        assert counted.seats_held == wave
        left_waiting = waiting - wave // 2
        assert (counted.waitlist_seats, counted.waitlist_entries) == (
            2 * left_waiting,
            left_waiting,
        )
        # And a second wave of buyers still gets nothing while four wait.
        with pytest.raises(SoldOut):
            await store.hold_seats(public(event), utcnow())
