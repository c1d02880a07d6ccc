"""Payments on DynamoDB: confirming a paid registration exactly once (invariant 3),
refunds, and the webhook events already applied."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from models.domain import PaymentOutcome, Registration, RegistrationStatus
from models.dynamo.base import RETRIES, Refused
from models.dynamo.codec import iso, ticket_item
from models.dynamo.registrations import DynamoRegistrations
from models.dynamo.seats import n, s
from models.errors import Conflict, NotFound
from models.seat_rules import hold_refusal
from models.tickets import Ticket

# Stripe retries a webhook for up to three days; remember its events a while longer.
WEBHOOK_MEMORY = timedelta(days=30)


class DynamoPayments(DynamoRegistrations):
    async def set_payment_ref(self, registration_id: str, ref: str) -> None:
        await self.conditional(
            "update_item",
            TableName=self.t("registrations"),
            Key={"id": s(registration_id)},
            UpdateExpression="SET payment_ref = :ref",
            ConditionExpression="attribute_exists(id)",
            ExpressionAttributeValues={":ref": s(ref)},
        )

    def _ticket_puts(self, tickets: Sequence[Ticket]) -> list[dict[str, Any]]:
        return [
            {
                "Put": {
                    "TableName": self.t("tickets"),
                    "Item": ticket_item(ticket),
                    "ConditionExpression": "attribute_not_exists(id)",
                }
            }
            for ticket in tickets
        ]

    async def confirm_payment(
        self, registration_id: str, tickets: Sequence[Ticket], now: datetime
    ) -> PaymentOutcome:
        """One transaction conditioned on the registration's status as read: a repeat or a
        race loses the condition, reads again and answers from the new status."""
        confirmed = RegistrationStatus.CONFIRMED
        for attempt in range(RETRIES):
            registration = await self.get_registration(registration_id)
            if registration is None:
                raise NotFound("This registration does not exist.")
            if registration.status is confirmed:
                return PaymentOutcome.ALREADY_CONFIRMED
            if registration.status in (RegistrationStatus.CANCELLED, RegistrationStatus.REFUNDED):
                return PaymentOutcome.NOT_PAYABLE
            q, amount = registration.quantity, registration.amount
            account: list[dict[str, Any]] = []
            if registration.status is RegistrationStatus.HELD:
                # Its seats are still counted as held (even if the hold ran out and was not
                # released yet): move them from held to confirmed.
                event_update = {
                    "Update": {
                        **self._event_key(registration.event_id),
                        "UpdateExpression": (
                            "ADD seats_held :minus, seats_confirmed :q,"
                            " registrations :one, revenue :amount"
                        ),
                        "ExpressionAttributeValues": {
                            ":minus": n(-q),
                            ":q": n(q),
                            ":one": n(1),
                            ":amount": n(amount),
                        },
                    }
                }
            else:
                # The hold ran out and was released: seats only if that many are free now,
                # and if the account's other seats leave room for them.
                await self.release_expired(registration.event_id, now)
                event, version = await self._event(registration.event_id)
                mine = await self.account_seats(event.id, registration.user_id)
                if hold_refusal(event, q, mine, now) is not None:
                    return PaymentOutcome.NO_SEATS
                account = [self.account_take(event, registration.user_id, q)]
                event_update = {
                    "Update": {
                        **self._event_key(registration.event_id),
                        "UpdateExpression": (
                            "ADD seats_confirmed :q, seats_taken :q,"
                            " registrations :one, revenue :amount"
                        ),
                        "ConditionExpression": "version = :version AND seats_taken <= :limit",
                        "ExpressionAttributeValues": {
                            ":q": n(q),
                            ":one": n(1),
                            ":amount": n(amount),
                            ":version": n(version),
                            ":limit": n(event.capacity - q),
                        },
                    }
                }
            items = [
                self.status_change(registration, confirmed, now),
                event_update,
                *account,
                *self._ticket_puts(tickets),
            ]
            try:
                await self.transact(items)
            except Refused as refused:
                # The status condition first: a repeat carrying the same tickets fails on
                # both, and is answered from the status read next time round.
                first_ticket = 2 + len(account)
                if not refused.failed(0) and any(
                    refused.failed(i) for i in range(first_ticket, len(items))
                ):
                    raise Conflict("These tickets exist already.") from refused
                await self.backoff(attempt)
                continue
            return PaymentOutcome.CONFIRMED
        return PaymentOutcome.NO_SEATS

    async def refund_registration(self, registration_id: str, now: datetime) -> Registration:
        for attempt in range(RETRIES):
            registration = await self.get_registration(registration_id)
            if registration is None:
                raise NotFound("This registration does not exist.")
            if registration.status is RegistrationStatus.REFUNDED:
                return registration
            items = [self.status_change(registration, RegistrationStatus.REFUNDED, now)]
            if registration.status in (RegistrationStatus.HELD, RegistrationStatus.CONFIRMED):
                items.append(self.seats_back(registration))
                items.append(
                    self.account_back(
                        registration.event_id, registration.user_id, registration.quantity
                    )
                )
            items += await self.void_tickets(registration_id)
            try:
                await self.transact(items)
            except Refused:
                await self.backoff(attempt)
                continue
        return await self._refunded(registration_id)

    async def _refunded(self, registration_id: str) -> Registration:
        registration = await self.get_registration(registration_id)
        assert registration is not None
        return registration

    async def webhook_event_seen(self, event_id: str) -> bool:
        return await self.get("webhook_events", {"id": event_id}) is not None

    async def record_webhook_event(self, event_id: str, kind: str, now: datetime) -> None:
        await self.conditional(
            "put_item",
            TableName=self.t("webhook_events"),
            Item={
                "id": s(event_id),
                "kind": s(kind),
                "received_at": s(iso(now)),
                "expires_ttl": n(int((now + WEBHOOK_MEMORY).timestamp())),
            },
            ConditionExpression="attribute_not_exists(id)",
        )
