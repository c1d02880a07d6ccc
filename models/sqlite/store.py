"""SqliteStore: the Store on one SQLite file through Piccolo (aiosqlite).

Piccolo binds tables to an engine per class, so one process serves one SqliteStore at a
time: `open()` binds the tables to this store's engine. That matches how Admit runs (one
app per process; tests build one app at a time).
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from piccolo.engine.sqlite import TransactionType

from models.domain import (
    CodePurpose,
    Event,
    EventStatus,
    LoginFailures,
    OneTimeCode,
    Role,
    User,
)
from models.errors import EmailTaken, StoreNotReady, ValidationFailed
from models.sqlite.engine import DEFAULT_BUSY_TIMEOUT, make_engine
from models.sqlite.migrate import migration_ids
from models.sqlite.schema import applied_migrations
from models.sqlite.tables import TABLES, CodeRow, EventRow, LoginFailureRow, UserRow
from models.store import Page, Store


class SqliteStore(Store):
    def __init__(self, path: Path, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        self.path = path
        self.engine = make_engine(path, busy_timeout)

    async def open(self) -> None:
        if not self.path.exists():
            raise StoreNotReady(f"No database at {self.path}: run `admit migrate` first.")
        for table in TABLES:
            table._meta.db = self.engine
        missing = sorted(set(migration_ids()) - set(await applied_migrations(self.engine)))
        if missing:
            raise StoreNotReady(
                f"The database at {self.path} lacks migrations {', '.join(missing)}: "
                "run `admit migrate`."
            )

    async def close(self) -> None:
        # Piccolo's SQLite engine opens a connection per query or transaction; none is
        # left open between requests.
        return None

    def write_transaction(self) -> Any:
        """BEGIN IMMEDIATE: take the write lock before reading, so read-then-write is atomic."""
        return self.engine.transaction(transaction_type=TransactionType.immediate)

    async def is_empty(self) -> bool:
        return not await UserRow.exists().run()

    # -- users --------------------------------------------------------------------------

    async def create_user(self, user: User, password_hash: str | None) -> None:
        try:
            await UserRow.insert(
                UserRow(
                    id=user.id,
                    email=user.email,
                    name=user.name,
                    roles=_roles_to_text(user.roles),
                    email_verified=user.email_verified,
                    password_hash=password_hash,
                    created_at=user.created_at,
                )
            ).run()
        except sqlite3.IntegrityError as exc:
            raise EmailTaken() from exc

    async def get_user(self, user_id: str) -> User | None:
        row = await UserRow.select().where(UserRow.id == user_id).first().run()
        return _user(row) if row else None

    async def get_user_by_email(self, email: str) -> User | None:
        row = await UserRow.select().where(UserRow.email == email).first().run()
        return _user(row) if row else None

    async def mark_email_verified(self, user_id: str) -> None:
        await UserRow.update({UserRow.email_verified: True}).where(UserRow.id == user_id).run()

    async def add_role(self, user_id: str, role: Role) -> None:
        async with self.write_transaction():
            row = await UserRow.select(UserRow.roles).where(UserRow.id == user_id).first().run()
            if row is None:
                return
            roles = _roles_from_text(row["roles"]) | {role}
            await (
                UserRow.update({UserRow.roles: _roles_to_text(roles)})
                .where(UserRow.id == user_id)
                .run()
            )

    async def get_password_hash(self, user_id: str) -> str | None:
        row = await UserRow.select(UserRow.password_hash).where(UserRow.id == user_id).first().run()
        return row["password_hash"] if row else None

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await (
            UserRow.update({UserRow.password_hash: password_hash})
            .where(UserRow.id == user_id)
            .run()
        )

    # -- one-time codes -----------------------------------------------------------------

    async def put_code(self, code: OneTimeCode) -> None:
        key = _code_key(code.email, code.purpose)
        async with self.write_transaction():
            await CodeRow.delete().where(CodeRow.key == key).run()
            await CodeRow.insert(
                CodeRow(
                    key=key,
                    code_hash=code.code_hash,
                    expires_at=code.expires_at,
                    attempts_left=code.attempts_left,
                )
            ).run()

    async def get_code(self, email: str, purpose: CodePurpose) -> OneTimeCode | None:
        row = await CodeRow.select().where(CodeRow.key == _code_key(email, purpose)).first().run()
        if row is None:
            return None
        return OneTimeCode(
            email=email,
            purpose=purpose,
            code_hash=row["code_hash"],
            expires_at=_utc(row["expires_at"]),
            attempts_left=row["attempts_left"],
        )

    async def use_code_attempt(self, email: str, purpose: CodePurpose) -> int:
        key = _code_key(email, purpose)
        rows = (
            await CodeRow.update({CodeRow.attempts_left: CodeRow.attempts_left - 1})
            .where((CodeRow.key == key) & (CodeRow.attempts_left > 0))
            .returning(CodeRow.attempts_left)
            .run()
        )
        return rows[0]["attempts_left"] if rows else -1

    async def delete_code(self, email: str, purpose: CodePurpose) -> None:
        await CodeRow.delete().where(CodeRow.key == _code_key(email, purpose)).run()

    # -- failed log-ins -----------------------------------------------------------------

    async def record_login_failure(self, keys: Sequence[str], at: datetime) -> None:
        if keys:
            await LoginFailureRow.insert(*(LoginFailureRow(key=key, at=at) for key in keys)).run()

    async def login_failures(self, key: str, since: datetime) -> LoginFailures:
        rows = (
            await LoginFailureRow.select(LoginFailureRow.at)
            .where((LoginFailureRow.key == key) & (LoginFailureRow.at > since))
            .order_by(LoginFailureRow.at)
            .run()
        )
        return LoginFailures(count=len(rows), oldest=_utc(rows[0]["at"]) if rows else None)

    # -- events -------------------------------------------------------------------------

    async def create_event(self, event: Event) -> None:
        await EventRow.insert(EventRow(**_event_columns(event))).run()

    async def get_event(self, event_id: str) -> Event | None:
        row = await EventRow.select().where(EventRow.id == event_id).first().run()
        return _event(row) if row else None

    async def list_upcoming_events(
        self, now: datetime, limit: int, cursor: str | None = None
    ) -> Page[Event]:
        where = (EventRow.status == EventStatus.PUBLISHED.value) & (EventRow.ends_at > now)
        return await self._event_page(where, limit, cursor)

    async def list_organizer_events(
        self, organizer_id: str, limit: int, cursor: str | None = None
    ) -> Page[Event]:
        return await self._event_page(EventRow.organizer_id == organizer_id, limit, cursor)

    async def _event_page(self, where: Any, limit: int, cursor: str | None) -> Page[Event]:
        after = _decode_cursor(cursor)
        if after is not None:
            starts_at, event_id = after
            where = where & (
                (EventRow.starts_at > starts_at)
                | ((EventRow.starts_at == starts_at) & (EventRow.id > event_id))
            )
        rows = (
            await EventRow.select()
            .where(where)
            .order_by(EventRow.starts_at, EventRow.id)
            .limit(limit + 1)
            .run()
        )
        events = [_event(row) for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = events[-1]
            next_cursor = _encode_cursor(last.starts_at, last.id)
        return Page(items=events, next_cursor=next_cursor)


# -- row mapping -------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _roles_to_text(roles: frozenset[Role] | set[Role]) -> str:
    return ",".join(sorted(role.value for role in roles))


def _roles_from_text(text: str) -> set[Role]:
    return {Role(part) for part in text.split(",") if part}


def _user(row: dict[str, Any]) -> User:
    return User(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        roles=frozenset(_roles_from_text(row["roles"])),
        email_verified=bool(row["email_verified"]),
        created_at=_utc(row["created_at"]),
    )


def _code_key(email: str, purpose: CodePurpose) -> str:
    return f"{purpose.value}:{email}"


def _event_columns(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "organizer_id": event.organizer_id,
        "title": event.title,
        "description": event.description,
        "venue": event.venue,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "timezone": event.timezone,
        "capacity": event.capacity,
        "price": event.price,
        "currency": event.currency,
        "category": event.category,
        "status": event.status.value,
        "max_per_registration": event.max_per_registration,
        "doors_open_at": event.doors_open_at,
        "seats_confirmed": event.seats_confirmed,
        "seats_held": event.seats_held,
        "created_at": event.created_at,
    }


def _event(row: dict[str, Any]) -> Event:
    return Event(
        id=row["id"],
        organizer_id=row["organizer_id"],
        title=row["title"],
        description=row["description"],
        venue=row["venue"],
        starts_at=_utc(row["starts_at"]),
        ends_at=_utc(row["ends_at"]),
        timezone=row["timezone"],
        capacity=row["capacity"],
        price=row["price"],
        currency=row["currency"],
        category=row["category"],
        status=EventStatus(row["status"]),
        max_per_registration=row["max_per_registration"],
        doors_open_at=_utc(row["doors_open_at"]) if row["doors_open_at"] else None,
        seats_confirmed=row["seats_confirmed"],
        seats_held=row["seats_held"],
        created_at=_utc(row["created_at"]),
    )


def _encode_cursor(starts_at: datetime, event_id: str) -> str:
    raw = json.dumps([starts_at.isoformat(), event_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        starts, event_id = json.loads(base64.urlsafe_b64decode(padded))
        return _utc(datetime.fromisoformat(starts)), str(event_id)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed({"cursor": "This cursor was not issued by Admit."}) from exc
