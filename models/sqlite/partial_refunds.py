"""Partial refunds on SQLite: the amount given back, kept on a registration that stays
confirmed, and taken off the event's revenue in the same transaction."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from models.domain import Registration
from models.payment_rules import partial_refund_increase
from models.sqlite import figures
from models.sqlite.base import SqliteBase
from models.sqlite.cancelling import read_registration


def record(
    connection: sqlite3.Connection, registration_id: str, amount_refunded: int, now: datetime
) -> Registration:
    registration = read_registration(connection, registration_id)
    more = partial_refund_increase(registration, amount_refunded)
    if not more:
        return registration
    connection.execute(
        "UPDATE registrations SET refunded_amount = refunded_amount + ?, updated_at = ?"
        " WHERE id = ?",
        (more, now, registration_id),
    )
    connection.execute(
        "UPDATE events SET revenue = revenue - ? WHERE id = ?", (more, registration.event_id)
    )
    figures.partial_refund(connection, registration.event_id, more, now)
    return read_registration(connection, registration_id)


class SqlitePartialRefunds(SqliteBase):
    async def record_partial_refund(
        self, registration_id: str, amount_refunded: int, now: datetime
    ) -> Registration:
        async with self._write_lock:
            return await self.engine.in_hot_transaction(
                lambda connection: record(connection, registration_id, amount_refunded, now)
            )
