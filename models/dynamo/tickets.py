"""Tickets, the door (invariant 2) and door staff on DynamoDB.

The single admission is a conditional update of the ticket (`status = valid`) in one
transaction with the event's admitted counter and the scan's record; a scan that loses
the condition is recorded as `already_used` on its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models.dynamo.base import RETRIES, Refused
from models.dynamo.codec import event_from_item, iso, ticket_from_item
from models.dynamo.door_staff import is_invitation
from models.dynamo.figures import DynamoFigures
from models.dynamo.seats import n, s
from models.errors import Conflict, NotFound
from models.figures import checkin_bumps
from models.tickets import (
    CheckinAttempt,
    CheckinDecision,
    CheckinOutcome,
    CheckinResult,
    Ticket,
    TicketStatus,
    decide_check_in,
    scanner_of,
)


class DynamoTickets(DynamoFigures):
    async def get_ticket(self, ticket_id: str) -> Ticket | None:
        item = await self.get("tickets", {"id": ticket_id})
        return ticket_from_item(item) if item else None

    async def _tickets(self, index: str, key: str, value: str) -> list[Ticket]:
        return [
            ticket_from_item(item)
            async for item in self.query_all(
                "tickets",
                IndexName=index,
                KeyConditionExpression=f"{key} = :v",
                ExpressionAttributeValues={":v": s(value)},
            )
        ]

    async def list_registration_tickets(self, registration_id: str) -> list[Ticket]:
        return await self._tickets("by_registration", "registration_id", registration_id)

    async def list_user_tickets(self, user_id: str) -> list[Ticket]:
        tickets = await self._tickets("by_user", "user_id", user_id)
        return sorted(tickets, key=lambda t: (t.created_at, t.seat_no))

    async def list_event_tickets(self, event_id: str) -> list[Ticket]:
        tickets = await self._tickets("by_event", "event_id", event_id)
        return sorted(tickets, key=lambda t: (t.created_at, t.registration_id, t.seat_no))

    async def search_event_tickets(self, event_id: str, text: str, limit: int) -> list[Ticket]:
        tickets = [
            ticket_from_item(item)
            async for item in self.query_all(
                "tickets",
                IndexName="by_event",
                KeyConditionExpression="event_id = :e",
                FilterExpression="contains(search_text, :text)",
                ExpressionAttributeValues={":e": s(event_id), ":text": s(text.lower())},
            )
        ]
        tickets.sort(key=lambda t: (t.attendee_name, t.seat_no))
        return tickets[:limit]

    # -- the door ---------------------------------------------------------------------

    async def check_in(
        self, attempt: CheckinAttempt, code_event_id: str | None, grace: timedelta
    ) -> CheckinOutcome:
        """Read, `decide_check_in`, and write what it says: an admission is one
        transaction conditioned on the ticket being valid still; a scan that loses that
        condition reads the ticket again and is decided anew (`already_used`, or `void`
        when a cancellation came first). Every scan is recorded."""
        item = await self.get("events", {"id": attempt.event_id})
        if item is None:
            raise NotFound("This event does not exist.")
        event = event_from_item(item)
        staff = event.organizer_id != attempt.by_user_id and await self.is_door_staff(
            event.id, attempt.by_user_id
        )
        scanner = scanner_of(event, attempt.by_user_id, staff)
        for retry in range(RETRIES):
            ticket = await self.get_ticket(attempt.ticket_id) if attempt.ticket_id else None
            decision = decide_check_in(
                event,
                scanner,
                attempt.ticket_id,
                code_event_id,
                ticket,
                attempt.at,
                grace,
                attempt.code_generation,
            )
            if decision.result is not CheckinResult.ADMITTED:
                await self._record(attempt, decision)
                break
            assert decision.ticket is not None
            try:
                await self.transact(
                    self._admission(attempt, decision)
                    + self.figure_writes(
                        event.id, checkin_bumps(attempt.at, attempt.gate), decision.ticket.id
                    )
                )
            except Refused as refused:
                if not refused.failed(0):
                    await self.backoff(retry)
                continue
            decision = CheckinDecision(decision.result, await self.get_ticket(decision.ticket.id))
            break
        else:
            raise Conflict("This ticket is being checked elsewhere; scan it again.")
        fresh = await self.get("events", {"id": event.id})
        counts = event_from_item(fresh) if fresh else event
        return CheckinOutcome(
            decision.result, decision.ticket, counts.checked_in, counts.seats_confirmed
        )

    def _checkin(self, attempt: CheckinAttempt, decision: CheckinDecision) -> dict[str, Any]:
        item = {
            "id": s(attempt.id),
            "event_id": s(attempt.event_id),
            "by_user_id": s(attempt.by_user_id),
            "gate": s(attempt.gate),
            "device": s(attempt.device),
            "result": s(decision.result.value),
            "at": s(iso(attempt.at)),
        }
        ticket_id = decision.ticket.id if decision.ticket else attempt.ticket_id
        if ticket_id:
            item["ticket_id"] = s(ticket_id)
        return item

    def _admission(
        self, attempt: CheckinAttempt, decision: CheckinDecision
    ) -> list[dict[str, Any]]:
        """The ticket used (on condition that it is valid still), the event's admitted
        counter, and the scan's record, in one transaction."""
        ticket = decision.ticket
        assert ticket is not None
        values = {
            ":used": s(TicketStatus.USED.value),
            ":valid": s(TicketStatus.VALID.value),
            ":at": s(iso(attempt.at)),
            ":gate": s(attempt.gate),
        }
        # The code's generation is still the ticket's: a transfer in between voids it.
        if ticket.code_generation:
            condition = "#status = :valid AND code_generation = :generation"
            values[":generation"] = n(ticket.code_generation)
        else:
            condition = "#status = :valid AND attribute_not_exists(code_generation)"
        return [
            {
                "Update": {
                    "TableName": self.t("tickets"),
                    "Key": {"id": s(ticket.id)},
                    "UpdateExpression": (
                        "SET #status = :used, checked_in_at = :at, checked_in_gate = :gate"
                    ),
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": values,
                }
            },
            {
                "Update": {
                    "TableName": self.t("events"),
                    "Key": {"id": s(ticket.event_id)},
                    "UpdateExpression": "ADD checked_in :one",
                    "ExpressionAttributeValues": {":one": n(1)},
                }
            },
            {"Put": {"TableName": self.t("checkins"), "Item": self._checkin(attempt, decision)}},
        ]

    async def _record(self, attempt: CheckinAttempt, decision: CheckinDecision) -> None:
        """Record a scan that admitted nobody."""
        await self.client.put_item(
            TableName=self.t("checkins"), Item=self._checkin(attempt, decision)
        )

    # -- door staff ---------------------------------------------------------------------

    async def add_door_staff(self, event_id: str, user_id: str, now: datetime) -> bool:
        response = await self.conditional(
            "put_item",
            TableName=self.t("door_staff"),
            Item={"event_id": s(event_id), "user_id": s(user_id), "created_at": s(iso(now))},
            ConditionExpression="attribute_not_exists(event_id)",
        )
        return response is not None

    async def is_door_staff(self, event_id: str, user_id: str) -> bool:
        response = await self.client.get_item(
            TableName=self.t("door_staff"),
            Key={"event_id": s(event_id), "user_id": s(user_id)},
            ConsistentRead=True,
        )
        return "Item" in response

    async def list_door_staff(self, event_id: str) -> list[str]:
        rows = [
            (item["created_at"]["S"], item["user_id"]["S"])
            async for item in self.query_all(
                "door_staff",
                KeyConditionExpression="event_id = :e",
                ExpressionAttributeValues={":e": s(event_id)},
            )
            if not is_invitation(item)  # models/dynamo/door_staff.py
        ]
        return [user_id for _, user_id in sorted(rows)]

    async def door_staff_events(self, user_id: str) -> list[str]:
        return [
            item["event_id"]["S"]
            async for item in self.query_all(
                "door_staff",
                IndexName="by_user",
                KeyConditionExpression="user_id = :u",
                ExpressionAttributeValues={":u": s(user_id)},
            )
        ]
