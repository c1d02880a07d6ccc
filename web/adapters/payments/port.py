"""The payments port: take money for a held registration, and give it back.

Two implementations: the local simulator (Stripe's test cards, no network) and Stripe.
Either way a successful payment reaches `Payments.apply_success` in web/services/, the one
place that confirms a registration.

The port speaks its own words, not a provider's: a webhook becomes a `PaymentEvent`
(succeeded, failed, refunded), a payment's state says whether it is `paid` and how much of
it was refunded, and a simulated charge is `charge_test_card`, which only the simulator
takes. The service never names a provider's event or asks which adapter it has.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum

from models.domain import Registration
from models.errors import AdmitError, Conflict


@dataclass(frozen=True)
class PaymentStart:
    """What the checkout page needs to take the payment."""

    ref: str
    client_secret: str | None = None
    publishable_key: str | None = None


@dataclass(frozen=True)
class PaymentState:
    """A payment as the provider has it now."""

    ref: str
    # The provider's own word for its state, for the log (Stripe's: succeeded, processing,
    # requires_payment_method, requires_action, canceled); `paid` is what Admit acts on.
    status: str
    registration_id: str | None
    amount: int
    currency: str
    # What the payment's metadata names as the event, and what has been refunded of it
    # so far (minor units, all refunds together).
    event_id: str | None = None
    amount_refunded: int = 0
    paid: bool = False


class PaymentEventKind(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class PaymentEvent:
    """A webhook delivery, verified and put in the port's words. Only a signal: the
    service re-reads the payment it names (`retrieve`), which also puts reordered or late
    deliveries right; so a refund's amount is the payment's `amount_refunded` then, not a
    figure carried by one delivery."""

    id: str  # the provider's id of the delivery: each is applied once
    kind: PaymentEventKind | None  # None: nothing Admit acts on
    payment_ref: str | None  # the payment it concerns (None: none)
    provider_kind: str  # the provider's own name of it, for the log and the record
    object_id: str = ""  # the provider's object the delivery carried (a charge, say)


class CardRefused(AdmitError):
    """The card was declined: the hold stays, so the payer can try another card."""

    status = 402

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class NotSimulator(Conflict):
    code = "not_simulator"
    message = "Simulated payments only work when the payment provider is the simulator."


class WebhookRejected(Exception):
    """Not a delivery from the provider (bad signature or malformed)."""


class ProviderUnavailable(RuntimeError):
    """The provider could not be reached or failed: retry later."""


class PaymentProvider(ABC):
    name: str
    # Whether `charge_test_card` can take a payment: asked before a simulated payment
    # looks at its registration, so a provider that takes none refuses it first.
    takes_test_cards: bool = False

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

    def charge_test_card(self, card_number: str, authenticate: str | None) -> None:
        """Pay with a test card, as a provider's test mode would answer it: returns when
        the card pays, raises CardRefused (402) or ValidationFailed (422). A provider that
        takes real payments refuses every test card (NotSimulator, 409)."""
        raise NotSimulator()

    @abstractmethod
    def parse_webhook(self, payload: bytes, signature: str) -> PaymentEvent:
        """Raises WebhookRejected unless the provider signed `payload`."""
