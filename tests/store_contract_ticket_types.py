"""The Store contract for ticket types (issue 13): types stored per event with their own
counters, and invariant 1 as it grows: for every type its seats taken <= its capacity,
and for the event all types together <= the event's capacity, under any concurrency, in
one atomic step.

`tests/test_store_sqlite.py` and `tests/test_store_dynamo.py` inherit
`TicketTypesContract`, so every backend passes these unchanged.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import timedelta

import pytest

from models.domain import (
    GENERAL_ADMISSION,
    Event,
    PaymentOutcome,
    Registration,
    RegistrationItem,
    RegistrationStatus,
    TicketType,
    default_type_id,
    new_id,
    utcnow,
)
from models.errors import (
    AdmitError,
    CapacityBelowSold,
    LastTicketType,
    NotEnoughSeats,
    NotFound,
    SoldOut,
    TicketTypeInUse,
    TicketTypeNotOnSale,
    ValidationFailed,
)
from models.store import Store
from models.tickets import tickets_for
from tests.store_contract import fields_from, make_event, make_registration


def make_type(event: Event, name: str, price: int = 1000, **changes: object) -> TicketType:
    values: dict[str, object] = {
        "id": new_id(),
        "event_id": event.id,
        "name": name,
        "price": price,
        "currency": event.currency,
    }
    values.update(changes)
    return TicketType(**values)  # type: ignore[arg-type]


def buying(
    event: Event,
    lines: list[tuple[TicketType, int]],
    *,
    held_for: timedelta | None = None,
    **changes: object,
) -> Registration:
    """A registration of `lines` (type, quantity): confirmed, or held for `held_for`."""
    items = tuple(RegistrationItem(t.id, t.name, q, t.price) for t, q in lines)
    return make_registration(
        event,
        sum(q for _, q in lines),
        held_for=held_for,
        items=items,
        amount=sum(item.amount for item in items),
        **changes,
    )


async def two_types(
    store: Store, capacity: int = 100, a: int | None = None, b: int | None = None
) -> tuple[Event, TicketType, TicketType]:
    event = make_event(capacity=capacity)
    standard = make_type(event, "Standard", 3000, capacity=a)
    student = make_type(event, "Student", 1500, capacity=b)
    await store.create_event(event, [standard, student])
    return event, standard, student


async def counters(store: Store, event_id: str) -> dict[str, int]:
    return {t.name: t.seats_taken for t in await store.list_ticket_types(event_id)}


class TicketTypesContract:
    async def test_an_event_made_the_old_way_has_one_general_admission_type(
        self, store: Store
    ) -> None:
        """Old calls keep working: an event stored with no types has one, priced as it."""
        event = make_event(price=2500)
        await store.create_event(event)
        (kind,) = await store.list_ticket_types(event.id)
        assert (kind.id, kind.name, kind.price, kind.capacity) == (
            default_type_id(event.id),
            GENERAL_ADMISSION,
            2500,
            None,
        )
        assert kind.currency == event.currency
        assert await store.list_ticket_types("missing") == []

    async def test_types_round_trip_in_order_and_the_price_is_the_lowest_visible(
        self, store: Store
    ) -> None:
        event, standard, _student = await two_types(store, a=40)
        stored = await store.list_ticket_types(event.id)
        assert [t.name for t in stored] == ["Standard", "Student"]
        assert stored[0] == replace(standard, position=0)
        fetched = await store.get_event(event.id)
        assert fetched is not None
        assert fetched.price == 1500
        vip = await store.add_ticket_type(make_type(event, "VIP", 500, hidden=True))
        assert vip.position == 2
        fetched = await store.get_event(event.id)
        assert fetched is not None
        assert fetched.price == 1500  # a hidden type's price is not the event's
        order = await store.move_ticket_type(event.id, vip.id, -1)
        assert [t.name for t in order] == ["Standard", "VIP", "Student"]
        order = await store.move_ticket_type(event.id, vip.id, -5)
        assert [t.name for t in order] == ["VIP", "Standard", "Student"]
        assert [t.position for t in order] == [0, 1, 2]

    async def test_names_are_unique_within_an_event(self, store: Store) -> None:
        event, _standard, student = await two_types(store)
        with pytest.raises(ValidationFailed) as caught:
            await store.add_ticket_type(make_type(event, "standard"))
        assert "name" in caught.value.fields
        with pytest.raises(ValidationFailed):
            await store.update_ticket_type(
                event.id, student.id, lambda t: replace(t, name="Standard"), utcnow()
            )
        other = make_event()
        await store.create_event(other)
        await store.add_ticket_type(make_type(other, "Standard"))  # another event: fine

    async def test_concurrent_adds_of_one_name_keep_one(self, store: Store) -> None:
        event, _, _ = await two_types(store)
        results = await asyncio.gather(
            *(store.add_ticket_type(make_type(event, "VIP")) for _ in range(6)),
            return_exceptions=True,
        )
        assert sum(isinstance(r, TicketType) for r in results) == 1
        assert [t.name for t in await store.list_ticket_types(event.id)].count("VIP") == 1

    async def test_a_hold_counts_each_type_and_the_event_and_a_cancel_gives_back(
        self, store: Store
    ) -> None:
        event, standard, student = await two_types(store)
        registration = buying(event, [(standard, 2), (student, 1)], held_for=timedelta(minutes=10))
        await store.hold_seats(registration, utcnow())
        assert await counters(store, event.id) == {"Standard": 2, "Student": 1}
        stored = await store.get_registration(registration.id)
        assert stored is not None
        assert stored.items == registration.items
        fetched = await store.get_event(event.id)
        assert fetched is not None
        assert fetched.seats_held == 3
        await store.cancel_registration(registration.id, RegistrationStatus.CANCELLED, utcnow())
        assert await counters(store, event.id) == {"Standard": 0, "Student": 0}

    async def test_a_confirmed_registration_issues_typed_tickets_and_counts_revenue(
        self, store: Store
    ) -> None:
        event, standard, student = await two_types(store)
        registration = buying(event, [(student, 1), (standard, 2)])
        now = utcnow()
        tickets = tickets_for(registration, now)
        await store.hold_seats(registration, now, tickets)
        stored = await store.list_registration_tickets(registration.id)
        assert [t.ticket_type_name for t in sorted(stored, key=lambda t: t.seat_no)] == [
            "Student",
            "Standard",
            "Standard",
        ]
        by_name = {t.name: t for t in await store.list_ticket_types(event.id)}
        assert (by_name["Standard"].seats_confirmed, by_name["Standard"].revenue) == (2, 6000)
        assert (by_name["Student"].seats_confirmed, by_name["Student"].revenue) == (1, 1500)
        await store.refund_registration(registration.id, utcnow())
        by_name = {t.name: t for t in await store.list_ticket_types(event.id)}
        assert (by_name["Standard"].seats_confirmed, by_name["Standard"].revenue) == (0, 0)

    async def test_a_type_at_its_capacity_is_named_in_the_refusal(self, store: Store) -> None:
        event, standard, student = await two_types(store, capacity=10, b=2)
        await store.hold_seats(buying(event, [(student, 1)]), utcnow())
        with pytest.raises(NotEnoughSeats) as caught:
            await store.hold_seats(buying(event, [(student, 2)]), utcnow())
        assert caught.value.details == {"seats_left": 1, "ticket_type_id": student.id}
        await store.hold_seats(buying(event, [(student, 1)]), utcnow())
        with pytest.raises(SoldOut) as sold_out:
            await store.hold_seats(buying(event, [(student, 1), (standard, 1)]), utcnow())
        assert sold_out.value.details["ticket_type_id"] == student.id
        # The event's own limit: no type named.
        with pytest.raises(NotEnoughSeats) as event_limit:
            await store.hold_seats(buying(event, [(standard, 9)]), utcnow())
        assert event_limit.value.details == {"seats_left": 8}
        assert await counters(store, event.id) == {"Standard": 0, "Student": 2}

    async def test_a_type_outside_its_sales_window_is_not_sold(self, store: Store) -> None:
        now = utcnow()
        event = make_event()
        early = make_type(event, "Early bird", sales_end=now - timedelta(minutes=1))
        later = make_type(event, "Late", sales_start=now + timedelta(days=1))
        await store.create_event(event, [early, later])
        for kind in (early, later):
            with pytest.raises(TicketTypeNotOnSale) as caught:
                await store.hold_seats(buying(event, [(kind, 1)]), now)
            assert caught.value.details == {"ticket_type_id": kind.id}
        assert await counters(store, event.id) == {"Early bird": 0, "Late": 0}

    async def test_a_type_deleted_meanwhile_is_refused(self, store: Store) -> None:
        event, standard, _ = await two_types(store)
        ghost = make_type(event, "Gone")
        with pytest.raises(ValidationFailed):
            await store.hold_seats(buying(event, [(standard, 1), (ghost, 1)]), utcnow())
        assert await counters(store, event.id) == {"Standard": 0, "Student": 0}

    async def test_capacity_edits_deletes_and_the_last_type(self, store: Store) -> None:
        event, standard, student = await two_types(store)
        await store.hold_seats(buying(event, [(standard, 3)]), utcnow())
        with pytest.raises(CapacityBelowSold):
            await store.update_ticket_type(
                event.id, standard.id, lambda t: replace(t, capacity=2), utcnow()
            )
        edited = await store.update_ticket_type(
            event.id,
            standard.id,
            lambda t: replace(t, capacity=3, name="Standard+", price=3500),
            utcnow(),
        )
        assert (edited.capacity, edited.name, edited.price, edited.seats_taken) == (
            3,
            "Standard+",
            3500,
            3,
        )
        with pytest.raises(TicketTypeInUse):
            await store.delete_ticket_type(event.id, standard.id)
        await store.delete_ticket_type(event.id, student.id)
        with pytest.raises(NotFound):
            await store.delete_ticket_type(event.id, student.id)
        fetched = await store.get_event(event.id)
        assert fetched is not None
        assert fetched.price == 3500  # the price follows the types left
        other = make_event()
        await store.create_event(other)
        (only,) = await store.list_ticket_types(other.id)
        with pytest.raises(LastTicketType):
            await store.delete_ticket_type(other.id, only.id)

    async def test_the_event_price_moves_its_only_type_and_refuses_with_several(
        self, store: Store
    ) -> None:
        """PATCH /events {price} the old way: its one type's price follows it."""
        event = make_event(price=2500)
        await store.create_event(event)
        await store.update_event(event.id, lambda e: fields_from(e, price=3000), utcnow())
        (kind,) = await store.list_ticket_types(event.id)
        assert kind.price == 3000
        several, _, _ = await two_types(store)
        with pytest.raises(ValidationFailed) as caught:
            await store.update_event(several.id, lambda e: fields_from(e, price=1), utcnow())
        assert "price" in caught.value.fields
        # Other fields change as ever while the price stays.
        renamed = await store.update_event(
            several.id, lambda e: fields_from(e, title="Renamed"), utcnow()
        )
        assert (renamed.title, renamed.price) == ("Renamed", 1500)

    async def test_an_expired_hold_gives_back_to_its_types(self, store: Store) -> None:
        event, standard, student = await two_types(store)
        now = utcnow()
        await store.hold_seats(
            buying(event, [(standard, 2), (student, 2)], held_for=timedelta(seconds=5)), now
        )
        await store.hold_seats(buying(event, [(student, 1)], held_for=timedelta(hours=1)), now)
        assert await store.release_expired_holds(event.id, now + timedelta(seconds=10)) == 4
        assert await counters(store, event.id) == {"Standard": 0, "Student": 1}

    async def test_a_late_payment_gets_seats_only_if_its_type_has_them(self, store: Store) -> None:
        event, standard, student = await two_types(store, b=1)
        now = utcnow()
        late = buying(event, [(student, 1)], held_for=timedelta(seconds=1))
        await store.hold_seats(late, now)
        later = now + timedelta(seconds=5)
        await store.release_expired_holds(event.id, later)
        await store.hold_seats(buying(event, [(student, 1)]), later)  # took the last one
        outcome = await store.confirm_payment(late.id, tickets_for(late, later), later)
        assert outcome is PaymentOutcome.NO_SEATS
        assert await counters(store, event.id) == {"Standard": 0, "Student": 1}
        paid = buying(event, [(standard, 2)], held_for=timedelta(seconds=1))
        await store.hold_seats(paid, now)
        outcome = await store.confirm_payment(paid.id, tickets_for(paid, later), later)
        assert outcome is PaymentOutcome.CONFIRMED  # Standard has room: seats again
        assert await counters(store, event.id) == {"Standard": 2, "Student": 1}

    async def test_racing_buyers_never_pass_a_type_or_the_event(self, store: Store) -> None:
        """Invariant 1 attacked on both limits at once: 60 buyers race for two types
        whose capacities (20 + 20) together exceed the event's (30)."""
        event, standard, student = await two_types(store, capacity=30, a=20, b=20)
        rng = random.Random(13)
        baskets: list[list[tuple[TicketType, int]]] = []
        for _ in range(60):
            shape = rng.choice(("standard", "student", "both"))
            if shape == "both":
                baskets.append([(standard, rng.randint(1, 2)), (student, rng.randint(1, 2))])
            else:
                kind = standard if shape == "standard" else student
                baskets.append([(kind, rng.randint(1, 3))])
        now = utcnow()
        registrations = [
            buying(event, basket, held_for=timedelta(minutes=10)) for basket in baskets
        ]
        results = await asyncio.gather(
            *(store.hold_seats(r, now) for r in registrations), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                assert isinstance(result, SoldOut | NotEnoughSeats), result
        granted = [
            r
            for r, result in zip(registrations, results, strict=True)
            if not isinstance(result, AdmitError)
        ]
        by_type = {standard.id: 0, student.id: 0}
        for registration in granted:
            for item in registration.items:
                by_type[item.ticket_type_id] += item.quantity
        types = {t.id: t for t in await store.list_ticket_types(event.id)}
        fetched = await store.get_event(event.id)
        assert fetched is not None
        assert types[standard.id].seats_taken == by_type[standard.id] <= 20
        assert types[student.id].seats_taken == by_type[student.id] <= 20
        assert fetched.seats_taken == sum(by_type.values()) <= 30
        assert sum(t.seats_taken for t in types.values()) == fetched.seats_taken
        assert fetched.seats_taken > 20  # more than one type alone could hold: both sold
