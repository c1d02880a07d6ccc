"""Partial refunds on DynamoDB: the amount given back, kept on a registration that stays
confirmed, and taken off the event's revenue in the same transaction."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from models.domain import Registration, RegistrationStatus
from models.dynamo.base import RETRIES, Refused
from models.dynamo.codec import event_from_item, iso
from models.dynamo.registrations import DynamoRegistrations
from models.dynamo.seats import n, s
from models.errors import Conflict, NotFound
from models.figures import partial_refund_bumps
from models.payment_rules import partial_refund_increase


class DynamoPartialRefunds(DynamoRegistrations):
    async def record_partial_refund(
        self, registration_id: str, amount_refunded: int, now: datetime
    ) -> Registration:
        """Conditioned on the status and the refunded amount read: two reports racing
        each other take off the revenue only what is new to each."""
        for attempt in range(RETRIES):
            registration = await self.get_registration(registration_id)
            if registration is None:
                raise NotFound("This registration does not exist.")
            more = partial_refund_increase(registration, amount_refunded)
            if not more:
                return registration
            item = await self.get("events", {"id": registration.event_id})
            zone = event_from_item(item).zone if item else ZoneInfo("UTC")
            seen = "refunded_amount = :old"
            if registration.refunded_amount == 0:  # stored before the attribute existed
                seen = f"(attribute_not_exists(refunded_amount) OR {seen})"
            try:
                await self.transact(
                    [
                        {
                            "Update": {
                                "TableName": self.t("registrations"),
                                "Key": {"id": s(registration_id)},
                                "UpdateExpression": "SET refunded_amount = :new, updated_at = :now",
                                "ConditionExpression": f"#status = :confirmed AND {seen}",
                                "ExpressionAttributeNames": {"#status": "status"},
                                "ExpressionAttributeValues": {
                                    ":new": n(registration.refunded_amount + more),
                                    ":old": n(registration.refunded_amount),
                                    ":confirmed": s(RegistrationStatus.CONFIRMED.value),
                                    ":now": s(iso(now)),
                                },
                            }
                        },
                        {
                            "Update": {
                                **self._event_key(registration.event_id),
                                "UpdateExpression": "ADD revenue :minus",
                                "ExpressionAttributeValues": {":minus": n(-more)},
                            }
                        },
                        *self.figure_writes(
                            registration.event_id,
                            partial_refund_bumps(more, now, zone),
                            registration_id,
                        ),
                    ]
                )
            except Refused:
                await self.backoff(attempt)
                continue
            updated = await self.get_registration(registration_id)
            assert updated is not None
            return updated
        raise Conflict("The registration is being changed by someone else; try again.")
