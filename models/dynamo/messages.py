"""Organizers' messages and unsubscribes on DynamoDB: items of the events table (none has
`organizer_id` or `status`, so they stay out of its indexes):

- `message#<message id>`: the message, with its fan-out's step, cursor and counts;
- `messages#<event id>`: `ids`, the event's messages oldest first, for the organizer's list;
- `msgday#<event id>#<day>`: `sent`, how many messages the event sent that day;
- `unsub#<organizer id>#<user id>`: that person takes no more of the organizer's messages.

Sending is one TransactWriteItems: the day's counter (`ADD sent 1` conditioned on
`sent < limit`), the list, the message and its first outbox job, so concurrent senders
cannot pass the limit and a refused send leaves nothing. A fan-out step's move is one
UpdateItem conditioned on the step read, in one transaction with the next step's job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from models.dynamo.base import RETRIES, Refused
from models.dynamo.codec import Item, from_item, iso, to_item
from models.dynamo.outbox import DynamoOutbox
from models.errors import Conflict
from models.messages import Audience, Message
from models.outbox import DeliveryJob

BUSY = "Many messages are being sent at once; try again."
PUT_AT_ONCE = 25  # recipients' jobs written concurrently


def message_key(message_id: str) -> str:
    return f"message#{message_id}"


def list_key(event_id: str) -> str:
    return f"messages#{event_id}"


def day_key(event_id: str, day: str) -> str:
    return f"msgday#{event_id}#{day}"


def unsubscribe_key(organizer_id: str, user_id: str) -> str:
    return f"unsub#{organizer_id}#{user_id}"


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def message_item(message: Message) -> Item:
    return to_item(
        {
            "id": message_key(message.id),
            "message_id": message.id,
            "event_id": message.event_id,
            "author_id": message.author_id,
            "subject": message.subject,
            "body": message.body,
            "audience": message.audience.value,
            "recipients": message.recipients,
            "day": message.day,
            "created_at": message.created_at,
            "fanout_step": message.fanout_step,
            "fanout_cursor": message.fanout_cursor,
            "fanout_done": message.fanout_done,
            "queued": message.queued,
            "sent": message.sent,
            "skipped": message.skipped,
        }
    )


def message_from_item(item: Item) -> Message:
    v = from_item(item)
    return Message(
        id=v["message_id"],
        event_id=v["event_id"],
        author_id=v["author_id"],
        subject=v["subject"],
        body=v["body"],
        audience=Audience(v["audience"]),
        recipients=v["recipients"],
        day=v["day"],
        created_at=datetime.fromisoformat(v["created_at"]),
        fanout_step=v.get("fanout_step", 0),
        fanout_cursor=v.get("fanout_cursor"),
        fanout_done=bool(v.get("fanout_done", False)),
        queued=v.get("queued", 0),
        sent=v.get("sent", 0),
        skipped=v.get("skipped", 0),
    )


class DynamoMessages(DynamoOutbox):
    async def queue_message(self, message: Message, job: DeliveryJob, limit: int) -> Message | None:
        events = self.t("events")
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": events,
                    "Key": {"id": _s(day_key(message.event_id, message.day))},
                    "UpdateExpression": "ADD sent :one",
                    "ConditionExpression": "attribute_not_exists(id) OR sent < :limit",
                    "ExpressionAttributeValues": {":one": _n(1), ":limit": _n(limit)},
                }
            },
            {
                "Update": {
                    "TableName": events,
                    "Key": {"id": _s(list_key(message.event_id))},
                    "UpdateExpression": "SET ids = list_append(if_not_exists(ids, :none), :new)",
                    "ExpressionAttributeValues": {
                        ":none": {"L": []},
                        ":new": {"L": [_s(message.id)]},
                    },
                }
            },
            {
                "Put": {
                    "TableName": events,
                    "Item": message_item(message),
                    "ConditionExpression": "attribute_not_exists(id)",
                }
            },
            self.job_put(job),
        ]
        for attempt in range(RETRIES):
            try:
                await self.transact(items)
            except Refused as refused:
                if refused.failed(0):
                    return None
                if any(refused.failed(i) for i in (2, 3)):
                    raise Conflict("A message with this id exists.") from refused
                await self.backoff(attempt)  # a transaction conflict: another sender
                continue
            return message
        raise Conflict(BUSY)

    async def get_message(self, message_id: str) -> Message | None:
        item = await self.get("events", {"id": message_key(message_id)})
        return message_from_item(item) if item else None

    async def list_event_messages(self, event_id: str, limit: int) -> list[Message]:
        listed = await self.get("events", {"id": list_key(event_id)})
        ids = [value["S"] for value in (listed or {}).get("ids", {}).get("L", [])]
        ids = list(reversed(ids))[:limit]
        found: dict[str, Message] = {}
        keys: list[dict[str, Any]] = [{"id": _s(message_key(i))} for i in ids]
        while keys:
            response = await self.client.batch_get_item(
                RequestItems={self.t("events"): {"Keys": keys[:100], "ConsistentRead": True}}
            )
            for got in response.get("Responses", {}).get(self.t("events"), ()):
                message = message_from_item(got)
                found[message.id] = message
            unprocessed = response.get("UnprocessedKeys", {}).get(self.t("events"), {})
            keys = list(unprocessed.get("Keys", ())) + keys[100:]
        return [found[i] for i in ids if i in found]

    async def add_jobs(self, jobs: Sequence[DeliveryJob]) -> int:
        async def put(job: DeliveryJob) -> bool:
            put = self.job_put(job)["Put"]
            return await self.conditional("put_item", **put) is not None

        added = 0
        for start in range(0, len(jobs), PUT_AT_ONCE):
            batch = jobs[start : start + PUT_AT_ONCE]
            added += sum(await asyncio.gather(*(put(job) for job in batch)))
        return added

    async def advance_message(
        self,
        message_id: str,
        step: int,
        cursor: str | None,
        queued: int,
        next_job: DeliveryJob | None,
    ) -> bool:
        values: dict[str, Any] = {
            ":step": _n(step),
            ":next": _n(step + 1),
            ":done": {"BOOL": next_job is None},
            ":no": {"BOOL": False},
            ":queued": _n(queued),
        }
        sets = ["fanout_step = :next", "fanout_done = :done"]
        if cursor is not None:
            sets.append("fanout_cursor = :c")
            values[":c"] = _s(cursor)
        update = "SET " + ", ".join(sets) + " ADD queued :queued"
        if cursor is None:
            update += " REMOVE fanout_cursor"
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.t("events"),
                    "Key": {"id": _s(message_key(message_id))},
                    "UpdateExpression": update,
                    "ConditionExpression": "fanout_step = :step AND fanout_done = :no",
                    "ExpressionAttributeValues": values,
                }
            }
        ]
        if next_job is not None:
            items.append(self.job_put(next_job))
        for attempt in range(RETRIES):
            try:
                await self.transact(items)
            except Refused as refused:
                if refused.failed(0) or refused.failed(1):
                    return False
                await self.backoff(attempt)
                continue
            return True
        raise Conflict(BUSY)

    async def count_message_mail(self, message_id: str, sent: bool) -> None:
        await self.conditional(
            "update_item",
            TableName=self.t("events"),
            Key={"id": _s(message_key(message_id))},
            UpdateExpression="ADD #count :one",
            ConditionExpression="attribute_exists(id)",
            ExpressionAttributeNames={"#count": "sent" if sent else "skipped"},
            ExpressionAttributeValues={":one": _n(1)},
        )

    async def unsubscribe(self, organizer_id: str, user_id: str, now: datetime) -> None:
        await self.conditional(
            "put_item",
            TableName=self.t("events"),
            Item={
                "id": _s(unsubscribe_key(organizer_id, user_id)),
                "unsubscribed_user_id": _s(user_id),
                "created_at": _s(iso(now)),
            },
            ConditionExpression="attribute_not_exists(id)",
        )

    async def unsubscribed_among(self, organizer_id: str, user_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        keys: list[dict[str, Any]] = [
            {"id": _s(unsubscribe_key(organizer_id, u))} for u in dict.fromkeys(user_ids)
        ]
        while keys:
            response = await self.client.batch_get_item(
                RequestItems={
                    self.t("events"): {
                        "Keys": keys[:100],
                        "ConsistentRead": True,
                        "ProjectionExpression": "unsubscribed_user_id",
                    }
                }
            )
            for got in response.get("Responses", {}).get(self.t("events"), ()):
                found.add(got["unsubscribed_user_id"]["S"])
            unprocessed = response.get("UnprocessedKeys", {}).get(self.t("events"), {})
            keys = list(unprocessed.get("Keys", ())) + keys[100:]
        return found

    async def list_waitlist_user_ids(self, event_id: str) -> list[str]:
        return []  # no waiting list is stored yet (being built in parallel)
