"""Payments on DynamoDB: confirming a paid registration exactly once (invariant 3),
refunds, and the webhook events already applied."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from models.domain import PaymentOutcome, Registration, RegistrationStatus
from models.dynamo.base import RETRIES, Refused
from models.dynamo.codec import event_from_item, iso
from models.dynamo.seat_shards import shard_count
from models.dynamo.seats import n, s
from models.dynamo.shard_payments import DynamoShardPayments
from models.errors import Conflict, NotFound
from models.figures import refund_amount, refund_bumps, seat_bumps
from models.outbox import tickets_job
from models.payment_rules import decide_payment
from models.seat_rules import seats_back
from models.tickets import Ticket

# Stripe retries a webhook for up to three days; remember its events a while longer.
WEBHOOK_MEMORY = timedelta(days=30)


class DynamoPayments(DynamoShardPayments):
    async def set_payment_ref(self, registration_id: str, ref: str) -> None:
        await self.conditional(
            "update_item",
            TableName=self.t("registrations"),
            Key={"id": s(registration_id)},
            UpdateExpression="SET payment_ref = :ref",
            ConditionExpression="attribute_exists(id)",
            ExpressionAttributeValues={":ref": s(ref)},
        )

    async def confirm_payment(
        self, registration_id: str, tickets: Sequence[Ticket], now: datetime
    ) -> PaymentOutcome:
        """Read, sweep the event's run-out holds, `decide_payment`, and write what it says
        in one transaction conditioned on the registration's status and the event's
        version as read: a repeat or a race loses a condition, reads again and decides
        from the new rows."""
        for attempt in range(RETRIES):
            registration = await self._registration(registration_id)
            promo_id = registration.promo_code_id
            read, version, promo_version = await self.hold_read(
                registration.event_id, registration.user_id, promo_id
            )
            event = read.event
            if event.seat_shards > 1:  # its seats are on N items (shard_payments.py)
                return await self.confirm_sharded(registration_id, tickets, now)
            if event.has_expired_holds(now):
                await self.release_expired(event.id, now)
                registration = await self._registration(registration_id)
                read, version, promo_version = await self.hold_read(
                    event.id, registration.user_id, promo_id
                )
                event = read.event
            if registration.status is RegistrationStatus.HELD:
                # The account's counter holds this hold's seats too.
                mine = read.account_seats - registration.quantity
                read = replace(read, account_seats=mine)
            decision = decide_payment(registration, read, now)
            if decision.outcome is not PaymentOutcome.CONFIRMED:
                return decision.outcome
            assert decision.change is not None
            account = self.account_change(
                event.id, registration.user_id, decision.change, event.max_per_account
            )
            types = self.type_changes(event.id, decision.change, read.types)
            # A late payment takes its code's use afresh (invariant 6).
            promos = self.promo_changes(event.id, decision.change, (read.promo, promo_version))
            items = [
                self.status_change(registration, RegistrationStatus.CONFIRMED, now),
                self.event_change(
                    event.id,
                    decision.change,
                    version=version,
                    capacity=event.capacity,
                    waited=event.waitlist_seats,
                ),
                *types,
                *account,
                *promos,
                *self.ticket_puts(tickets),
                self.job_put(tickets_job(registration.id, now)),  # invariant 8
                *self.figure_writes(
                    event.id, seat_bumps(decision.change, now, event.zone), registration.id
                ),
            ]
            try:
                await self.transact(items)
            except Refused as refused:
                # The status condition first: a repeat carrying the same tickets fails on
                # both, and is answered from the status read next time round.
                first_ticket = 2 + len(types) + len(account) + len(promos)
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
            registration = await self._registration(registration_id)
            if registration.status is RegistrationStatus.REFUNDED:
                return registration
            # Its types exist (backfill); its seats may be on shards (seat_shards.py).
            event_item = await self.event_item(registration.event_id)
            zone = event_from_item(event_item).zone
            shards = shard_count(event_item)
            given = refund_amount(registration.amount, registration.refunded_amount)
            bumps = seat_bumps(seats_back(registration), now, zone)
            items = [
                self.status_change(registration, RegistrationStatus.REFUNDED, now),
                *self.seats_back(registration, shards),
                *await self.void_tickets(registration_id),
                *self.figure_writes(
                    registration.event_id,
                    [*bumps, *(refund_bumps(given) if given else [])],
                    registration.id,
                ),
            ]
            try:
                await self.transact(items)
            except Refused:
                await self.backoff(attempt)
                continue
            await self.seats_came_back(registration.event_id, now)  # invariant 7
            break
        return await self._registration(registration_id)

    async def _registration(self, registration_id: str) -> Registration:
        registration = await self.get_registration(registration_id)
        if registration is None:
            raise NotFound("This registration does not exist.")
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
