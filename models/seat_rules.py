"""May these seats be taken, and what do the counters become: the pure decisions both
stores make inside the atomic step that takes or gives back seats (invariant 1: every
ticket type within its own capacity and the event within its capacity; and the limit on
one account). A store reads the rows (`HoldRead`), calls one of these, and writes the
`SeatChange` it gets back (SQLite: UPDATEs in one BEGIN IMMEDIATE transaction; DynamoDB:
one TransactWriteItems with a condition on the event's counter and on each type's).

A promo code's use moves in the same change (invariant 6): a registration with a code
takes one use when it takes seats and gives it back when it gives them back, so the
code's counter is written in the same atomic step as the seats (`PromoUse`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from models.domain import Event, Registration, RegistrationItem, RegistrationStatus, TicketType
from models.errors import (
    AccountLimit,
    AdmitError,
    EventNotOpen,
    NotEnoughSeats,
    SoldOut,
    TicketTypeNotOnSale,
    ValidationFailed,
)
from models.promo_codes import PromoCode, discounted, unusable


@dataclass(frozen=True)
class TypeChange:
    """What one decision adds to a ticket type's counters (negative: gives back). A
    positive `taken` is written on condition of the type's capacity."""

    ticket_type_id: str
    held: int = 0
    confirmed: int = 0
    revenue: int = 0

    @property
    def taken(self) -> int:
        return self.held + self.confirmed


@dataclass(frozen=True)
class PromoUse:
    """What one decision adds to a promo code's uses (negative: gives back). A positive
    `uses` is written on condition of the code's `max_uses` (when it has one)."""

    promo_id: str
    uses: int


@dataclass(frozen=True)
class SeatChange:
    """What one decision adds to an event's counters, and to its types' (`types`).

    `taken` (held + confirmed) is also what the account's own seats for the event change
    by. A positive `taken` takes seats: the store makes that write conditional on the
    capacity (and each type's write on the type's capacity, and on DynamoDB the
    account's on its limit), so the check read and the write cannot be separated by
    another writer."""

    held: int = 0
    confirmed: int = 0
    registrations: int = 0
    revenue: int = 0
    types: tuple[TypeChange, ...] = ()
    promos: tuple[PromoUse, ...] = ()

    @property
    def taken(self) -> int:
        return self.held + self.confirmed

    def __bool__(self) -> bool:
        return any(
            (self.held, self.confirmed, self.registrations, self.revenue, self.types, self.promos)
        )


@dataclass(frozen=True)
class HoldRead:
    """What a store reads, inside its atomic step, before deciding on seats: the event
    (expired holds swept), its ticket types by id, and the seats the registration's
    account already holds or has confirmed for the event, and the promo code the
    registration names (None: it names none, or the code is gone), with its uses."""

    event: Event
    types: Mapping[str, TicketType] = field(default_factory=dict)
    account_seats: int = 0
    promo: PromoCode | None = None


def _type_changes(
    items: tuple[RegistrationItem, ...], *, held: int = 0, confirmed: int = 0, revenue: int = 0
) -> tuple[TypeChange, ...]:
    """Each item's seats moved by the signs given (1, -1 or 0)."""
    return tuple(
        TypeChange(
            item.ticket_type_id,
            held=held * item.quantity,
            confirmed=confirmed * item.quantity,
            revenue=revenue * item.amount,
        )
        for item in items
    )


def promo_uses(registration: Registration, sign: int) -> tuple[PromoUse, ...]:
    """The registration's code's use, taken (1) or given back (-1); none without a code."""
    if registration.promo_code_id is None:
        return ()
    return (PromoUse(registration.promo_code_id, sign),)


def seats_taken_by(registration: Registration) -> SeatChange:
    """A new registration's seats (and its code's use): held while it waits for payment,
    else confirmed (a free event's registration, or one a code made free, with its
    revenue)."""
    q, items = registration.quantity, registration.seat_items
    if registration.status is RegistrationStatus.HELD:
        return SeatChange(
            held=q, types=_type_changes(items, held=1), promos=promo_uses(registration, 1)
        )
    return SeatChange(
        confirmed=q,
        registrations=1,
        revenue=registration.amount,
        types=_type_changes(items, confirmed=1, revenue=1),
        promos=promo_uses(registration, 1),
    )


def seats_back(registration: Registration) -> SeatChange:
    """What a registration gives back when it is cancelled, refunded or runs out: its
    held or confirmed seats; nothing when it holds none (expired, cancelled, refunded).
    A type's revenue counts sales before partial refunds (the event's, after them)."""
    q, items = registration.quantity, registration.seat_items
    if registration.status is RegistrationStatus.HELD:
        return SeatChange(
            held=-q, types=_type_changes(items, held=-1), promos=promo_uses(registration, -1)
        )
    if registration.status is RegistrationStatus.CONFIRMED:
        # What a partial refund gave back has left the revenue already.
        kept = registration.amount - registration.refunded_amount
        return SeatChange(
            confirmed=-q,
            registrations=-1,
            revenue=-kept,
            types=_type_changes(items, confirmed=-1, revenue=-1),
            promos=promo_uses(registration, -1),
        )
    return SeatChange()


def combined(changes: list[SeatChange]) -> SeatChange:
    """Several changes as one write (holds released together), one line per type and
    per promo code."""
    by_type: dict[str, TypeChange] = {}
    by_promo: dict[str, int] = {}
    for change in changes:
        for use in change.promos:
            by_promo[use.promo_id] = by_promo.get(use.promo_id, 0) + use.uses
    for change in changes:
        for t in change.types:
            seen = by_type.get(t.ticket_type_id, TypeChange(t.ticket_type_id))
            by_type[t.ticket_type_id] = TypeChange(
                t.ticket_type_id,
                held=seen.held + t.held,
                confirmed=seen.confirmed + t.confirmed,
                revenue=seen.revenue + t.revenue,
            )
    return SeatChange(
        held=sum(c.held for c in changes),
        confirmed=sum(c.confirmed for c in changes),
        registrations=sum(c.registrations for c in changes),
        revenue=sum(c.revenue for c in changes),
        types=tuple(by_type.values()),
        promos=tuple(PromoUse(promo_id, uses) for promo_id, uses in by_promo.items() if uses),
    )


def seats_allowed(event: Event, account_seats: int) -> int:
    """How many more seats the account may take (0 when none)."""
    return max(0, event.max_per_account - account_seats)


def hold_refusal(
    read: HoldRead, items: tuple[RegistrationItem, ...], now: datetime
) -> AdmitError | None:
    """Why the seats of `items` may not go to the account, or None when they may.

    Each type must exist, be inside its sales window and within its per-registration
    maximum. When several limits bite, the tightest is named: a type whose own capacity
    is the limit says so (with its id), a sold-out event says sold out, and an account at
    its limit says so even while seats are left."""
    event = read.event
    if not event.is_on_sale(now):
        return EventNotOpen()
    kinds: list[tuple[RegistrationItem, TicketType]] = []
    for item in items:
        kind = read.types.get(item.ticket_type_id)
        if kind is None:
            return ValidationFailed({"items": "This ticket type does not exist (any more)."})
        if not kind.on_sale(now):
            return TicketTypeNotOnSale(kind.id, kind.name)
        if item.quantity > kind.per_registration(event):
            most = kind.per_registration(event)
            return ValidationFailed(
                {"items": f"You can book at most {most} tickets of {kind.name} at a time."}
            )
        kinds.append((item, kind))
    left = event.seats_left
    allowed = seats_allowed(event, read.account_seats)
    for item, kind in kinds:
        own = kind.own_seats_left
        if own is not None and item.quantity > own and own <= min(left, allowed):
            return (
                SoldOut(kind.id, kind.name) if own == 0 else NotEnoughSeats(own, kind.id, kind.name)
            )
    quantity = sum(item.quantity for item in items)
    if quantity > left and left <= allowed:
        return SoldOut() if left == 0 else NotEnoughSeats(left)
    if quantity > allowed:
        return AccountLimit(allowed, event.max_per_account)
    return None


def without_own_hold(read: HoldRead, registration: Registration) -> HoldRead:
    """The counters as they would be without a registration's own held seats (a late
    payment for a hold not swept yet: those seats are free for it)."""
    if registration.status is not RegistrationStatus.HELD:
        return read
    event = replace(read.event, seats_held=read.event.seats_held - registration.quantity)
    types = dict(read.types)
    for item in registration.seat_items:
        if (kind := types.get(item.ticket_type_id)) is not None:
            types[kind.id] = replace(kind, seats_held=kind.seats_held - item.quantity)
    return replace(read, event=event, types=types)


@dataclass(frozen=True)
class HoldDecision:
    """The writes of a hold: the event's and the types' counters, and the event's
    earliest hold expiry once this hold is counted (unchanged for a registration
    confirmed at once). The change carries the promo code's use, if any."""

    change: SeatChange
    holds_expire_next: datetime | None


def decide_hold(read: HoldRead, registration: Registration, now: datetime) -> HoldDecision:
    """Take the seats of a new `registration` (held, or confirmed at once when free).

    Input, read inside the store's transaction after expired holds were swept. Raises the
    refusal (`EventNotOpen`, `TicketTypeNotOnSale`, `SoldOut`, `NotEnoughSeats`,
    `AccountLimit`, `ValidationFailed` for a type gone meanwhile; for its promo code,
    `ValidationFailed` when it is gone, outside its dates or changed since the prices
    were worked out, and `PromoCodeUsedUp` when every use is taken: invariant 6)."""
    if refusal := hold_refusal(read, registration.seat_items, now):
        raise refusal
    if registration.promo_code_id is not None:
        promo_refusal(read.promo, registration, now)
    next_expiry = read.event.holds_expire_next
    if registration.status is RegistrationStatus.HELD:
        assert registration.hold_expires_at is not None
        mine = registration.hold_expires_at
        next_expiry = mine if next_expiry is None else min(next_expiry, mine)
    return HoldDecision(seats_taken_by(registration), next_expiry)


def promo_refusal(promo: PromoCode | None, registration: Registration, now: datetime) -> None:
    """Raise why `registration` may not take a use of its code (read in the step)."""
    if promo is not None and promo.id != registration.promo_code_id:
        promo = None
    if refusal := unusable(promo, now):
        raise refusal
    assert promo is not None
    # The prices were worked out from the code as read before the step: an edit of the
    # code in between must not sell at a discount the code no longer gives.
    if discounted(registration.seat_items, promo) != registration.seat_items:
        raise ValidationFailed({"promo_code": "This code was just changed: try again."})


def late_promo_refusal(read: HoldRead, registration: Registration) -> bool:
    """A payment after its hold ran out takes its code's use afresh: refused when the
    code is gone or every use is taken meanwhile (invariant 6), whatever its dates (the
    price was agreed while it was valid)."""
    if registration.promo_code_id is None:
        return False
    promo = read.promo
    return promo is None or promo.id != registration.promo_code_id or promo.used_up
