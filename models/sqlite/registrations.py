"""Registrations on SQLite: holding seats, expiring holds, cancelling, listing."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from piccolo.columns.combination import WhereRaw

from models.cancellation import Canceller
from models.domain import Registration, RegistrationStatus
from models.errors import Conflict
from models.sqlite import cancelling, seats
from models.sqlite.base import SqliteBase
from models.sqlite.point_reads import row_where
from models.sqlite.rows import (
    decode_cursor,
    encode_cursor,
    like_pattern,
    registration_from_row,
)
from models.sqlite.tables import EventRow, RegistrationRow
from models.store import Page, RegistrationQuery
from models.tickets import Ticket


class SqliteRegistrations(SqliteBase):
    async def hold_seats(
        self, registration: Registration, now: datetime, tickets: Sequence[Ticket] = ()
    ) -> Registration:
        async with self._write_lock:
            try:
                await self.engine.in_hot_transaction(
                    lambda connection: seats.hold(connection, registration, tickets, now)
                )
            except sqlite3.IntegrityError as exc:
                raise Conflict("This registration exists already.") from exc
        return registration

    async def release_expired_holds(self, event_id: str, now: datetime) -> int:
        async with self._write_lock:
            return await self.engine.in_hot_transaction(
                lambda connection: seats.release_expired_sync(connection, event_id, now)
            )

    async def events_with_expired_holds(self, now: datetime, limit: int) -> list[str]:
        rows = (
            await EventRow.select(EventRow.id)
            .where(EventRow.holds_expire_next <= now)
            .limit(limit)
            .run()
        )
        return [row["id"] for row in rows]

    async def cancel_registration(
        self,
        registration_id: str,
        to: RegistrationStatus,
        now: datetime,
        by: Canceller = Canceller.ORGANIZER,
    ) -> Registration:
        async with self._write_lock:
            return await self.engine.in_hot_transaction(
                lambda connection: cancelling.cancel(connection, registration_id, to, now, by)
            )

    async def get_registration(self, registration_id: str) -> Registration | None:
        return await self._registration(registration_id)

    async def _registration(self, registration_id: str) -> Registration | None:
        row = await row_where(RegistrationRow, RegistrationRow.id, registration_id)
        return registration_from_row(row) if row else None

    async def list_user_registrations(
        self, user_id: str, limit: int, cursor: str | None = None
    ) -> Page[Registration]:
        return await self._page(RegistrationRow.user_id == user_id, limit, cursor)

    async def list_event_registrations(
        self,
        event_id: str,
        limit: int,
        cursor: str | None = None,
        query: RegistrationQuery | None = None,
    ) -> Page[Registration]:
        query = query or RegistrationQuery()
        where: Any = RegistrationRow.event_id == event_id
        if query.status:
            where &= RegistrationRow.status == query.status.value
        if query.text:
            pattern = like_pattern(query.text)
            where &= WhereRaw(
                "(buyer_name LIKE {} ESCAPE '\\' OR buyer_email LIKE {} ESCAPE '\\' "
                "OR attendee_names LIKE {} ESCAPE '\\')",
                pattern,
                pattern,
                pattern,
            )
        return await self._page(where, limit, cursor)

    async def _page(self, where: Any, limit: int, cursor: str | None) -> Page[Registration]:
        """Newest first, with a keyset cursor on (created_at, id)."""
        after = decode_cursor(cursor)
        if after is not None:
            created_at, registration_id = after
            where = where & (
                (RegistrationRow.created_at < created_at)
                | (
                    (RegistrationRow.created_at == created_at)
                    & (RegistrationRow.id < registration_id)
                )
            )
        rows = (
            await RegistrationRow.select()
            .where(where)
            .order_by(RegistrationRow.created_at, RegistrationRow.id, ascending=False)
            .limit(limit + 1)
            .run()
        )
        items = [registration_from_row(row) for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            next_cursor = encode_cursor(items[-1].created_at, items[-1].id)
        return Page(items=items, next_cursor=next_cursor)
