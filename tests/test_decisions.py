"""The pure decisions both stores call inside their transactions (issue 11): seats,
payments, partial refunds. Cheap, so many cases; the stores' contract
(tests/store_contract_rules.py) proves that each store writes what these return, and the
check-in decision has its own shared table (tests/test_checkin_cases.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from models.domain import (
    Event,
    EventStatus,
    PaymentOutcome,
    Registration,
    RegistrationStatus,
    default_ticket_type,
)
from models.errors import AccountLimit, EventNotOpen, NotEnoughSeats, SoldOut
from models.payment_rules import decide_payment, partial_refund_increase
from models.seat_rules import (
    HoldRead,
    SeatChange,
    TypeChange,
    decide_hold,
    seats_back,
    seats_taken_by,
)
from tests.store_contract import make_event, make_registration

MINUTE = timedelta(minutes=1)


def event_with(held: int = 0, confirmed: int = 0, **changes: object) -> Event:
    event = make_event(capacity=4, price=1000, max_per_account=3)
    return replace(event, seats_held=held, seats_confirmed=confirmed, **changes)  # type: ignore[arg-type]


def read(event: Event, account_seats: int = 0) -> HoldRead:
    """What a store reads for an event made the old way (one type, no capacity of its own)."""
    kind = default_ticket_type(event)
    return HoldRead(event, {kind.id: kind}, account_seats)


def event_only(change: SeatChange | None) -> SeatChange | None:
    """The event's part of a change (the types' part is checked in its own tests)."""
    return None if change is None else replace(change, types=())


def before(event: Event) -> datetime:
    return event.starts_at - timedelta(days=1)


def hold(event: Event, quantity: int, at: datetime, lasts: timedelta) -> Registration:
    return make_registration(
        event, quantity, held_for=lasts, created_at=at, hold_expires_at=at + lasts
    )


# -- decide_payment ---------------------------------------------------------------------


def test_a_live_hold_moves_its_seats_from_held_to_confirmed() -> None:
    event = event_with(held=2)
    now = before(event)
    decision = decide_payment(hold(event, 2, now, 10 * MINUTE), read(event, 0), now)
    assert decision.outcome is PaymentOutcome.CONFIRMED
    assert event_only(decision.change) == SeatChange(
        held=-2, confirmed=2, registrations=1, revenue=2000
    )
    assert decision.change.taken == 0  # nothing new taken: no capacity condition


def test_a_live_hold_confirms_even_when_the_event_is_full() -> None:
    event = event_with(held=2, confirmed=2)
    now = before(event)
    decision = decide_payment(hold(event, 2, now, 10 * MINUTE), read(event, 3), now)
    assert decision.outcome is PaymentOutcome.CONFIRMED


@pytest.mark.parametrize("status", [RegistrationStatus.CANCELLED, RegistrationStatus.REFUNDED])
def test_a_cancelled_or_refunded_registration_is_not_payable(status: RegistrationStatus) -> None:
    event = event_with()
    registration = replace(hold(event, 1, before(event), MINUTE), status=status)
    decision = decide_payment(registration, read(event, 0), before(event))
    assert (decision.outcome, decision.change) == (PaymentOutcome.NOT_PAYABLE, None)


def test_a_repeat_changes_nothing() -> None:
    event = event_with(confirmed=1)
    registration = make_registration(event, 1)
    decision = decide_payment(registration, read(event, 0), before(event))
    assert (decision.outcome, decision.change) == (PaymentOutcome.ALREADY_CONFIRMED, None)


@pytest.mark.parametrize("status", [EventStatus.CANCELLED, EventStatus.ENDED, EventStatus.DRAFT])
@pytest.mark.parametrize("expired", [False, True])
def test_sales_closed_refund_every_payment(status: EventStatus, expired: bool) -> None:
    """Was CONFIRMED on DynamoDB for a hold not swept: an event that is over or called off
    has no seat to sell."""
    event = event_with(held=1, status=status)
    now = before(event)
    registration = hold(event, 1, now - (20 if expired else 0) * MINUTE, 10 * MINUTE)
    assert decide_payment(registration, read(event, 0), now).outcome is PaymentOutcome.NOT_PAYABLE


@pytest.mark.parametrize("swept", [False, True])
def test_a_payment_after_the_end_is_refunded(swept: bool) -> None:
    """Was NO_SEATS on SQLite and CONFIRMED on DynamoDB for a hold not swept."""
    event = event_with(held=0 if swept else 1)
    late = hold(event, 1, event.ends_at - 20 * MINUTE, 10 * MINUTE)
    if swept:
        late = replace(late, status=RegistrationStatus.EXPIRED)
    for now in (event.ends_at, event.ends_at + MINUTE):
        assert decide_payment(late, read(event, 0), now).outcome is PaymentOutcome.NOT_PAYABLE
    one_before = event.ends_at - timedelta(seconds=1)
    assert decide_payment(late, read(event, 0), one_before).outcome is PaymentOutcome.CONFIRMED


def test_a_late_payment_on_a_swept_hold_takes_free_seats_afresh() -> None:
    event = event_with(confirmed=2)
    now = before(event)
    late = replace(
        hold(event, 2, now - 20 * MINUTE, 10 * MINUTE), status=RegistrationStatus.EXPIRED
    )
    decision = decide_payment(late, read(event, 0), now)
    assert decision.outcome is PaymentOutcome.CONFIRMED
    assert event_only(decision.change) == SeatChange(confirmed=2, registrations=1, revenue=2000)
    assert decision.change.taken == 2  # conditioned on the capacity by the store


def test_a_late_payment_on_a_hold_not_swept_counts_its_own_seats_as_free() -> None:
    event = event_with(held=2, confirmed=2)  # full, but two of these are the late hold's
    now = before(event)
    late = hold(event, 2, now - 20 * MINUTE, 10 * MINUTE)
    decision = decide_payment(late, read(event, 0), now)
    assert decision.outcome is PaymentOutcome.CONFIRMED
    assert event_only(decision.change) == SeatChange(
        held=-2, confirmed=2, registrations=1, revenue=2000
    )


def test_a_late_payment_gets_no_seats_when_too_few_are_free() -> None:
    event = event_with(held=1, confirmed=2)
    now = before(event)
    late = hold(event, 2, now - 20 * MINUTE, 10 * MINUTE)
    late = replace(late, status=RegistrationStatus.EXPIRED)
    decision = decide_payment(late, read(event, 0), now)
    assert (decision.outcome, decision.change) == (PaymentOutcome.NO_SEATS, None)


def test_a_late_payment_gets_no_seats_beyond_the_accounts_limit() -> None:
    event = event_with(confirmed=1)
    now = before(event)
    late = replace(
        hold(event, 2, now - 20 * MINUTE, 10 * MINUTE), status=RegistrationStatus.EXPIRED
    )
    assert decide_payment(late, read(event, 2), now).outcome is PaymentOutcome.NO_SEATS
    assert decide_payment(late, read(event, 1), now).outcome is PaymentOutcome.CONFIRMED


@pytest.mark.parametrize(
    ("left", "outcome"),
    [(timedelta(seconds=1), PaymentOutcome.CONFIRMED), (timedelta(0), PaymentOutcome.NO_SEATS)],
)
def test_a_hold_expiring_this_very_moment_is_late(left: timedelta, outcome: PaymentOutcome) -> None:
    """A live hold keeps its seats whatever the account did since; a hold whose time is
    up is a new purchase, bound by the account's limit (3, all taken elsewhere)."""
    event = event_with(held=1)
    now = before(event)
    registration = hold(event, 1, now - 10 * MINUTE, 10 * MINUTE + left)
    assert decide_payment(registration, read(event, 3), now).outcome is outcome


# -- decide_hold, seats_back ------------------------------------------------------------


def test_a_hold_takes_held_seats_and_keeps_the_earliest_expiry() -> None:
    event = event_with()
    now = before(event)
    first = decide_hold(read(event, 0), hold(event, 2, now, 10 * MINUTE), now)
    assert event_only(first.change) == SeatChange(held=2)
    assert first.holds_expire_next == now + 10 * MINUTE
    event = replace(event, seats_held=2, holds_expire_next=first.holds_expire_next)
    later = decide_hold(read(event, 0), hold(event, 1, now, 20 * MINUTE), now)
    assert later.holds_expire_next == now + 10 * MINUTE
    sooner = decide_hold(read(event, 0), hold(event, 1, now, 5 * MINUTE), now)
    assert sooner.holds_expire_next == now + 5 * MINUTE


def test_a_free_registration_is_confirmed_at_once() -> None:
    event = replace(event_with(), price=0)
    now = before(event)
    decision = decide_hold(read(event, 0), make_registration(event, 2), now)
    assert event_only(decision.change) == SeatChange(confirmed=2, registrations=1, revenue=0)
    assert decision.holds_expire_next is None


@pytest.mark.parametrize(
    ("held", "confirmed", "quantity", "mine", "refusal"),
    [
        (0, 4, 1, 0, SoldOut),
        (1, 2, 2, 0, NotEnoughSeats),
        (0, 0, 2, 2, AccountLimit),
        (0, 4, 1, 3, SoldOut),  # both bite: the tighter one is named
        (0, 3, 2, 3, AccountLimit),
    ],
)
def test_a_hold_is_refused(
    held: int, confirmed: int, quantity: int, mine: int, refusal: type[Exception]
) -> None:
    event = event_with(held=held, confirmed=confirmed)
    now = before(event)
    with pytest.raises(refusal):
        decide_hold(read(event, mine), hold(event, quantity, now, MINUTE), now)


def test_no_hold_once_the_event_ended() -> None:
    event = event_with()
    with pytest.raises(EventNotOpen):
        decide_hold(read(event, 0), hold(event, 1, event.ends_at, MINUTE), event.ends_at)


def test_seats_go_back_as_they_were_taken() -> None:
    event = event_with()
    now = before(event)
    held = hold(event, 2, now, MINUTE)
    assert event_only(seats_back(held)) == SeatChange(held=-2)
    assert seats_back(held).taken == -seats_taken_by(held).taken
    paid = replace(held, status=RegistrationStatus.CONFIRMED, refunded_amount=500)
    assert event_only(seats_back(paid)) == SeatChange(confirmed=-2, registrations=-1, revenue=-1500)
    for status in (RegistrationStatus.EXPIRED, RegistrationStatus.CANCELLED):
        assert not seats_back(replace(held, status=status))


# -- partial refunds --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("already", "reported", "more"),
    [(0, 300, 300), (300, 500, 200), (500, 300, 0), (500, 500, 0), (0, 5000, 2000)],
)
def test_a_partial_refund_counts_only_what_is_new(already: int, reported: int, more: int) -> None:
    event = event_with()
    paid = replace(make_registration(event, 2), refunded_amount=already)
    assert partial_refund_increase(paid, reported) == more
    held = hold(event, 2, before(event), MINUTE)
    assert partial_refund_increase(held, reported) == 0


# -- ticket types ----------------------------------------------------------------------


def _typed(event: Event, capacity: int | None, taken: int = 0, **changes: object):
    from models.domain import TicketType

    return TicketType(
        id="vip",
        event_id=event.id,
        name="VIP",
        price=5000,
        currency=event.currency,
        capacity=capacity,
        seats_confirmed=taken,
        **changes,  # type: ignore[arg-type]
    )


def _buy(event: Event, quantity: int, now: datetime) -> Registration:
    from models.domain import RegistrationItem

    items = (RegistrationItem("vip", "VIP", quantity, 5000),)
    return replace(hold(event, quantity, now, MINUTE), items=items, amount=5000 * quantity)


@pytest.mark.parametrize(
    ("capacity", "taken", "event_held", "mine", "refusal", "type_named"),
    [
        (2, 2, 0, 0, SoldOut, True),  # the type is full, the event is not
        (3, 2, 0, 0, NotEnoughSeats, True),  # 1 VIP left, the event has 4
        (3, 0, 3, 0, NotEnoughSeats, False),  # the event (1 left) is tighter than VIP (3)
        (None, 0, 4, 0, SoldOut, False),  # no capacity of its own: the event's limit
        (1, 0, 0, 3, AccountLimit, False),  # the account may take none: the tighter limit
    ],
)
def test_the_tightest_limit_is_named(
    capacity: int | None,
    taken: int,
    event_held: int,
    mine: int,
    refusal: type[Exception],
    type_named: bool,
) -> None:
    """A type at its own capacity is named (ticket_type_id) in the refusal."""
    event = event_with(held=event_held)
    now = before(event)
    kind = _typed(event, capacity, taken)
    with pytest.raises(refusal) as caught:
        decide_hold(HoldRead(event, {"vip": kind}, mine), _buy(event, 2, now), now)
    assert ("ticket_type_id" in caught.value.details) is type_named  # type: ignore[attr-defined]


def test_a_type_outside_its_window_or_past_its_maximum_is_refused() -> None:
    from models.errors import TicketTypeNotOnSale, ValidationFailed

    event = event_with()
    now = before(event)
    closed = _typed(event, None, sales_end=now)
    with pytest.raises(TicketTypeNotOnSale):
        decide_hold(HoldRead(event, {"vip": closed}), _buy(event, 1, now), now)
    opens = _typed(event, None, sales_start=now + MINUTE)
    with pytest.raises(TicketTypeNotOnSale):
        decide_hold(HoldRead(event, {"vip": opens}), _buy(event, 1, now), now)
    one_each = _typed(event, None, max_per_registration=1)
    with pytest.raises(ValidationFailed):
        decide_hold(HoldRead(event, {"vip": one_each}), _buy(event, 2, now), now)
    with pytest.raises(ValidationFailed):
        decide_hold(HoldRead(event, {}), _buy(event, 1, now), now)


def test_a_hold_moves_each_type_by_its_items() -> None:
    event = event_with()
    now = before(event)
    decision = decide_hold(HoldRead(event, {"vip": _typed(event, 3)}), _buy(event, 2, now), now)
    assert decision.change.types == (TypeChange("vip", held=2),)
    paid = replace(_buy(event, 2, now), status=RegistrationStatus.CONFIRMED)
    assert seats_back(paid).types == (TypeChange("vip", confirmed=-2, revenue=-10000),)
