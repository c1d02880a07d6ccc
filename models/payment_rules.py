"""Payments as pure decisions: does a payment belong to this registration and what did a
refund do (applied by web/services/payments.py), and what a successful payment does to
the registration and the seats (`decide_payment`, called by both stores inside the
transaction that confirms it: invariant 3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from models.domain import PaymentOutcome, Registration, RegistrationStatus
from models.seat_rules import (
    HoldRead,
    SeatChange,
    TypeChange,
    hold_refusal,
    late_promo_refusal,
    promo_uses,
    without_own_hold,
)


def payment_mismatches(
    registration: Registration,
    *,
    ref: str,
    amount: int,
    currency: str,
    registration_id: str | None,
    event_id: str | None,
) -> list[str]:
    """What differs between a payment as the provider reports it and the registration it
    names; empty when it is the payment Admit asked for. A payment that differs in any
    of these is never applied: it was not made for this order (or not for its price)."""
    problems = []
    if registration_id != registration.id:
        problems.append(f"registration {registration_id!r} is not {registration.id!r}")
    if event_id is not None and event_id != registration.event_id:
        problems.append(f"event {event_id!r} is not {registration.event_id!r}")
    # Before the reference is stored (a moment after the payment is created) any payment
    # naming the registration may be it; afterwards only that one.
    if registration.payment_ref is not None and ref != registration.payment_ref:
        problems.append(f"payment {ref!r} is not {registration.payment_ref!r}")
    if amount != registration.amount:
        problems.append(f"amount {amount} is not {registration.amount}")
    if currency.upper() != registration.currency.upper():
        problems.append(f"currency {currency!r} is not {registration.currency!r}")
    return problems


class RefundKind(StrEnum):
    NONE = "none"
    PARTIAL = "partial"
    FULL = "full"


def refund_kind(amount: int, amount_refunded: int) -> RefundKind:
    """A refund of the whole amount cancels the order; less leaves it confirmed."""
    if amount_refunded <= 0:
        return RefundKind.NONE
    if amount_refunded >= amount:
        return RefundKind.FULL
    return RefundKind.PARTIAL


def partial_refund_increase(registration: Registration, amount_refunded: int) -> int:
    """How much of a reported refund total (`amount_refunded`, in all) is new to a
    confirmed registration; 0 when nothing is to be recorded (a late or repeated report
    of a smaller total, a registration that is not confirmed)."""
    if registration.status is not RegistrationStatus.CONFIRMED:
        return 0
    return max(0, min(amount_refunded, registration.amount) - registration.refunded_amount)


@dataclass(frozen=True)
class PaymentDecision:
    """What a successful payment does: the outcome, and for `CONFIRMED` the change to
    the event's counters (its `taken` > 0 when the payment takes seats afresh, which the
    store conditions on the capacity and the account's limit)."""

    outcome: PaymentOutcome
    change: SeatChange | None = None


def decide_payment(registration: Registration, read: HoldRead, now: datetime) -> PaymentDecision:
    """Apply a successful payment to `registration`, as read inside the store's
    transaction (after the event's run-out holds were swept), with its event and ticket
    types and the seats the same account holds or has confirmed for the event in other
    registrations (`read`).

    - Confirmed already: `ALREADY_CONFIRMED`, nothing changes (a repeated webhook).
    - Cancelled or refunded: `NOT_PAYABLE` (the service refunds the payment).
    - The event was cancelled or has ended (`Event.is_on_sale` is false): `NOT_PAYABLE`,
      even on a hold that has not run out. DESIGN's invariant 3 gives a late payment
      seats "if any are free", but API.md closes sales when the event ends and a
      cancelled event has refunded everyone: seats of an event that is over or called
      off are never free to buy, so the payment is refunded, never confirmed. (Before
      this rule SQLite refused such a payment on an expired hold with `NO_SEATS` and
      DynamoDB confirmed it when the hold had not been swept yet.)
    - A live hold: its own seats move from held to confirmed (no capacity check: they
      are counted already).
    - The hold ran out (swept to `expired`, or still `held` past its expiry): the
      payment gets seats only if that many are free now and the account's limit allows
      them, as a new hold would (`hold_refusal`: each type's capacity and the event's);
      else `NO_SEATS` (refund). A hold not swept yet still counts its own seats as
      held: those are free for it.
    - A promo code's use stays counted while the hold lives (or is not swept yet); a
      payment after the hold was swept takes the use afresh with the seats, and is
      `NO_SEATS` (refunded) when the code's uses are all taken meanwhile (invariant 6).
    """
    status = registration.status
    if status is RegistrationStatus.CONFIRMED:
        return PaymentDecision(PaymentOutcome.ALREADY_CONFIRMED)
    if status not in (RegistrationStatus.HELD, RegistrationStatus.EXPIRED):
        return PaymentDecision(PaymentOutcome.NOT_PAYABLE)
    if not read.event.is_on_sale(now):
        return PaymentDecision(PaymentOutcome.NOT_PAYABLE)
    q, amount = registration.quantity, registration.amount
    held = status is RegistrationStatus.HELD  # its seats are still counted as held
    own = q if held else 0
    types = tuple(
        TypeChange(
            item.ticket_type_id,
            held=-item.quantity if held else 0,
            confirmed=item.quantity,
            revenue=item.amount,
        )
        for item in registration.seat_items
    )
    confirm = SeatChange(
        held=-own,
        confirmed=q,
        registrations=1,
        revenue=amount,
        types=types,
        promos=() if held else promo_uses(registration, 1),
    )
    if held and not registration.hold_expired(now):
        return PaymentDecision(PaymentOutcome.CONFIRMED, confirm)
    if hold_refusal(without_own_hold(read, registration), registration.seat_items, now):
        return PaymentDecision(PaymentOutcome.NO_SEATS)
    if not held and late_promo_refusal(read, registration):
        return PaymentDecision(PaymentOutcome.NO_SEATS)
    return PaymentDecision(PaymentOutcome.CONFIRMED, confirm)
