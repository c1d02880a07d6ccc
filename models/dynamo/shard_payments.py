"""A payment confirming a registration of a sharded event (docs/SCALING.md): a live
hold's seats move from held to confirmed on one shard; a hold that ran out takes seats
afresh like a new hold (seat_shards.py). payments.py dispatches here for N > 1 only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from models.domain import PaymentOutcome, RegistrationStatus
from models.dynamo.base import RETRIES, Refused
from models.dynamo.codec import event_from_item
from models.dynamo.registrations import DynamoRegistrations
from models.errors import AdmitError, Conflict, NotFound
from models.figures import seat_bumps
from models.outbox import tickets_job
from models.payment_rules import decide_payment
from models.seat_rules import HoldRead
from models.tickets import Ticket


class DynamoShardPayments(DynamoRegistrations):
    async def confirm_sharded(
        self, registration_id: str, tickets: Sequence[Ticket], now: datetime
    ) -> PaymentOutcome:
        for attempt in range(RETRIES):
            registration = await self.get_registration(registration_id)
            if registration is None:
                raise NotFound("This registration does not exist.")
            read, promo_version, item = await self.hold_read_item(
                registration.event_id, registration.user_id, registration.promo_code_id
            )
            totals = await self.sharded_totals(item)
            kinds = self.types_with_sums(totals, list(read.types.values()))
            read = replace(read, event=event_from_item(totals), types={t.id: t for t in kinds})
            event = read.event
            if registration.status is RegistrationStatus.HELD:
                # The account's counter holds this hold's seats too.
                read = replace(read, account_seats=read.account_seats - registration.quantity)
            decision = decide_payment(registration, read, now)
            if decision.outcome is not PaymentOutcome.CONFIRMED:
                return decision.outcome
            change = decision.change
            assert change is not None
            tail: list[dict[str, Any]] = [
                self.status_change(registration, RegistrationStatus.CONFIRMED, now),
                *self.account_change(event.id, registration.user_id, change, event.max_per_account),
                *self.promo_changes(event.id, change, (read.promo, promo_version)),
                *self.ticket_puts(tickets),
                self.job_put(tickets_job(registration.id, now)),  # invariant 8
            ]
            first_ticket = len(tail) - len(tickets) - 1
            job = len(tail) - 1
            # The figures' counters move with the seats (models/figures.py); unconditioned.
            tail += self.figure_writes(
                event.id, seat_bumps(change, now, event.zone), registration.id
            )
            if change.taken <= 0:  # a live hold: its seats are counted already
                writes = self.shard_back(event.id, event.seat_shards, change, registration.id, None)
                try:
                    await self.transact([*tail, *writes])
                except Refused as refused:
                    if not refused.failed(0) and any(
                        refused.failed(i) for i in range(first_ticket, job)
                    ):
                        raise Conflict("These tickets exist already.") from refused
                    await self.backoff(attempt)
                    continue
                return PaymentOutcome.CONFIRMED

            def no_seats(truth: HoldRead) -> None:
                raise AdmitError("no seats")

            try:
                failed = await self.take_on_shards(
                    event, item, read, change, tail, now, None, no_seats
                )
            except AdmitError:
                return PaymentOutcome.NO_SEATS
            if failed is None:
                return PaymentOutcome.CONFIRMED
            if failed != 0 and first_ticket <= failed < job:
                raise Conflict("These tickets exist already.")
            await self.backoff(attempt)
        return PaymentOutcome.NO_SEATS
