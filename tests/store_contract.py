"""The Store contract: every backend must pass these, unchanged.

A backend's test module subclasses `StoreContract` and provides a `store` fixture that
yields an opened, empty store.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from models.domain import (
    CODE_ATTEMPTS,
    CodePurpose,
    Event,
    EventStatus,
    OneTimeCode,
    PaymentOutcome,
    Registration,
    RegistrationStatus,
    Role,
    User,
    new_id,
    utcnow,
)
from models.errors import (
    CapacityBelowSold,
    EmailTaken,
    EventNotOpen,
    Forbidden,
    InvalidTransition,
    NotEnoughSeats,
    NotFound,
    SoldOut,
    ValidationFailed,
)
from models.event_rules import EventFields
from models.store import EventQuery, RegistrationQuery, Store
from models.tickets import DEFAULT_GRACE, CheckinAttempt, CheckinResult, TicketStatus, tickets_for


def make_user(email: str = "a@example.com", **changes: object) -> User:
    values: dict[str, object] = {
        "id": new_id(),
        "email": email,
        "name": "Ada",
        "roles": frozenset({Role.ATTENDEE}),
        "email_verified": False,
        "created_at": utcnow().replace(microsecond=0),
    }
    values.update(changes)
    return User(**values)  # type: ignore[arg-type]


def make_event(organizer_id: str = "org", days: float = 7, **changes: object) -> Event:
    starts = (utcnow() + timedelta(days=days)).replace(microsecond=0)
    values: dict[str, object] = {
        "id": new_id(),
        "organizer_id": organizer_id,
        "title": "Concert",
        "description": "Line one\nLine two",
        "venue": "Hall",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=3),
        "timezone": "Europe/Lisbon",
        "capacity": 100,
        "price": 2500,
        "currency": "EUR",
        "category": "music",
        "status": EventStatus.PUBLISHED,
    }
    values.update(changes)
    return Event(**values)  # type: ignore[arg-type]


def make_registration(
    event: Event, quantity: int = 1, *, held_for: timedelta | None = None, **changes: object
) -> Registration:
    """A confirmed registration, or a held one when `held_for` is given."""
    now = utcnow()
    values: dict[str, object] = {
        "id": new_id(),
        "event_id": event.id,
        "user_id": "user-" + new_id()[:6],
        "buyer_name": "Bea Buyer",
        "buyer_email": "bea@example.com",
        "quantity": quantity,
        "amount": event.price * quantity,
        "currency": event.currency,
        "status": RegistrationStatus.CONFIRMED if held_for is None else RegistrationStatus.HELD,
        "created_at": now,
        "hold_expires_at": None if held_for is None else now + held_for,
    }
    values.update(changes)
    return Registration(**values)  # type: ignore[arg-type]


def fields_from(event: Event, **changes: object) -> EventFields:
    values = {
        name: getattr(event, name)
        for name in (
            "title", "description", "venue", "starts_at", "ends_at", "timezone", "capacity",
            "price", "currency", "category", "max_per_registration", "doors_open_at",
            "cancellation_hours",
        )
    }  # fmt: skip
    values.update(changes)
    return EventFields(**values)  # type: ignore[arg-type]


class StoreContract:
    # -- users --------------------------------------------------------------------------

    async def test_new_store_is_empty(self, store: Store) -> None:
        assert await store.is_empty()
        await store.create_user(make_user(), "hash")
        assert not await store.is_empty()

    async def test_user_round_trip(self, store: Store) -> None:
        user = make_user(roles=frozenset({Role.ORGANIZER, Role.ATTENDEE}))
        await store.create_user(user, "argon-hash")
        assert await store.get_user(user.id) == user
        assert await store.get_user_by_email(user.email) == user
        assert await store.get_password_hash(user.id) == "argon-hash"
        assert await store.get_user("nobody") is None
        assert await store.get_user_by_email("nobody@example.com") is None

    async def test_email_is_unique(self, store: Store) -> None:
        await store.create_user(make_user("same@example.com"), "h")
        with pytest.raises(EmailTaken):
            await store.create_user(make_user("same@example.com"), "h")

    async def test_concurrent_signups_with_one_email_create_one_account(self, store: Store) -> None:
        results = await asyncio.gather(
            *(store.create_user(make_user("race@example.com"), "h") for _ in range(10)),
            return_exceptions=True,
        )
        assert sum(r is None for r in results) == 1
        assert all(isinstance(r, EmailTaken) for r in results if r is not None)

    async def test_verify_roles_and_password(self, store: Store) -> None:
        user = make_user()
        await store.create_user(user, None)
        assert await store.get_password_hash(user.id) is None
        await store.mark_email_verified(user.id)
        await store.add_role(user.id, Role.DOOR_STAFF)
        await store.add_role(user.id, Role.DOOR_STAFF)
        await store.set_password_hash(user.id, "new")
        fresh = await store.get_user(user.id)
        assert fresh is not None
        assert fresh.email_verified
        assert fresh.roles == {Role.ATTENDEE, Role.DOOR_STAFF}
        assert await store.get_password_hash(user.id) == "new"

    # -- codes --------------------------------------------------------------------------

    async def test_code_replace_use_and_delete(self, store: Store) -> None:
        expires = (utcnow() + timedelta(minutes=15)).replace(microsecond=0)
        purpose = CodePurpose.VERIFY_EMAIL
        await store.put_code(OneTimeCode("a@example.com", purpose, "first", expires))
        await store.put_code(OneTimeCode("a@example.com", purpose, "second", expires))
        code = await store.get_code("a@example.com", purpose)
        assert code is not None
        assert (code.code_hash, code.expires_at, code.attempts_left) == (
            "second",
            expires,
            CODE_ATTEMPTS,
        )
        assert await store.get_code("a@example.com", CodePurpose.RESET_PASSWORD) is None
        assert await store.use_code_attempt("a@example.com", purpose) == CODE_ATTEMPTS - 1
        await store.delete_code("a@example.com", purpose)
        assert await store.get_code("a@example.com", purpose) is None
        assert await store.use_code_attempt("a@example.com", purpose) == -1

    async def test_concurrent_guesses_cannot_exceed_the_attempt_limit(self, store: Store) -> None:
        expires = utcnow() + timedelta(minutes=15)
        await store.put_code(OneTimeCode("g@example.com", CodePurpose.RESET_PASSWORD, "h", expires))
        results = await asyncio.gather(
            *(
                store.use_code_attempt("g@example.com", CodePurpose.RESET_PASSWORD)
                for _ in range(30)
            )
        )
        assert sorted(r for r in results if r >= 0) == list(range(CODE_ATTEMPTS))
        assert results.count(-1) == 30 - CODE_ATTEMPTS

    # -- events -------------------------------------------------------------------------

    async def test_event_round_trip(self, store: Store) -> None:
        event = make_event(doors_open_at=None)
        await store.create_event(event)
        assert await store.get_event(event.id) == event
        assert await store.get_event("missing") is None

    async def test_upcoming_lists_published_not_ended_soonest_first(self, store: Store) -> None:
        later = make_event(days=10, title="later")
        sooner = make_event(days=2, title="sooner")
        running = make_event(days=-0.05, title="running now")  # started, not yet ended
        ended = make_event(days=-2, title="ended")
        draft = make_event(days=3, title="draft", status=EventStatus.DRAFT)
        cancelled = make_event(days=3, title="cancelled", status=EventStatus.CANCELLED)
        for event in (later, sooner, running, ended, draft, cancelled):
            await store.create_event(event)
        page = await store.list_upcoming_events(utcnow(), limit=10)
        assert [e.title for e in page.items] == ["running now", "sooner", "later"]
        assert page.next_cursor is None

    async def test_cursor_pages_through_ties_without_gaps_or_repeats(self, store: Store) -> None:
        starts = (utcnow() + timedelta(days=5)).replace(microsecond=0)
        events = [
            make_event(starts_at=starts, ends_at=starts + timedelta(hours=1)) for _ in range(5)
        ]
        events += [make_event(days=6) for _ in range(2)]
        for event in events:
            await store.create_event(event)
        seen: list[str] = []
        cursor = None
        while True:
            page = await store.list_upcoming_events(utcnow(), limit=2, cursor=cursor)
            seen += [e.id for e in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert sorted(seen) == sorted(e.id for e in events)
        assert len(seen) == len(set(seen))

    async def test_foreign_cursor_is_a_validation_error(self, store: Store) -> None:
        with pytest.raises(ValidationFailed) as caught:
            await store.list_upcoming_events(utcnow(), limit=5, cursor="not-ours!")
        assert "cursor" in caught.value.fields

    async def test_organizer_events_include_every_status(self, store: Store) -> None:
        mine = [
            make_event("me", days=1, status=EventStatus.DRAFT),
            make_event("me", days=-5),
            make_event("me", days=2, status=EventStatus.CANCELLED),
        ]
        for event in [*mine, make_event("someone-else")]:
            await store.create_event(event)
        page = await store.list_organizer_events("me", limit=10)
        assert [e.id for e in page.items] == [mine[1].id, mine[0].id, mine[2].id]

    async def test_search_filters(self, store: Store) -> None:
        jazz = make_event(days=2, title="Jazz night", price=0, category="music")
        talk = make_event(days=3, title="Talk", venue="Jazz Café", category="tech")
        later = make_event(days=30, title="Far away", description="100% fun_stuff")
        for event in (jazz, talk, later):
            await store.create_event(event)
        now = utcnow()

        async def titles(query: EventQuery) -> list[str]:
            page = await store.list_upcoming_events(now, 10, query=query)
            return [e.title for e in page.items]

        assert await titles(EventQuery(text="jazz")) == ["Jazz night", "Talk"]
        assert await titles(EventQuery(text="100%")) == ["Far away"]
        assert await titles(EventQuery(text="n_ght")) == []  # _ is literal, not a wildcard
        assert await titles(EventQuery(category="tech")) == ["Talk"]
        assert await titles(EventQuery(free=True)) == ["Jazz night"]
        assert await titles(EventQuery(free=False)) == ["Talk", "Far away"]
        assert await titles(EventQuery(starts_from=now + timedelta(days=10))) == ["Far away"]
        assert await titles(EventQuery(starts_before=now + timedelta(days=2.5))) == ["Jazz night"]

    async def test_update_event_and_capacity_guard(self, store: Store) -> None:
        event = make_event(capacity=10)
        await store.create_event(event)
        await store.hold_seats(make_registration(event, 6), utcnow())
        updated = await store.update_event(
            event.id, lambda e: fields_from(e, title="New title", capacity=6), utcnow()
        )
        assert (updated.title, updated.capacity, updated.seats_confirmed) == ("New title", 6, 6)
        with pytest.raises(CapacityBelowSold):
            await store.update_event(event.id, lambda e: fields_from(e, capacity=5), utcnow())
        with pytest.raises(NotFound):
            await store.update_event("missing", fields_from, utcnow())

    async def test_capacity_edit_counts_only_live_holds(self, store: Store) -> None:
        event = make_event(capacity=10)
        await store.create_event(event)
        await store.hold_seats(
            make_registration(event, 8, held_for=timedelta(seconds=-1)), utcnow()
        )
        updated = await store.update_event(event.id, lambda e: fields_from(e, capacity=2), utcnow())
        assert (updated.capacity, updated.seats_held) == (2, 0)

    async def test_status_transitions_are_conditional(self, store: Store) -> None:
        event = make_event(status=EventStatus.DRAFT)
        await store.create_event(event)
        drafts = frozenset({EventStatus.DRAFT})
        published = await store.set_event_status(event.id, drafts, EventStatus.PUBLISHED)
        assert published.status is EventStatus.PUBLISHED
        with pytest.raises(InvalidTransition):
            await store.set_event_status(event.id, drafts, EventStatus.PUBLISHED)

    # -- seats --------------------------------------------------------------------------

    async def test_hold_and_confirm_count_seats(self, store: Store) -> None:
        event = make_event(capacity=10, price=1000)
        await store.create_event(event)
        confirmed = make_registration(event, 3)
        held = make_registration(event, 2, held_for=timedelta(minutes=10))
        await store.hold_seats(confirmed, utcnow())
        await store.hold_seats(held, utcnow())
        figures = await store.get_event(event.id)
        assert figures is not None
        assert (figures.seats_confirmed, figures.seats_held, figures.seats_left) == (3, 2, 5)
        assert (figures.registrations, figures.revenue) == (1, 3000)
        assert figures.holds_expire_next == held.hold_expires_at
        assert await store.get_registration(held.id) == held

    async def test_refusals_name_the_seats_left(self, store: Store) -> None:
        event = make_event(capacity=4)
        await store.create_event(event)
        await store.hold_seats(make_registration(event, 3), utcnow())
        with pytest.raises(NotEnoughSeats) as caught:
            await store.hold_seats(make_registration(event, 2), utcnow())
        assert caught.value.details["seats_left"] == 1
        await store.hold_seats(make_registration(event, 1), utcnow())
        with pytest.raises(SoldOut):
            await store.hold_seats(make_registration(event, 1), utcnow())

    async def test_only_published_running_events_sell(self, store: Store) -> None:
        draft = make_event(status=EventStatus.DRAFT)
        ended = make_event(days=-2)
        for event in (draft, ended):
            await store.create_event(event)
            with pytest.raises(EventNotOpen):
                await store.hold_seats(make_registration(event), utcnow())
        with pytest.raises(NotFound):
            await store.hold_seats(make_registration(make_event()), utcnow())

    async def test_expired_holds_free_their_seats_lazily(self, store: Store) -> None:
        event = make_event(capacity=5)
        await store.create_event(event)
        stale = make_registration(event, 5, held_for=timedelta(seconds=-1))
        await store.hold_seats(stale, utcnow() - timedelta(minutes=5))
        # The next buyer finds the run-out hold released inside the same transaction.
        await store.hold_seats(make_registration(event, 5), utcnow())
        expired = await store.get_registration(stale.id)
        assert expired is not None
        assert expired.status is RegistrationStatus.EXPIRED
        figures = await store.get_event(event.id)
        assert figures is not None
        assert (figures.seats_held, figures.seats_confirmed, figures.holds_expire_next) == (
            5 - 5,
            5,
            None,
        )

    async def test_sweeper_helpers(self, store: Store) -> None:
        event = make_event(capacity=5)
        other = make_event(capacity=5)
        for e in (event, other):
            await store.create_event(e)
        await store.hold_seats(
            make_registration(event, 2, held_for=timedelta(seconds=-1)), utcnow()
        )
        await store.hold_seats(make_registration(other, 2, held_for=timedelta(minutes=5)), utcnow())
        assert await store.events_with_expired_holds(utcnow(), 10) == [event.id]
        assert await store.release_expired_holds(event.id, utcnow()) == 2
        assert await store.events_with_expired_holds(utcnow(), 10) == []

    async def test_cancel_returns_seats_once(self, store: Store) -> None:
        event = make_event(capacity=5, price=500)
        await store.create_event(event)
        confirmed = make_registration(event, 2)
        held = make_registration(event, 1, held_for=timedelta(minutes=5))
        await store.hold_seats(confirmed, utcnow())
        await store.hold_seats(held, utcnow())
        cancelled = await store.cancel_registration(
            confirmed.id, RegistrationStatus.CANCELLED, utcnow()
        )
        assert cancelled.status is RegistrationStatus.CANCELLED
        await store.cancel_registration(held.id, RegistrationStatus.CANCELLED, utcnow())
        with pytest.raises(InvalidTransition):
            await store.cancel_registration(confirmed.id, RegistrationStatus.CANCELLED, utcnow())
        figures = await store.get_event(event.id)
        assert figures is not None
        assert (figures.seats_taken, figures.registrations, figures.revenue) == (0, 0, 0)
        with pytest.raises(NotFound):
            await store.cancel_registration("missing", RegistrationStatus.CANCELLED, utcnow())

    async def test_concurrent_buyers_never_oversell(self, store: Store) -> None:
        event = make_event(capacity=25)
        await store.create_event(event)
        attempts = [make_registration(event, 1 + i % 3) for i in range(60)]
        results = await asyncio.gather(
            *(store.hold_seats(r, utcnow()) for r in attempts), return_exceptions=True
        )
        sold = sum(r.quantity for r in results if isinstance(r, Registration))
        refused = [r for r in results if not isinstance(r, Registration)]
        assert all(isinstance(r, (SoldOut, NotEnoughSeats)) for r in refused)
        figures = await store.get_event(event.id)
        assert figures is not None
        assert figures.seats_confirmed == sold
        # Demand (120 seats) far exceeds 25; 1-seat requests come often enough to fill it.
        assert sold == 25

    async def test_concurrent_cancels_return_seats_exactly_once(self, store: Store) -> None:
        event = make_event(capacity=3)
        await store.create_event(event)
        registration = make_registration(event, 3)
        await store.hold_seats(registration, utcnow())
        results = await asyncio.gather(
            *(
                store.cancel_registration(registration.id, RegistrationStatus.CANCELLED, utcnow())
                for _ in range(10)
            ),
            return_exceptions=True,
        )
        assert sum(isinstance(r, Registration) for r in results) == 1
        figures = await store.get_event(event.id)
        assert figures is not None
        assert figures.seats_confirmed == 0

    # -- listing registrations ----------------------------------------------------------

    async def test_registration_lists_newest_first_with_search_and_status(
        self, store: Store
    ) -> None:
        event = make_event(capacity=100)
        await store.create_event(event)
        base = utcnow()
        made = []
        for index in range(5):
            registration = make_registration(
                event,
                created_at=base + timedelta(seconds=index),
                user_id="u1" if index % 2 == 0 else "u2",
                buyer_name=f"Person {index}",
                buyer_email=f"p{index}@example.com",
                attendee_names=("Zed Guest",) if index == 3 else (),
            )
            await store.hold_seats(registration, utcnow())
            made.append(registration)
        await store.cancel_registration(made[1].id, RegistrationStatus.CANCELLED, utcnow())
        page = await store.list_event_registrations(event.id, limit=2)
        assert [r.id for r in page.items] == [made[4].id, made[3].id]
        rest = await store.list_event_registrations(event.id, limit=10, cursor=page.next_cursor)
        assert [r.id for r in rest.items] == [made[2].id, made[1].id, made[0].id]
        by_email = await store.list_event_registrations(
            event.id, 10, query=RegistrationQuery(text="P2@EXAMPLE")
        )
        assert [r.id for r in by_email.items] == [made[2].id]
        by_guest = await store.list_event_registrations(
            event.id, 10, query=RegistrationQuery(text="zed")
        )
        assert [r.id for r in by_guest.items] == [made[3].id]
        cancelled = await store.list_event_registrations(
            event.id, 10, query=RegistrationQuery(status=RegistrationStatus.CANCELLED)
        )
        assert [r.id for r in cancelled.items] == [made[1].id]
        mine = await store.list_user_registrations("u1", limit=10)
        assert [r.id for r in mine.items] == [made[4].id, made[2].id, made[0].id]

    # -- payments and the door (invariants 2 and 3) --------------------------------------

    async def test_payment_is_applied_once(self, store: Store) -> None:
        event = make_event(capacity=3, price=1000)
        await store.create_event(event)
        held = make_registration(event, 2, held_for=timedelta(minutes=5))
        await store.hold_seats(held, utcnow())
        tickets = tickets_for(held, utcnow())
        outcomes = await asyncio.gather(
            *(store.confirm_payment(held.id, tickets, utcnow()) for _ in range(8))
        )
        assert outcomes.count(PaymentOutcome.CONFIRMED) == 1
        assert outcomes.count(PaymentOutcome.ALREADY_CONFIRMED) == 7
        figures = await store.get_event(event.id)
        assert figures is not None
        assert (figures.seats_confirmed, figures.seats_held, figures.revenue) == (2, 0, 2000)
        assert [t.id for t in await store.list_registration_tickets(held.id)] == [
            t.id for t in tickets
        ]
        assert len(await store.list_user_tickets(held.user_id)) == 2
        assert await store.search_event_tickets(event.id, "BEA", 10) != []
        refunded = await store.refund_registration(held.id, utcnow())
        assert refunded.status is RegistrationStatus.REFUNDED
        assert (await store.refund_registration(held.id, utcnow())).status is refunded.status
        assert {t.status for t in await store.list_registration_tickets(held.id)} == {
            TicketStatus.VOID
        }
        assert await store.confirm_payment(held.id, (), utcnow()) is PaymentOutcome.NOT_PAYABLE
        with pytest.raises(NotFound):
            await store.confirm_payment("missing", (), utcnow())

    async def test_late_payment_gets_seats_only_if_free(self, store: Store) -> None:
        event = make_event(capacity=2)
        await store.create_event(event)
        late = make_registration(event, 2, held_for=timedelta(seconds=-1))
        await store.hold_seats(late, utcnow())
        await store.release_expired_holds(event.id, utcnow())
        other = make_registration(event, 1)
        await store.hold_seats(other, utcnow())
        outcome = await store.confirm_payment(late.id, tickets_for(late, utcnow()), utcnow())
        assert outcome is PaymentOutcome.NO_SEATS
        await store.cancel_registration(other.id, RegistrationStatus.CANCELLED, utcnow())
        outcome = await store.confirm_payment(late.id, tickets_for(late, utcnow()), utcnow())
        assert outcome is PaymentOutcome.CONFIRMED
        figures = await store.get_event(event.id)
        assert figures is not None
        assert (figures.seats_confirmed, figures.seats_held) == (2, 0)

    async def test_a_ticket_admits_once(self, store: Store) -> None:
        event = make_event(days=0.01, capacity=5)
        await store.create_event(event)
        registration = make_registration(event, 2)
        tickets = tickets_for(registration, utcnow())
        await store.hold_seats(registration, utcnow(), tickets)
        assert await store.add_door_staff(event.id, "door", utcnow())
        assert not await store.add_door_staff(event.id, "door", utcnow())
        assert await store.is_door_staff(event.id, "door")
        assert await store.list_door_staff(event.id) == ["door"]
        assert await store.door_staff_events("door") == [event.id]

        def scan(by: str = "door") -> CheckinAttempt:
            return CheckinAttempt(new_id(), event.id, tickets[0].id, by, "A", "phone", utcnow())

        outcomes = await asyncio.gather(
            *(store.check_in(scan(), event.id, DEFAULT_GRACE) for _ in range(10))
        )
        results = [o.result for o in outcomes]
        assert results.count(CheckinResult.ADMITTED) == 1
        assert results.count(CheckinResult.ALREADY_USED) == 9
        assert all(o.admitted == 1 for o in outcomes if o.result is CheckinResult.ADMITTED)
        used = await store.get_ticket(tickets[0].id)
        assert used is not None
        assert used.status is TicketStatus.USED
        wrong = await store.check_in(scan(), "other-event", DEFAULT_GRACE)
        assert wrong.result is CheckinResult.WRONG_EVENT
        await store.cancel_registration(registration.id, RegistrationStatus.CANCELLED, utcnow())
        void = await store.check_in(
            CheckinAttempt(new_id(), event.id, tickets[1].id, "door", "A", "phone", utcnow()),
            event.id,
            DEFAULT_GRACE,
        )
        assert void.result is CheckinResult.VOID  # the unused ticket of a cancelled order
        with pytest.raises(Forbidden):
            await store.check_in(scan("stranger"), event.id, DEFAULT_GRACE)

    async def test_every_ticket_of_an_event_for_the_door(self, store: Store) -> None:
        event, other = make_event(days=0.01), make_event(days=0.01)
        for made in (event, other):
            await store.create_event(made)
        pair, single = make_registration(event, 2), make_registration(event, 1)
        elsewhere = make_registration(other, 1)
        issued = {}
        for registration in (pair, single, elsewhere):
            issued[registration.id] = tickets_for(registration, utcnow())
            await store.hold_seats(registration, utcnow(), issued[registration.id])
        assert await store.list_event_tickets("missing") == []
        admit = issued[pair.id][1]
        attempt = CheckinAttempt(new_id(), event.id, admit.id, "org", "North", "phone", utcnow())
        assert (await store.check_in(attempt, event.id, DEFAULT_GRACE)).result is (
            CheckinResult.ADMITTED
        )
        await store.cancel_registration(single.id, RegistrationStatus.CANCELLED, utcnow())

        listed = await store.list_event_tickets(event.id)
        assert sorted(t.id for t in listed) == sorted(
            t.id for t in [*issued[pair.id], *issued[single.id]]
        )
        by_id = {t.id: t for t in listed}
        assert by_id[issued[pair.id][0].id].status is TicketStatus.VALID
        used = by_id[admit.id]
        assert (used.status, used.checked_in_gate) == (TicketStatus.USED, "North")
        assert used.checked_in_at is not None
        assert by_id[issued[single.id][0].id].status is TicketStatus.VOID
        # One registration's seats stay together, in seat order.
        seats = [t.seat_no for t in listed if t.registration_id == pair.id]
        assert seats == [1, 2]
        assert [t.id for t in await store.list_event_tickets(other.id)] == [
            issued[elsewhere.id][0].id
        ]

    async def test_webhook_events_are_remembered(self, store: Store) -> None:
        assert not await store.webhook_event_seen("evt_1")
        await store.record_webhook_event("evt_1", "payment_intent.succeeded", utcnow())
        await store.record_webhook_event("evt_1", "payment_intent.succeeded", utcnow())
        assert await store.webhook_event_seen("evt_1")
