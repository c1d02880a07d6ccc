"""Transfers on DynamoDB: one TransactWriteItems with the ticket (conditioned on being as
read: valid, the same holder, the same code generation), the record, the event's list of
transfers and the new holder's mail job. A scan's admission is conditioned on the same
generation (tickets.py), so of a transfer and a scan of the old code one wins, and the
loser is decided again on what the winner wrote.

Records live in the events table beside the waiting list's entries: `transfer#<id>`
items, listed per event by the `transfers#<event id>` item (transfers are rare, and no
index of the events table has their attributes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.dynamo.base import RETRIES, Refused
from models.dynamo.codec import (
    Item,
    event_from_item,
    from_item,
    searchable,
    ticket_from_item,
    to_item,
)
from models.dynamo.outbox import DynamoOutbox
from models.dynamo.seats import n, s
from models.errors import Conflict
from models.tickets import Ticket, TicketStatus
from models.transfers import Transfer, completed, transfer_job, transfer_refusal, transferred


def transfer_key(transfer_id: str) -> str:
    return f"transfer#{transfer_id}"


def list_key(event_id: str) -> str:
    return f"transfers#{event_id}"


def unclaimed_key(email: str) -> str:
    """The transfers made to an address no account had (claimed when one verifies it)."""
    return f"transfers_to#{email}"


def transfer_item(transfer: Transfer) -> Item:
    return to_item(
        {
            "id": transfer_key(transfer.id),
            "transfer_id": transfer.id,
            "ticket_id": transfer.ticket_id,
            "event_id": transfer.event_id,
            "registration_id": transfer.registration_id,
            "by_user_id": transfer.by_user_id,
            "from_user_id": transfer.from_user_id or None,
            "from_name": transfer.from_name,
            "to_user_id": transfer.to_user_id or None,
            "to_name": transfer.to_name,
            "to_email": transfer.to_email,
            "generation": transfer.generation,
            "at": transfer.at,
        }
    )


def transfer_from_item(item: Item) -> Transfer:
    v = from_item(item)
    return Transfer(
        id=v["transfer_id"],
        ticket_id=v["ticket_id"],
        event_id=v["event_id"],
        registration_id=v["registration_id"],
        by_user_id=v["by_user_id"],
        from_user_id=v.get("from_user_id", ""),
        from_name=v["from_name"],
        to_user_id=v.get("to_user_id", ""),
        to_name=v["to_name"],
        to_email=v["to_email"],
        generation=v["generation"],
        at=datetime.fromisoformat(v["at"]),
    )


class DynamoTransfers(DynamoOutbox):
    async def transfer_ticket(self, transfer: Transfer, now: datetime) -> tuple[Ticket, Transfer]:
        for attempt in range(RETRIES):
            item = await self.get("tickets", {"id": transfer.ticket_id})
            ticket = ticket_from_item(item) if item else None
            event_item = await self.get("events", {"id": ticket.event_id}) if ticket else None
            event = event_from_item(event_item) if event_item else None
            if refusal := transfer_refusal(event, ticket, transfer.by_user_id, now):
                raise refusal
            assert ticket is not None
            record = completed(transfer, ticket)
            moved = transferred(ticket, record)
            try:
                await self.transact(
                    [
                        self._ticket_update(ticket, moved),
                        {
                            "Put": {
                                "TableName": self.t("events"),
                                "Item": transfer_item(record),
                                "ConditionExpression": "attribute_not_exists(id)",
                            }
                        },
                        {
                            "Update": {
                                "TableName": self.t("events"),
                                "Key": {"id": s(list_key(record.event_id))},
                                "UpdateExpression": "SET transfer_ids = list_append("
                                "if_not_exists(transfer_ids, :none), :this)",
                                "ExpressionAttributeValues": {
                                    ":none": {"L": []},
                                    ":this": {"L": [s(record.id)]},
                                },
                            }
                        },
                        self.job_put(transfer_job(record.id, now)),
                        *self._unclaimed(record),
                    ]
                )
            except Refused as refused:
                if not refused.failed(0):
                    await self.backoff(attempt)
                continue  # the ticket changed since it was read: decide again
            return moved, record
        raise Conflict("This ticket is being changed elsewhere; try again.")

    def _ticket_update(self, ticket: Ticket, moved: Ticket) -> dict[str, Any]:
        values: dict[str, Any] = {
            ":name": s(moved.attendee_name),
            ":search": s(searchable(moved.attendee_name, moved.buyer_name)),
            ":generation": n(moved.code_generation),
            ":valid": s(TicketStatus.VALID.value),
            ":holder": s(ticket.user_id),
        }
        expression = (
            "SET attendee_name = :name, search_text = :search, code_generation = :generation"
        )
        if moved.user_id:
            expression += ", user_id = :to"
            values[":to"] = s(moved.user_id)
        else:
            expression += " REMOVE user_id"  # no account holds it: out of the by_user index
        condition = "#status = :valid AND user_id = :holder"
        if ticket.code_generation:
            condition += " AND code_generation = :seen"
            values[":seen"] = n(ticket.code_generation)
        else:
            condition += " AND attribute_not_exists(code_generation)"
        return {
            "Update": {
                "TableName": self.t("tickets"),
                "Key": {"id": s(ticket.id)},
                "UpdateExpression": expression,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": values,
            }
        }

    def _unclaimed(self, record: Transfer) -> list[dict[str, Any]]:
        if record.to_user_id:
            return []
        return [
            {
                "Update": {
                    "TableName": self.t("events"),
                    "Key": {"id": s(unclaimed_key(record.to_email))},
                    "UpdateExpression": "ADD transfer_ids :this",
                    "ExpressionAttributeValues": {":this": {"SS": [record.id]}},
                }
            }
        ]

    async def list_transfers_to(self, email: str) -> list[Transfer]:
        listed = await self.get("events", {"id": unclaimed_key(email)})
        if listed is None or "transfer_ids" not in listed:
            return []
        keys: list[dict[str, Any]] = [
            {"id": s(transfer_key(i))} for i in listed["transfer_ids"]["SS"]
        ]
        found = [transfer_from_item(x) for x in await self.batch_get("events", keys)]
        return sorted((t for t in found if not t.to_user_id), key=lambda t: t.at)

    async def claim_transfer(self, transfer: Transfer, user_id: str) -> bool:
        try:
            await self.transact(
                [
                    {
                        "Update": {
                            "TableName": self.t("tickets"),
                            "Key": {"id": s(transfer.ticket_id)},
                            "UpdateExpression": "SET user_id = :user",
                            "ConditionExpression": "attribute_not_exists(user_id)"
                            " AND code_generation = :generation",
                            "ExpressionAttributeValues": {
                                ":user": s(user_id),
                                ":generation": n(transfer.generation),
                            },
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.t("events"),
                            "Key": {"id": s(transfer_key(transfer.id))},
                            "UpdateExpression": "SET to_user_id = :user",
                            "ConditionExpression": "attribute_exists(id)",
                            "ExpressionAttributeValues": {":user": s(user_id)},
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.t("events"),
                            "Key": {"id": s(unclaimed_key(transfer.to_email))},
                            "UpdateExpression": "DELETE transfer_ids :this",
                            "ExpressionAttributeValues": {":this": {"SS": [transfer.id]}},
                        }
                    },
                ]
            )
        except Refused:
            return False
        return True

    async def get_transfer(self, transfer_id: str) -> Transfer | None:
        item = await self.get("events", {"id": transfer_key(transfer_id)})
        return transfer_from_item(item) if item else None

    async def list_event_transfers(self, event_id: str) -> list[Transfer]:
        listed = await self.get("events", {"id": list_key(event_id)})
        if listed is None:
            return []
        keys: list[dict[str, Any]] = [
            {"id": s(transfer_key(x["S"]))} for x in listed["transfer_ids"]["L"]
        ]
        found = [transfer_from_item(x) for x in await self.batch_get("events", keys)]
        return sorted(found, key=lambda t: (t.at, t.generation), reverse=True)

    async def list_ticket_transfers(self, ticket_id: str) -> list[Transfer]:
        item = await self.get("tickets", {"id": ticket_id})
        if item is None:
            return []
        event_id = ticket_from_item(item).event_id
        mine = [t for t in await self.list_event_transfers(event_id) if t.ticket_id == ticket_id]
        return sorted(mine, key=lambda t: (t.at, t.generation))
