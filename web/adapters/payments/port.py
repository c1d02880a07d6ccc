"""The payments port: take money for a held registration, and give it back.

Two implementations: the local simulator (Stripe's test cards, no network) and Stripe.
Either way a successful payment reaches `Payments.apply_success` in web/services/, the one
place that confirms a registration.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from models.domain import Registration
from models.errors import AdmitError


@dataclass(frozen=True)
class PaymentStart:
    """What the checkout page needs to take the payment."""

    ref: str
    client_secret: str | None = None
    publishable_key: str | None = None


@dataclass(frozen=True)
class PaymentState:
    ref: str
    status: str  # succeeded, processing, requires_payment_method, requires_action, canceled
    registration_id: str | None
    amount: int
    currency: str
    # What the payment's metadata names as the event, and what has been refunded of it.
    event_id: str | None = None
    amount_refunded: int = 0


@dataclass(frozen=True)
class ProviderEvent:
    """A webhook delivery, verified: only a signal to re-read the object it names."""

    id: str
    kind: str
    object_id: str
    payment_ref: str | None


class CardRefused(AdmitError):
    """The card was declined: the hold stays, so the payer can try another card."""

    status = 402

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class WebhookRejected(Exception):
    """Not a delivery from the provider (bad signature or malformed)."""


class ProviderUnavailable(RuntimeError):
    """The provider could not be reached or failed: retry later."""


class PaymentProvider(ABC):
    name: str

    def known_reference(self, registration: Registration) -> str | None:
        """The payment's reference when it can be named without asking the provider
        (then it is stored with the hold itself, saving a write)."""
        return None

    @abstractmethod
    async def start(self, registration: Registration) -> PaymentStart:
        """Prepare the payment of a held registration (idempotent per registration)."""

    @abstractmethod
    async def retrieve(self, ref: str) -> PaymentState: ...

    @abstractmethod
    async def refund(self, registration: Registration) -> None:
        """Give the registration's whole amount back (idempotent)."""

    @abstractmethod
    async def cancel(self, registration: Registration) -> None:
        """Stop a payment that has not happened (a cancelled or expired hold)."""

    @abstractmethod
    def parse_webhook(self, payload: bytes, signature: str) -> ProviderEvent:
        """Raises WebhookRejected unless the provider signed `payload`."""
