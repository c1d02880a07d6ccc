"""Registrations on DynamoDB: holding seats (invariant 1), expiring holds, cancelling,
listing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from models.cancellation import Canceller, cancellation_refusal
from models.domain import Registration, RegistrationStatus
from models.dynamo.base import RETRIES, Refused
from models.dynamo.codec import (
    decode_cursor,
    iso,
    registration_from_item,
    registration_item,
    ticket_item,
)
from models.dynamo.seat_shard_holds import DynamoSeatShards
from models.dynamo.seats import HELD, next_expiry_condition, s
from models.dynamo.tables import LAYOUT
from models.errors import Conflict, NotEnoughSeats, NotFound
from models.figures import seat_bumps
from models.outbox import tickets_job
from models.seat_rules import decide_hold, seats_back
from models.store import Page, RegistrationQuery
from models.tickets import Ticket, TicketStatus


class DynamoRegistrations(DynamoSeatShards):
    async def hold_seats(
        self, registration: Registration, now: datetime, tickets: Sequence[Ticket] = ()
    ) -> Registration:
        """One TransactWriteItems of what `decide_hold` returns: the event's counters
        (conditioned on the version and `seats_taken <= capacity - q`), each involved
        type's counters (conditioned on its capacity read and `seats_taken <= capacity -
        q`), the account's counter (conditioned on `seats <= max_per_account - q`), the
        promo code's uses (conditioned on its version and `uses <= max_uses - 1`), the
        registration put, its tickets' puts and, when it is confirmed at once, its
        delivery job's put."""
        for attempt in range(RETRIES):
            promo_id = registration.promo_code_id
            read, version, promo_version = await self.hold_read(
                registration.event_id, registration.user_id, promo_id
            )
            event = read.event
            if event.seat_shards > 1:  # its seats are on N items (seat_shards.py)
                return await self.hold_sharded(registration, now, tickets)
            if event.is_on_sale(now) and event.has_expired_holds(now):
                await self.release_expired(event.id, now)
                read, version, promo_version = await self.hold_read(
                    event.id, registration.user_id, promo_id
                )
                event = read.event
            decision = decide_hold(read, registration, now)
            update = self.event_change(
                event.id,
                decision.change,
                version=version,
                capacity=event.capacity,
                waited=event.waitlist_seats,
            )["Update"]
            values = update["ExpressionAttributeValues"]
            update["ConditionExpression"] += " AND " + next_expiry_condition(
                event.holds_expire_next, values
            )
            if decision.holds_expire_next != event.holds_expire_next:
                assert decision.holds_expire_next is not None
                update["UpdateExpression"] += " SET holds_expire_next = :next"
                values[":next"] = s(iso(decision.holds_expire_next))
            types = self.type_changes(event.id, decision.change, read.types)
            account = self.account_change(
                event.id, registration.user_id, decision.change, event.max_per_account
            )
            # Invariant 6: the code's use, conditioned on its uses, with the seats.
            promos = self.promo_changes(event.id, decision.change, (read.promo, promo_version))
            items: list[dict[str, Any]] = [
                {"Update": update},
                *types,
                *account,
                *promos,
                {
                    "Put": {
                        "TableName": self.t("registrations"),
                        "Item": registration_item(registration),
                        "ConditionExpression": "attribute_not_exists(id)",
                    }
                },
                *self.ticket_puts(tickets),
            ]
            if registration.status is RegistrationStatus.CONFIRMED:
                items.append(self.job_put(tickets_job(registration.id, now)))  # invariant 8
            items += self.figure_writes(
                event.id, seat_bumps(decision.change, now, event.zone), registration.id
            )
            try:
                await self.transact(items)
            except Refused as refused:
                first_put = 1 + len(types) + len(account) + len(promos)
                if any(refused.failed(i) for i in range(first_put, len(items))):
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
        self,
        registration_id: str,
        to: RegistrationStatus,
        now: datetime,
        by: Canceller = Canceller.ORGANIZER,
    ) -> Registration:
        """One transaction: the status (conditioned on the one read), the event's and the
        account's counters, and every valid ticket voided on condition of still being
        valid. A scan admitting a ticket meanwhile fails that condition, so this reads
        again and the decision sees the used ticket; a scan after it finds the ticket
        void. The event's version is a condition too, so the window decided on is the
        event's current one. Known limit: tickets are found through the by_registration
        index, which DynamoDB fills a moment (well under a second) after the confirming
        transaction; a cancellation inside that moment would not see, so not void, the
        new tickets. The moto tests cannot show it (moto's indexes are immediate)."""
        for attempt in range(RETRIES):
            registration = await self.get_registration(registration_id)
            if registration is None:
                raise NotFound("This registration does not exist.")
            event, version = await self._event(registration.event_id)
            tickets = await self.registration_ticket_items(registration_id)
            statuses = [TicketStatus(item["status"]["S"]) for item in tickets]
            passed_on = any("code_generation" in item for item in tickets)
            if refusal := cancellation_refusal(registration, event, statuses, now, by, passed_on):
                raise refusal
            back = seats_back(registration)
            items = [
                self.status_change(registration, to, now),
                # The version: the window decided on is the event's current one.
                *self.counter_writes(event.id, event.seat_shards, back, registration.id, version),
                *self.account_change(event.id, registration.user_id, back),
                *self.promo_changes(event.id, back),
                *self.void_ticket_items(tickets),
                *self.figure_writes(event.id, seat_bumps(back, now, event.zone), registration.id),
            ]
            try:
                await self.transact(items)
            except Refused:
                await self.backoff(attempt)  # changed meanwhile: read it again
                continue
            await self.seats_came_back(event.id, now)  # invariant 7: the list first
            updated = await self.get_registration(registration_id)
            assert updated is not None
            return updated
        raise Conflict("The registration is being changed by someone else; try again.")

    def ticket_puts(self, tickets: Sequence[Ticket]) -> list[dict[str, Any]]:
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
