"""Sessions and token generations on SQLite."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from piccolo.custom_types import Combinable

from models.domain import User
from models.errors import NotFound
from models.sessions import Session
from models.sqlite.base import SqliteBase
from models.sqlite.rows import user_from_row, utc
from models.sqlite.tables import SessionRow, UserRow


def _session(row: dict[str, Any]) -> Session:
    return Session(
        id=row["id"],
        user_id=row["user_id"],
        created_at=utc(row["created_at"]),
        last_seen_at=utc(row["last_seen_at"]),
        expires_at=utc(row["expires_at"]),
        user_agent=row["user_agent"],
        generation=row["generation"],
    )


class SqliteSessions(SqliteBase):
    async def create_session(self, session: Session) -> None:
        async with self.write_transaction():
            # Run-out sessions of this person go when a new one starts: the table never
            # grows past the sessions people actually have.
            await (
                SessionRow.delete()
                .where(
                    (SessionRow.user_id == session.user_id)
                    & (SessionRow.expires_at <= session.created_at)
                )
                .run()
            )
            await SessionRow.insert(
                SessionRow(
                    id=session.id,
                    user_id=session.user_id,
                    created_at=session.created_at,
                    last_seen_at=session.last_seen_at,
                    expires_at=session.expires_at,
                    user_agent=session.user_agent,
                    generation=session.generation,
                )
            ).run()

    async def get_session(self, session_id: str, now: datetime) -> Session | None:
        row = (
            await SessionRow.select()
            .where((SessionRow.id == session_id) & (SessionRow.expires_at > now))
            .first()
            .run()
        )
        return _session(row) if row else None

    async def touch_session(self, session_id: str, now: datetime, expires_at: datetime) -> bool:
        async with self.write_transaction():
            rows = (
                await SessionRow.update(
                    {SessionRow.last_seen_at: now, SessionRow.expires_at: expires_at}
                )
                .where(SessionRow.id == session_id)
                .returning(SessionRow.id)
                .run()
            )
        return bool(rows)

    async def list_user_sessions(self, user_id: str, now: datetime) -> list[Session]:
        rows = (
            await SessionRow.select()
            .where((SessionRow.user_id == user_id) & (SessionRow.expires_at > now))
            .order_by(SessionRow.last_seen_at, ascending=False)
            .run()
        )
        return [_session(row) for row in rows]

    async def delete_session(self, session_id: str, user_id: str | None = None) -> bool:
        condition: Combinable = SessionRow.id == session_id
        if user_id is not None:
            condition &= SessionRow.user_id == user_id
        async with self.write_transaction():
            rows = await SessionRow.delete().where(condition).returning(SessionRow.id).run()
        return bool(rows)

    async def delete_user_sessions(self, user_id: str, except_id: str | None = None) -> int:
        condition: Combinable = SessionRow.user_id == user_id
        if except_id is not None:
            condition &= SessionRow.id != except_id
        async with self.write_transaction():
            rows = await SessionRow.delete().where(condition).returning(SessionRow.id).run()
        return len(rows)

    async def purge_expired_sessions(self, now: datetime) -> int:
        async with self.write_transaction():
            rows = (
                await SessionRow.delete()
                .where(SessionRow.expires_at <= now)
                .returning(SessionRow.id)
                .run()
            )
        return len(rows)

    async def revoke_user_tokens(self, user_id: str, now: datetime) -> User:
        async with self.write_transaction():
            rows = (
                await UserRow.update(
                    {
                        UserRow.token_generation: UserRow.token_generation + 1,
                        UserRow.tokens_valid_after: now,
                    }
                )
                .where(UserRow.id == user_id)
                .returning(*UserRow.all_columns())
                .run()
            )
        if not rows:
            raise NotFound()
        return user_from_row(rows[0])
