"""Attempts under a limit on SQLite: rows of the failed log-ins table, counted and taken
in one write transaction (BEGIN IMMEDIATE), so parallel takers cannot pass the limit."""

from __future__ import annotations

from datetime import datetime

from models.domain import Attempt
from models.sqlite.base import SqliteBase
from models.sqlite.rows import utc
from models.sqlite.tables import LoginFailureRow


class SqliteAttempts(SqliteBase):
    async def take_attempt(self, key: str, at: datetime, since: datetime, limit: int) -> Attempt:
        counted = (LoginFailureRow.key == key) & (LoginFailureRow.at > since)
        async with self.write_transaction():
            if await LoginFailureRow.count().where(counted).run() >= limit:
                oldest = (
                    await LoginFailureRow.select(LoginFailureRow.at)
                    .where(counted)
                    .order_by(LoginFailureRow.at)
                    .first()
                    .run()
                )
                return Attempt(None, utc(oldest["at"]) if oldest else since)
            rows = (
                await LoginFailureRow.insert(LoginFailureRow(key=key, at=at))
                .returning(LoginFailureRow.id)
                .run()
            )
        # SQLite may give a deleted row's id to the next row: the time tells them apart.
        return Attempt(f"{rows[0]['id']}@{utc(at).isoformat()}")

    async def release_attempt(self, key: str, token: str) -> None:
        row_id, _, taken_at = token.partition("@")
        try:
            at = datetime.fromisoformat(taken_at)
        except ValueError:
            return
        if not row_id.isdigit():
            return
        async with self.write_transaction():
            await (
                LoginFailureRow.delete()
                .where(
                    (LoginFailureRow.key == key)
                    & (LoginFailureRow.id == int(row_id))
                    & (LoginFailureRow.at == at)
                )
                .run()
            )
