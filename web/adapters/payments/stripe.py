"""Stripe as the payment provider (test mode or live), through the official SDK.

One PaymentIntent per registration, created with the idempotency key
`admit-pi-<registration id>` and the registration's id in its metadata. The browser pays it
with Stripe.js (static/js/checkout-stripe.js); Stripe then calls POST /webhooks/stripe,
and `Payments.handle_webhook` re-reads the PaymentIntent through `retrieve` before it
confirms anything, so a webhook is only ever a signal.

`stripe` is imported when the adapter is built, not when this module is imported: it
costs about 200 ms, which the simulator and the CLI need not pay.

With an API base set (`ADMIT_STRIPE_API_BASE`, e.g. localstripe in the tests) the
PaymentIntent is created with only the parameters that emulator knows: card payments
(`payment_method_types=["card"]`) and no description. Against Stripe itself it uses
`automatic_payment_methods`, as the Payment Element expects.

Stripe's webhook events reach the service in the port's words (`EVENT_KINDS`), and test
cards are the simulator's: `charge_test_card` refuses them here, as the port does.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from models.domain import Registration
from web.adapters.payments.port import (
    CardRefused,
    PaymentEvent,
    PaymentEventKind,
    PaymentProvider,
    PaymentStart,
    PaymentState,
    ProviderUnavailable,
    WebhookRejected,
)

# PaymentIntent states in which Stripe accepts a cancel.
CANCELLABLE = frozenset(
    {"requires_payment_method", "requires_confirmation", "requires_action", "requires_capture"}
)
FINISHED = frozenset({"canceled", "succeeded"})
TIMEOUT_SECONDS = 20.0
NETWORK_RETRIES = 2
CLIENT_SECRETS_KEPT = 10_000  # about 1 MB; a flash sale's holds at once
# Stripe's events in the port's words; any other event is nothing Admit acts on.
EVENT_KINDS = {
    "payment_intent.succeeded": PaymentEventKind.SUCCEEDED,
    "payment_intent.payment_failed": PaymentEventKind.FAILED,
    "charge.refunded": PaymentEventKind.REFUNDED,
}


class StripePayments(PaymentProvider):
    name = "stripe"

    def __init__(
        self,
        secret_key: str,
        publishable_key: str,
        webhook_secret: str,
        api_base: str = "",
    ) -> None:
        self.publishable_key = publishable_key
        self.webhook_secret = webhook_secret
        self.emulated = bool(api_base)
        self._secret_key = secret_key
        self._api_base = api_base.rstrip("/")
        self._client: Any = None
        self._session: Any = None
        # The client secret of each PaymentIntent started or read lately, by its id: a
        # held registration is read many times while its buyer pays.
        self._client_secrets: OrderedDict[str, str] = OrderedDict()

    @property
    def _stripe(self) -> Any:
        # The SDK (and requests under it) loads on the first payment, not at start-up:
        # the Lambda cold start serves pages that never touch it.
        import stripe

        return stripe

    @property
    def client(self) -> Any:
        if self._client is None:
            import requests

            stripe = self._stripe
            # The SDK's blocking client (requests), run in worker threads; one session, so
            # that `aclose` can close its connections. (Its httpx client for the *_async
            # methods passes bodies in a way httpx deprecates.)
            self._session = requests.Session()
            http = stripe.RequestsClient(timeout=TIMEOUT_SECONDS, session=self._session)
            self._client = stripe.StripeClient(
                self._secret_key,
                base_addresses={"api": self._api_base} if self._api_base else None,
                http_client=http,
                max_network_retries=NETWORK_RETRIES,
            )
        return self._client

    async def aclose(self) -> None:
        """Close the kept-alive HTTP connections (for a clean shutdown)."""
        if self._session is not None:
            await asyncio.to_thread(self._session.close)

    # -- errors -------------------------------------------------------------------------

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """The SDK's errors in the port's words: a refused card is CardRefused, anything
        else Stripe answers or fails to answer is ProviderUnavailable (retry later)."""
        stripe = self._stripe
        try:
            yield
        except stripe.CardError as exc:
            raise CardRefused(
                exc.code or "card_declined", exc.user_message or "Your card was declined."
            ) from exc
        except stripe.StripeError as exc:
            raise ProviderUnavailable(
                f"Stripe could not {doing}: {exc.user_message or exc.__class__.__name__}"
            ) from exc

    async def _intent(self, ref: str, expand: list[str] | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"expand": expand} if expand else {}
        with self._errors(f"find payment {ref}"):
            intent = await asyncio.to_thread(
                self.client.v1.payment_intents.retrieve,
                ref,
                params,
            )
        return intent.to_dict()

    # -- the port -----------------------------------------------------------------------

    async def start(self, registration: Registration) -> PaymentStart:
        ref = registration.payment_ref
        if ref and (secret := self._client_secrets.get(ref)):
            # Every API read of a held registration asks again; Stripe need not be asked
            # again for what it said a moment ago (its rate limit is per account).
            return PaymentStart(ref, secret, self.publishable_key or None)
        if ref and ref.startswith("pi_"):
            intent = await self._intent(ref)
        else:
            params: dict[str, Any] = {
                "amount": registration.amount,
                "currency": registration.currency.lower(),
                "metadata": {
                    "registration_id": registration.id,
                    "event_id": registration.event_id,
                },
            }
            if self.emulated:
                params["payment_method_types"] = ["card"]
            else:
                params["automatic_payment_methods"] = {"enabled": True}
                params["description"] = (
                    f"Admit registration {registration.id} (event {registration.event_id})"
                )
            with self._errors("start the payment"):
                created = await asyncio.to_thread(
                    self.client.v1.payment_intents.create,
                    params,
                    {"idempotency_key": f"admit-pi-{registration.id}"},
                )
            intent = created.to_dict()
        if secret := intent.get("client_secret"):
            self._client_secrets[intent["id"]] = secret
            while len(self._client_secrets) > CLIENT_SECRETS_KEPT:
                self._client_secrets.popitem(last=False)
        return PaymentStart(
            ref=intent["id"],
            client_secret=secret,
            publishable_key=self.publishable_key or None,
        )

    async def retrieve(self, ref: str) -> PaymentState:
        # The charge comes in the same answer: it says how much was refunded.
        intent = await self._intent(ref, expand=["latest_charge"])
        metadata = intent.get("metadata") or {}
        charge = intent.get("latest_charge")
        refunded = int(charge.get("amount_refunded") or 0) if isinstance(charge, dict) else 0
        return PaymentState(
            ref=intent["id"],
            status=intent["status"],
            registration_id=metadata.get("registration_id"),
            amount=int(intent.get("amount") or 0),
            currency=str(intent.get("currency") or "").upper(),
            event_id=metadata.get("event_id"),
            amount_refunded=refunded,
            paid=intent["status"] == "succeeded",
        )

    async def refund(self, registration: Registration) -> None:
        """Refund what is left of a succeeded payment (the registration's amount less
        what was refunded already); a payment that never succeeded is cancelled instead.
        Safe to repeat: a refunded charge is not refunded again."""
        ref = registration.payment_ref
        if not ref or not ref.startswith("pi_"):
            return  # no PaymentIntent: nothing was taken
        intent = await self._intent(ref, expand=["latest_charge"])
        status = intent["status"]
        if status in CANCELLABLE:
            await self._cancel(ref)
            return
        if status == "canceled":
            return
        if status != "succeeded":  # processing: it cannot be refunded yet
            raise ProviderUnavailable(f"Payment {ref} is {status}; refund it later.")
        charge = intent.get("latest_charge")
        if isinstance(charge, dict) and charge.get("refunded"):
            return
        # What was paid (after any promo code's discount) less what went back already,
        # by a partial refund we recorded or one Stripe made that we have not heard of:
        # named, not left to the provider (localstripe refunds the whole charge again).
        at_stripe = int(charge.get("amount_refunded") or 0) if isinstance(charge, dict) else 0
        remaining = registration.amount - max(registration.refunded_amount, at_stripe)
        if remaining <= 0:
            return
        stripe = self._stripe
        with self._errors(f"refund payment {ref}"):
            try:
                await asyncio.to_thread(
                    self.client.v1.refunds.create,
                    {
                        "payment_intent": ref,
                        "amount": remaining,
                        "metadata": {"registration_id": registration.id},
                    },
                    {"idempotency_key": f"admit-refund-{registration.id}"},
                )
            except stripe.InvalidRequestError as exc:
                if exc.code != "charge_already_refunded":
                    raise

    async def cancel(self, registration: Registration) -> None:
        ref = registration.payment_ref
        if not ref or not ref.startswith("pi_"):
            return
        intent = await self._intent(ref)
        # A payment that succeeded meanwhile is not cancelled here: its webhook finds the
        # registration no longer payable and refunds it (Payments.apply_success).
        if intent["status"] in CANCELLABLE:
            await self._cancel(ref)

    async def _cancel(self, ref: str) -> None:
        stripe = self._stripe
        with self._errors(f"cancel payment {ref}"):
            try:
                await asyncio.to_thread(self.client.v1.payment_intents.cancel, ref)
                return
            except stripe.InvalidRequestError:
                pass  # raced with the payer or another cancel: look again
        status = (await self._intent(ref))["status"]
        if status not in FINISHED:
            raise ProviderUnavailable(f"Stripe could not cancel payment {ref} ({status}).")

    def parse_webhook(self, payload: bytes, signature: str) -> PaymentEvent:
        stripe = self._stripe
        if not self.webhook_secret:
            raise WebhookRejected("ADMIT_STRIPE_WEBHOOK_SECRET is not set: no webhook is trusted.")
        try:
            event = self.client.construct_event(payload, signature, self.webhook_secret)
        except stripe.SignatureVerificationError as exc:
            raise WebhookRejected(f"Bad signature: {exc.user_message or exc}") from exc
        except (ValueError, LookupError, TypeError, AttributeError) as exc:
            # Signed, but not JSON (or not UTF-8), or not shaped like an event.
            raise WebhookRejected("The payload is not a Stripe event.") from exc
        try:
            body = event.to_dict()
            kind = str(body["type"])
            obj = body["data"]["object"]
            object_id = str(obj.get("id") or "")
            if kind.startswith("payment_intent."):
                payment_ref: str | None = object_id or None
            elif kind.startswith("charge."):
                intent = obj.get("payment_intent")
                payment_ref = intent.get("id") if isinstance(intent, dict) else intent
            else:
                payment_ref = None
            return PaymentEvent(
                id=str(body["id"]),
                kind=EVENT_KINDS.get(kind),
                payment_ref=payment_ref,
                provider_kind=kind,
                object_id=object_id,
            )
        except (LookupError, TypeError, AttributeError) as exc:
            raise WebhookRejected("The event lacks the fields Admit reads.") from exc
