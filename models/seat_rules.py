"""May these seats be taken, and what do the counters become: the pure decisions both
stores make inside the atomic step that takes or gives back seats (invariant 1, and the
limit on one account). A store reads the rows, calls one of these, and writes the
`SeatChange` it gets back (SQLite: one UPDATE; DynamoDB: one ADD in its transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.domain import Event, Registration, RegistrationStatus
from models.errors import AccountLimit, AdmitError, EventNotOpen, NotEnoughSeats, SoldOut


@dataclass(frozen=True)
class SeatChange:
    """What one decision adds to an event's counters (negative: gives back).

    `taken` (held + confirmed) is also what the account's own seats for the event change
    by. A positive `taken` takes seats: the store makes that write conditional on the
    capacity (and, on DynamoDB, on the account's limit), so the check read and the write
    cannot be separated by another writer."""

    held: int = 0
    confirmed: int = 0
    registrations: int = 0
    revenue: int = 0

    @property
    def taken(self) -> int:
        return self.held + self.confirmed

    def __bool__(self) -> bool:
        return any((self.held, self.confirmed, self.registrations, self.revenue))


def seats_taken_by(registration: Registration) -> SeatChange:
    """A new registration's seats: held while it waits for payment, else confirmed (a
    free event's registration, with its revenue of 0)."""
    q = registration.quantity
    if registration.status is RegistrationStatus.HELD:
        return SeatChange(held=q)
    return SeatChange(confirmed=q, registrations=1, revenue=registration.amount)


def seats_back(registration: Registration) -> SeatChange:
    """What a registration gives back when it is cancelled, refunded or runs out: its
    held or confirmed seats; nothing when it holds none (expired, cancelled, refunded)."""
    q = registration.quantity
    if registration.status is RegistrationStatus.HELD:
        return SeatChange(held=-q)
    if registration.status is RegistrationStatus.CONFIRMED:
        # What a partial refund gave back has left the revenue already.
        kept = registration.amount - registration.refunded_amount
        return SeatChange(confirmed=-q, registrations=-1, revenue=-kept)
    return SeatChange()


def seats_allowed(event: Event, account_seats: int) -> int:
    """How many more seats the account may take (0 when none)."""
    return max(0, event.max_per_account - account_seats)


def hold_refusal(
    event: Event, quantity: int, account_seats: int, now: datetime
) -> AdmitError | None:
    """Why `quantity` more seats may not go to an account that already holds or has
    confirmed `account_seats` of this event, or None when they may.

    When both limits bite, the tighter one is named: a sold-out event says sold out, and
    an account at its limit says so even while seats are left."""
    if not event.is_on_sale(now):
        return EventNotOpen()
    left = event.seats_left
    allowed = seats_allowed(event, account_seats)
    if quantity > left and left <= allowed:
        return SoldOut() if left == 0 else NotEnoughSeats(left)
    if quantity > allowed:
        return AccountLimit(allowed, event.max_per_account)
    return None


@dataclass(frozen=True)
class HoldDecision:
    """The writes of a hold: the event's counters, and the event's earliest hold expiry
    once this hold is counted (unchanged for a registration confirmed at once)."""

    change: SeatChange
    holds_expire_next: datetime | None


def decide_hold(
    event: Event, registration: Registration, account_seats: int, now: datetime
) -> HoldDecision:
    """Take the seats of a new `registration` (held, or confirmed at once when free).

    Input, read inside the store's transaction after expired holds were swept: the event,
    and the seats the account already holds or has confirmed for it. Raises the refusal
    (`EventNotOpen`, `SoldOut`, `NotEnoughSeats`, `AccountLimit`)."""
    if refusal := hold_refusal(event, registration.quantity, account_seats, now):
        raise refusal
    next_expiry = event.holds_expire_next
    if registration.status is RegistrationStatus.HELD:
        assert registration.hold_expires_at is not None
        mine = registration.hold_expires_at
        next_expiry = mine if next_expiry is None else min(next_expiry, mine)
    return HoldDecision(seats_taken_by(registration), next_expiry)
