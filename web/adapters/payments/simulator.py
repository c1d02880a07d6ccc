"""A local stand-in for Stripe that honours Stripe's test card numbers.

No network and no state of its own: a card number decides the answer, as Stripe's test
cards do, and a success goes through the same confirmation as a Stripe webhook.
"""

from __future__ import annotations

import re

from models.domain import Registration
from models.errors import ValidationFailed
from web.adapters.payments.port import (
    CardRefused,
    PaymentEvent,
    PaymentProvider,
    PaymentStart,
    PaymentState,
    WebhookRejected,
)

SUCCEEDS = "4242424242424242"
NEEDS_AUTHENTICATION = "4000002500003155"
DECLINES = {
    "4000000000000002": ("card_declined", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    "4000000000000069": ("expired_card", "Your card has expired."),
}
TEST_CARD_HINT = (
    "This is the payment simulator: use a Stripe test card, such as 4242 4242 4242 4242."
)


def clean_card_number(raw: str) -> str:
    return re.sub(r"[\s-]", "", raw)


class SimulatedPayments(PaymentProvider):
    name = "simulator"
    takes_test_cards = True

    def known_reference(self, registration: Registration) -> str | None:
        return f"sim_{registration.id}"

    async def start(self, registration: Registration) -> PaymentStart:
        return PaymentStart(ref=f"sim_{registration.id}")

    def charge_test_card(self, card_number: str, authenticate: str | None) -> None:
        """Succeeds, or raises CardRefused (402) or ValidationFailed (422) like Stripe's
        test cards would."""
        number = clean_card_number(card_number)
        if number == SUCCEEDS:
            return
        if number in DECLINES:
            raise CardRefused(*DECLINES[number])
        if number == NEEDS_AUTHENTICATION:
            if authenticate == "approve":
                return
            if authenticate == "fail":
                raise CardRefused("authentication_failed", "The bank could not confirm it was you.")
            raise CardRefused(
                "authentication_required", "Your bank asks you to confirm this payment."
            )
        raise ValidationFailed({"card_number": TEST_CARD_HINT})

    async def retrieve(self, ref: str) -> PaymentState:
        registration_id = ref.removeprefix("sim_") if ref.startswith("sim_") else None
        return PaymentState(ref, "requires_payment_method", registration_id, 0, "")

    async def refund(self, registration: Registration) -> None:
        return None  # nothing was taken from a real card

    async def cancel(self, registration: Registration) -> None:
        return None

    def parse_webhook(self, payload: bytes, signature: str) -> PaymentEvent:
        raise WebhookRejected("The simulator sends no webhooks.")
