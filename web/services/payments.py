"""Payment use cases: start, the simulator's checkout, webhooks, refunds.

`apply_success` is the one place a payment confirms a registration, whether the
simulator or a Stripe webhook reports it. Every transition is conditional on the current
state in the store (invariant 3): a repeated, late or reordered report never issues a
second set of tickets or loses a paid order; a payment that cannot get its seats is
refunded automatically.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from models.domain import (
    Event,
    PaymentOutcome,
    Registration,
    RegistrationStatus,
    User,
    utcnow,
)
from models.errors import Conflict, NotFound
from models.payment_rules import RefundKind, payment_mismatches, refund_kind
from models.store import Store
from models.tickets import tickets_for
from web.adapters.mail.port import Mailer
from web.adapters.payments.port import (
    NotSimulator,
    PaymentEvent,
    PaymentEventKind,
    PaymentProvider,
    PaymentStart,
)
from web.mails import payment_too_late_mail, refund_mail

log = logging.getLogger("admit.payments")


class HoldExpired(Conflict):
    code = "hold_expired"
    message = "Your seats were released because the time to pay ran out. Register again."


@dataclass(frozen=True)
class Applied:
    outcome: PaymentOutcome
    registration: Registration

    @property
    def to_deliver(self) -> str | None:
        """The registration whose PDFs and mail are due now (sent after the answer)."""
        return self.registration.id if self.outcome is PaymentOutcome.CONFIRMED else None


class Payments:
    def __init__(
        self,
        store: Store,
        provider: PaymentProvider,
        mailer: Mailer,
        base_url: str,
    ) -> None:
        self.store = store
        self.provider = provider
        self.mailer = mailer
        self.base_url = base_url

    @property
    def name(self) -> str:
        return self.provider.name

    async def start(self, registration: Registration) -> PaymentStart:
        """Prepare the payment of a fresh hold and remember the provider's reference."""
        started = await self.provider.start(registration)
        if registration.payment_ref != started.ref:
            await self.store.set_payment_ref(registration.id, started.ref)
        return started

    async def _registration(self, registration_id: str) -> Registration:
        registration = await self.store.get_registration(registration_id)
        if registration is None:
            raise NotFound("This registration does not exist.")
        return registration

    # -- the simulator ------------------------------------------------------------------

    async def pay_simulated(
        self, user: User, registration_id: str, card_number: str, authenticate: str | None
    ) -> Applied:
        if not self.provider.takes_test_cards:
            raise NotSimulator()
        registration = await self._registration(registration_id)
        if registration.user_id != user.id:
            raise NotFound("This registration does not exist.")
        if registration.status is RegistrationStatus.CONFIRMED:
            return Applied(PaymentOutcome.ALREADY_CONFIRMED, registration)
        if registration.status is not RegistrationStatus.HELD or registration.hold_expired(
            utcnow()
        ):
            raise HoldExpired()
        self.provider.charge_test_card(card_number, authenticate)  # raises when declined
        return await self.apply_success(registration.id, registration)

    # -- what every provider's success leads to -------------------------------------------

    async def apply_success(
        self, registration_id: str, just_read: Registration | None = None
    ) -> Applied:
        """`just_read`: the registration as its caller read it a moment ago (the store's
        transaction decides from the row as it is then, not from this copy)."""
        registration = just_read or await self._registration(registration_id)
        now = utcnow()
        outcome = await self.store.confirm_payment(
            registration.id, tickets_for(registration, now), now
        )
        already_refunded = registration.status is RegistrationStatus.REFUNDED
        registration = await self._registration(registration_id)
        if already_refunded:
            return Applied(outcome, registration)  # said and done before: nothing to repeat
        if outcome in (PaymentOutcome.NO_SEATS, PaymentOutcome.NOT_PAYABLE):
            # Only this rare answer needs the event (for the mail): not read on the way
            # of every payment.
            event = await self.store.get_event(registration.event_id)
            assert event is not None
            registration = await self.refund(registration)
            await self.mailer.send(payment_too_late_mail(registration, event, self.base_url))
        return Applied(outcome, registration)

    async def refund(self, registration: Registration) -> Registration:
        """Give the money back at the provider first, then record it: if the provider
        fails, nothing is marked refunded and the caller can retry."""
        if registration.status is RegistrationStatus.REFUNDED:
            return registration
        if registration.amount:
            await self.provider.refund(registration)
        return await self.store.refund_registration(registration.id, utcnow())

    async def refund_and_tell(self, registration: Registration, event: Event) -> Registration:
        refunded = await self.refund(registration)
        await self.mailer.send(refund_mail(refunded, event, self.base_url))
        return refunded

    # -- webhooks -----------------------------------------------------------------------

    async def handle_webhook(self, payload: bytes, signature: str) -> tuple[str, str | None]:
        """Apply one provider event; returns what was done (for the log) and the
        registration whose tickets are due. Raises WebhookRejected for a bad signature
        and ProviderUnavailable to ask for a retry."""
        event = self.provider.parse_webhook(payload, signature)
        if await self.store.webhook_event_seen(event.id):
            return "duplicate", None
        done, to_deliver = await self._apply(event)
        await self.store.record_webhook_event(event.id, event.provider_kind, utcnow())
        return done, to_deliver

    async def _apply(self, event: PaymentEvent) -> tuple[str, str | None]:
        if event.kind is None or event.payment_ref is None:
            return "ignored", None
        # The delivery is only a signal: what counts is the payment as the provider has it
        # now, which also puts reordered deliveries right.
        state = await self.provider.retrieve(event.payment_ref)
        if state.registration_id is None:
            return "ignored: no registration", None
        registration = await self.store.get_registration(state.registration_id)
        if registration is None:
            log.warning(
                "payment %s names unknown registration %s", state.ref, state.registration_id
            )
            return "ignored: unknown registration", None
        mismatches = payment_mismatches(
            registration,
            ref=state.ref,
            amount=state.amount,
            currency=state.currency,
            registration_id=state.registration_id,
            event_id=state.event_id,
        )
        if mismatches:
            # Not the payment Admit asked for (another amount, currency or order): never
            # applied. 200 all the same: Stripe's retries would re-read the same payment
            # and find the same difference for three days; a person has to look.
            log.error(
                "webhook %s (%s): payment %s does not match registration %s, not applied: %s",
                event.id,
                event.provider_kind,
                state.ref,
                registration.id,
                "; ".join(mismatches),
            )
            return "ignored: payment does not match the registration", None
        if event.kind is PaymentEventKind.REFUNDED:
            return await self._apply_refund(registration, state.amount_refunded), None
        # Succeeded or failed alike: the payment as it is now decides (a failure reported
        # after a later success must not undo it).
        if state.paid:
            applied = await self.apply_success(registration.id)
            return applied.outcome.value, applied.to_deliver
        return f"payment {state.status}", None

    async def _apply_refund(self, registration: Registration, amount_refunded: int) -> str:
        """A refund made at the provider (its dashboard, or ours): the whole amount
        cancels the order; part of it is recorded and the tickets stay valid."""
        kind = refund_kind(registration.amount, amount_refunded)
        paid = (RegistrationStatus.CONFIRMED, RegistrationStatus.CANCELLED)
        if kind is RefundKind.FULL and registration.status in paid:
            await self.store.refund_registration(registration.id, utcnow())
            return "refunded"
        if kind is RefundKind.PARTIAL and registration.status is RegistrationStatus.CONFIRMED:
            await self.store.record_partial_refund(registration.id, amount_refunded, utcnow())
            return "partially refunded"
        return "ignored"
