"""The Store: every read and write Admit makes, in domain words.

The operations are shaped by the questions the app asks (DynamoDB access patterns): each
one is a key lookup, a range read on one index, or a small conditional write. No caller
builds its own query. Two implementations: `models/sqlite/` (Piccolo) and, for production,
`models/dynamo/`. The same contract tests (`tests/store_contract.py`) run against both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from models.domain import CodePurpose, Event, LoginFailures, OneTimeCode, Role, User

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, with an opaque cursor for the next page (None at the end)."""

    items: list[T]
    next_cursor: str | None


class Store(ABC):
    @abstractmethod
    async def open(self) -> None:
        """Connect and check the schema is current (raises `StoreNotReady` if not)."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def is_empty(self) -> bool:
        """True when no account exists yet (used to seed demo data once)."""

    # -- users --------------------------------------------------------------------------

    @abstractmethod
    async def create_user(self, user: User, password_hash: str | None) -> None:
        """Insert a user; raises `EmailTaken` when the (normalised) email is in use.

        `password_hash` is for local identity; providers that keep passwords pass None.
        """

    @abstractmethod
    async def get_user(self, user_id: str) -> User | None: ...

    @abstractmethod
    async def get_user_by_email(self, email: str) -> User | None: ...

    @abstractmethod
    async def mark_email_verified(self, user_id: str) -> None: ...

    @abstractmethod
    async def add_role(self, user_id: str, role: Role) -> None: ...

    @abstractmethod
    async def get_password_hash(self, user_id: str) -> str | None: ...

    @abstractmethod
    async def set_password_hash(self, user_id: str, password_hash: str) -> None: ...

    # -- one-time codes (verification and password reset, local identity) ---------------

    @abstractmethod
    async def put_code(self, code: OneTimeCode) -> None:
        """Store a code, replacing any earlier one for the same email and purpose."""

    @abstractmethod
    async def get_code(self, email: str, purpose: CodePurpose) -> OneTimeCode | None: ...

    @abstractmethod
    async def use_code_attempt(self, email: str, purpose: CodePurpose) -> int:
        """Spend one attempt atomically; return attempts left (-1 when no code exists)."""

    @abstractmethod
    async def delete_code(self, email: str, purpose: CodePurpose) -> None: ...

    # -- failed log-ins (rate limits shared by every worker) -----------------------------

    @abstractmethod
    async def record_login_failure(self, keys: Sequence[str], at: datetime) -> None: ...

    @abstractmethod
    async def login_failures(self, key: str, since: datetime) -> LoginFailures: ...

    # -- events -------------------------------------------------------------------------

    @abstractmethod
    async def create_event(self, event: Event) -> None: ...

    @abstractmethod
    async def get_event(self, event_id: str) -> Event | None: ...

    @abstractmethod
    async def list_upcoming_events(
        self, now: datetime, limit: int, cursor: str | None = None
    ) -> Page[Event]:
        """Published events that have not ended, soonest first."""

    @abstractmethod
    async def list_organizer_events(
        self, organizer_id: str, limit: int, cursor: str | None = None
    ) -> Page[Event]:
        """One organizer's events of every status, soonest first."""
