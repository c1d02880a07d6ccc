"""Registrations on DynamoDB: holding seats (invariant 1), expiring holds, cancelling,
listing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from models.domain import SEAT_TAKING, Registration, RegistrationStatus
from models.dynamo.base import RETRIES, Refused
from models.dynamo.codec import (
    decode_cursor,
    iso,
    registration_from_item,
    registration_item,
    ticket_item,
)
from models.dynamo.seats import HELD, DynamoSeats, n, next_expiry_condition, s
from models.dynamo.tables import LAYOUT
from models.errors import (
    Conflict,
    EventNotOpen,
    InvalidTransition,
    NotEnoughSeats,
    NotFound,
    SoldOut,
)
from models.store import Page, RegistrationQuery
from models.tickets import Ticket


class DynamoRegistrations(DynamoSeats):
    async def hold_seats(
        self, registration: Registration, now: datetime, tickets: Sequence[Ticket] = ()
    ) -> Registration:
        """One TransactWriteItems: the event's counters (conditioned on the version and
        `seats_taken <= capacity - q`), the registration put, and its tickets' puts."""
        held = registration.status is RegistrationStatus.HELD
        q = registration.quantity
        for attempt in range(RETRIES):
            event, version = await self._event(registration.event_id)
            if not event.is_on_sale(now):
                raise EventNotOpen()
            if event.has_expired_holds(now):
                await self.release_expired(event.id, now)
                event, version = await self._event(event.id)
            left = event.seats_left
            if q > left:
                raise SoldOut() if left == 0 else NotEnoughSeats(left)
            values: dict[str, Any] = {
                ":q": n(q),
                ":version": n(version),
                ":limit": n(event.capacity - q),
            }
            condition = "version = :version AND seats_taken <= :limit AND " + (
                next_expiry_condition(event.holds_expire_next, values)
            )
            if held:
                expression = "ADD seats_held :q, seats_taken :q"
                mine = registration.hold_expires_at
                assert mine is not None
                if event.holds_expire_next is None or mine < event.holds_expire_next:
                    expression += " SET holds_expire_next = :mine"
                    values[":mine"] = s(iso(mine))
            else:
                expression = (
                    "ADD seats_confirmed :q, seats_taken :q, registrations :one, revenue :amount"
                )
                values[":one"] = n(1)
                values[":amount"] = n(registration.amount)
            items: list[dict[str, Any]] = [
                {
                    "Update": {
                        **self._event_key(event.id),
                        "UpdateExpression": expression,
                        "ConditionExpression": condition,
                        "ExpressionAttributeValues": values,
                    }
                },
                {
                    "Put": {
                        "TableName": self.t("registrations"),
                        "Item": registration_item(registration),
                        "ConditionExpression": "attribute_not_exists(id)",
                    }
                },
            ]
            items += [
                {
                    "Put": {
                        "TableName": self.t("tickets"),
                        "Item": ticket_item(ticket),
                        "ConditionExpression": "attribute_not_exists(id)",
                    }
                }
                for ticket in tickets
            ]
            try:
                await self.transact(items)
            except Refused as refused:
                if any(refused.failed(i) for i in range(1, len(items))):
                    raise Conflict("This registration exists already.") from refused
                await self.backoff(attempt)  # the counters moved: read them again
                continue
            return registration
        raise NotEnoughSeats(0)

    async def release_expired_holds(self, event_id: str, now: datetime) -> int:
        return await self.release_expired(event_id, now)

    async def events_with_expired_holds(self, now: datetime, limit: int) -> list[str]:
        """The sparse GSI by_status_hold_expiry holds only live holds' expiry times."""
        found: list[str] = []
        async for item in self.query_all(
            "registrations",
            IndexName="by_status_hold_expiry",
            KeyConditionExpression="#status = :held AND hold_expires_at <= :now",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":held": s(HELD), ":now": s(iso(now))},
        ):
            event_id = item["event_id"]["S"]
            if event_id not in found:
                found.append(event_id)
                if len(found) >= limit:
                    break
        return found

    async def cancel_registration(
        self, registration_id: str, to: RegistrationStatus, now: datetime
    ) -> Registration:
        for attempt in range(RETRIES):
            registration = await self.get_registration(registration_id)
            if registration is None:
                raise NotFound("This registration does not exist.")
            if registration.status not in SEAT_TAKING:
                raise InvalidTransition(f"This registration is already {registration.status}.")
            items = [
                self.status_change(registration, to, now),
                self.seats_back(registration),
                *await self.void_tickets(registration_id),
            ]
            try:
                await self.transact(items)
            except Refused:
                await self.backoff(attempt)  # changed meanwhile: read it again
                continue
            updated = await self.get_registration(registration_id)
            assert updated is not None
            return updated
        raise Conflict("The registration is being changed by someone else; try again.")

    def status_change(
        self, registration: Registration, to: RegistrationStatus, now: datetime
    ) -> dict[str, Any]:
        """Move a registration from the status read to `to` (conditioned on the former);
        a hold that ends leaves the by_status_hold_expiry index."""
        return {
            "Update": {
                "TableName": self.t("registrations"),
                "Key": {"id": s(registration.id)},
                "UpdateExpression": "SET #status = :to, updated_at = :now REMOVE hold_expires_at",
                "ConditionExpression": "#status = :seen",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":to": s(to.value),
                    ":seen": s(registration.status.value),
                    ":now": s(iso(now)),
                },
            }
        }

    async def get_registration(self, registration_id: str) -> Registration | None:
        item = await self.get("registrations", {"id": registration_id})
        return registration_from_item(item) if item else None

    async def list_user_registrations(
        self, user_id: str, limit: int, cursor: str | None = None
    ) -> Page[Registration]:
        start = decode_cursor(
            cursor, LAYOUT["registrations"].key_names("by_user"), ("user_id", user_id)
        )
        items, next_cursor = await self.query_page(
            "registrations",
            "by_user",
            limit,
            start,
            KeyConditionExpression="user_id = :u",
            ExpressionAttributeValues={":u": s(user_id)},
            ScanIndexForward=False,
        )
        return Page([registration_from_item(item) for item in items], next_cursor)

    async def list_event_registrations(
        self,
        event_id: str,
        limit: int,
        cursor: str | None = None,
        query: RegistrationQuery | None = None,
    ) -> Page[Registration]:
        query = query or RegistrationQuery()
        start = decode_cursor(
            cursor, LAYOUT["registrations"].key_names("by_event"), ("event_id", event_id)
        )
        values: dict[str, Any] = {":e": s(event_id)}
        names: dict[str, str] = {}
        filters = []
        if query.status:
            filters.append("#status = :status")
            names["#status"] = "status"
            values[":status"] = s(query.status.value)
        if query.text:
            filters.append("contains(search_text, :text)")
            values[":text"] = s(query.text.lower())
        arguments: dict[str, Any] = {}
        if filters:
            arguments["FilterExpression"] = " AND ".join(filters)
        if names:
            arguments["ExpressionAttributeNames"] = names
        items, next_cursor = await self.query_page(
            "registrations",
            "by_event",
            limit,
            start,
            KeyConditionExpression="event_id = :e",
            ExpressionAttributeValues=values,
            ScanIndexForward=False,
            **arguments,
        )
        return Page([registration_from_item(item) for item in items], next_cursor)
