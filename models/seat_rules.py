"""May these seats be taken: the pure decision both stores make inside the atomic step
that takes them (invariant 1, and the limit on one account)."""

from __future__ import annotations

from datetime import datetime

from models.domain import Event
from models.errors import AccountLimit, AdmitError, EventNotOpen, NotEnoughSeats, SoldOut


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
