"""Does this payment belong to this registration, and what did a refund do: pure
decisions on what the payment provider reports, applied by web/services/payments.py."""

from __future__ import annotations

from enum import StrEnum

from models.domain import Registration


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
