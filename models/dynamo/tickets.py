"""Tickets, the door (invariant 2) and door staff on DynamoDB.

The single admission is a conditional update of the ticket (`status = valid`) in one
transaction with the event's admitted counter and the scan's record; a scan that loses
the condition is recorded as `already_used` on its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models.dynamo.base import RETRIES, DynamoBase, Refused
from models.dynamo.codec import event_from_item, iso, ticket_from_item
from models.dynamo.door_staff import is_invitation
from models.dynamo.seats import n, s
from models.errors import Forbidden, NotFound
from models.tickets import (
    CheckinAttempt,
    CheckinOutcome,
    CheckinResult,
    Ticket,
    TicketStatus,
    door_refusal,
    door_window_result,
)


class DynamoTickets(DynamoBase):
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
        item = await self.get("events", {"id": attempt.event_id})
        if item is None:
            raise NotFound("This event does not exist.")
        event = event_from_item(item)
        staff = event.organizer_id != attempt.by_user_id and await self.is_door_staff(
            event.id, attempt.by_user_id
        )
        if refusal := door_refusal(event, attempt.by_user_id, staff, attempt.at, grace):
            raise Forbidden(refusal)
        ticket: Ticket | None = None
        result: CheckinResult | None = None
        if attempt.ticket_id is None or code_event_id is None:
            result = CheckinResult.INVALID
        elif code_event_id != event.id:
            result = CheckinResult.WRONG_EVENT
        else:
            ticket = await self.get_ticket(attempt.ticket_id)
            if ticket is None or ticket.event_id != event.id:
                result, ticket = CheckinResult.INVALID, None
            else:
                result = door_window_result(event, attempt.at, grace)
        if result is None and ticket is not None:
            if ticket.status is TicketStatus.VOID:
                result = CheckinResult.VOID
                await self._record(attempt, ticket, result)
            else:
                result = await self._admit(ticket, attempt)
            ticket = await self.get_ticket(ticket.id)
        else:
            await self._record(attempt, ticket, result)
        assert result is not None
        fresh = await self.get("events", {"id": event.id})
        counts = event_from_item(fresh) if fresh else event
        return CheckinOutcome(result, ticket, counts.checked_in, counts.seats_confirmed)

    def _checkin(
        self, attempt: CheckinAttempt, ticket: Ticket | None, result: CheckinResult | None
    ) -> dict[str, Any]:
        assert result is not None
        item = {
            "id": s(attempt.id),
            "event_id": s(attempt.event_id),
            "by_user_id": s(attempt.by_user_id),
            "gate": s(attempt.gate),
            "device": s(attempt.device),
            "result": s(result.value),
            "at": s(iso(attempt.at)),
        }
        ticket_id = ticket.id if ticket else attempt.ticket_id
        if ticket_id:
            item["ticket_id"] = s(ticket_id)
        return item

    async def _admit(self, ticket: Ticket, attempt: CheckinAttempt) -> CheckinResult:
        """Admit once: `admitted` when this scan used the ticket; otherwise `void` when a
        cancellation voided it since it was read, else `already_used`. Records the scan
        either way."""
        for retry in range(RETRIES):
            try:
                await self.transact(
                    [
                        {
                            "Update": {
                                "TableName": self.t("tickets"),
                                "Key": {"id": s(ticket.id)},
                                "UpdateExpression": (
                                    "SET #status = :used, checked_in_at = :at,"
                                    " checked_in_gate = :gate"
                                ),
                                "ConditionExpression": "#status = :valid",
                                "ExpressionAttributeNames": {"#status": "status"},
                                "ExpressionAttributeValues": {
                                    ":used": s(TicketStatus.USED.value),
                                    ":valid": s(TicketStatus.VALID.value),
                                    ":at": s(iso(attempt.at)),
                                    ":gate": s(attempt.gate),
                                },
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
                        {
                            "Put": {
                                "TableName": self.t("checkins"),
                                "Item": self._checkin(attempt, ticket, CheckinResult.ADMITTED),
                            }
                        },
                    ]
                )
                return CheckinResult.ADMITTED
            except Refused as refused:
                if refused.failed(0):
                    break
                await self.backoff(retry)
        now = await self.get_ticket(ticket.id)
        result = CheckinResult.ALREADY_USED
        if now is not None and now.status is TicketStatus.VOID:
            result = CheckinResult.VOID
        await self._record(attempt, ticket, result)
        return result

    async def _record(
        self, attempt: CheckinAttempt, ticket: Ticket | None, result: CheckinResult | None
    ) -> None:
        """Record a scan that admitted nobody."""
        await self.client.put_item(
            TableName=self.t("checkins"), Item=self._checkin(attempt, ticket, result)
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
