"""Organizers' messages and unsubscribes on SQLite (models/messages.py).

A message is stored with its first fan-out job in one BEGIN IMMEDIATE transaction that
first counts the event's messages of that day: the count and the write are one step, so
concurrent senders cannot pass the daily limit. A fan-out step's move and the next
step's job are one transaction too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from models.messages import Audience, Message
from models.outbox import DeliveryJob
from models.sqlite.base import SqliteBase
from models.sqlite.outbox import write_job
from models.sqlite.rows import insert_sql, utc
from models.sqlite.tables import MessageRow, UnsubscribeRow


def message_columns(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
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


def message_from_row(row: Any) -> Message:
    row = dict(row)
    return Message(
        id=row["id"],
        event_id=row["event_id"],
        author_id=row["author_id"],
        subject=row["subject"],
        body=row["body"],
        audience=Audience(row["audience"]),
        recipients=row["recipients"],
        day=row["day"],
        created_at=utc(row["created_at"]),
        fanout_step=row["fanout_step"],
        fanout_cursor=row["fanout_cursor"],
        fanout_done=bool(row["fanout_done"]),
        queued=row["queued"],
        sent=row["sent"],
        skipped=row["skipped"],
    )


def _queue(
    connection: sqlite3.Connection, message: Message, job: DeliveryJob, limit: int
) -> Message | None:
    (count,) = connection.execute(
        "SELECT COUNT(*) FROM messages WHERE event_id = ? AND day = ?",
        (message.event_id, message.day),
    ).fetchone()
    if count >= limit:
        return None
    columns = message_columns(message)
    connection.execute(insert_sql("messages", columns), columns)
    write_job(connection, job)
    return message


def _advance(
    connection: sqlite3.Connection,
    message_id: str,
    step: int,
    cursor: str | None,
    queued: int,
    next_job: DeliveryJob | None,
) -> bool:
    moved = connection.execute(
        "UPDATE messages SET fanout_step = ?, fanout_cursor = ?, fanout_done = ?,"
        " queued = queued + ? WHERE id = ? AND fanout_step = ? AND NOT fanout_done",
        (step + 1, cursor, next_job is None, queued, message_id, step),
    ).rowcount
    if not moved:
        return False
    if next_job is not None:
        write_job(connection, next_job)
    return True


def _add_jobs(connection: sqlite3.Connection, jobs: Sequence[DeliveryJob]) -> int:
    before = connection.total_changes
    for job in jobs:
        write_job(connection, job)
    return connection.total_changes - before


class SqliteMessages(SqliteBase):
    async def queue_message(self, message: Message, job: DeliveryJob, limit: int) -> Message | None:
        return await self._hot(lambda connection: _queue(connection, message, job, limit))

    async def get_message(self, message_id: str) -> Message | None:
        row = await MessageRow.select().where(MessageRow.id == message_id).first().run()
        return message_from_row(row) if row else None

    async def list_event_messages(self, event_id: str, limit: int) -> list[Message]:
        rows = (
            await MessageRow.select()
            .where(MessageRow.event_id == event_id)
            .order_by(MessageRow.created_at, ascending=False)
            .limit(limit)
            .run()
        )
        return [message_from_row(row) for row in rows]

    async def add_jobs(self, jobs: Sequence[DeliveryJob]) -> int:
        if not jobs:
            return 0
        return await self._hot(lambda connection: _add_jobs(connection, jobs))

    async def advance_message(
        self,
        message_id: str,
        step: int,
        cursor: str | None,
        queued: int,
        next_job: DeliveryJob | None,
    ) -> bool:
        return await self._hot(
            lambda connection: _advance(connection, message_id, step, cursor, queued, next_job)
        )

    async def count_message_mail(self, message_id: str, sent: bool) -> None:
        column = "sent" if sent else "skipped"
        await self._hot(
            lambda connection: connection.execute(
                f"UPDATE messages SET {column} = {column} + 1 WHERE id = ?",  # noqa: S608
                (message_id,),
            )
        )

    async def unsubscribe(self, organizer_id: str, user_id: str, now: datetime) -> None:
        columns = {
            "key": f"{organizer_id}:{user_id}",
            "organizer_id": organizer_id,
            "user_id": user_id,
            "created_at": now,
        }
        sql = insert_sql("unsubscribes", columns) + " ON CONFLICT(key) DO NOTHING"
        await self._hot(lambda connection: connection.execute(sql, columns))

    async def unsubscribed_among(self, organizer_id: str, user_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        wanted = list(dict.fromkeys(user_ids))
        for start in range(0, len(wanted), 500):  # SQLite's limit on bound variables
            keys = [f"{organizer_id}:{user_id}" for user_id in wanted[start : start + 500]]
            rows = (
                await UnsubscribeRow.select(UnsubscribeRow.user_id)
                .where(UnsubscribeRow.key.is_in(keys))
                .run()
            )
            found |= {row["user_id"] for row in rows}
        return found

    async def list_waitlist_user_ids(self, event_id: str) -> list[str]:
        return []  # no waiting list is stored yet (being built in parallel)
