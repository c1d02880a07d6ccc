"""The Store's operations on sessions and token generations (a part of `Store`).

Kept in its own interface so the session feature reads in one place; `Store` inherits it,
and both backends implement it in their own `sessions` module.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from models.domain import User
from models.sessions import Session


class SessionStore(ABC):
    @abstractmethod
    async def create_session(self, session: Session) -> None:
        """Store a new session record (its id is random: never an existing one)."""

    @abstractmethod
    async def get_session(self, session_id: str, now: datetime) -> Session | None:
        """The session, or None when there is none or it has run out by `now`."""

    @abstractmethod
    async def touch_session(self, session_id: str, now: datetime, expires_at: datetime) -> bool:
        """Record that the session was used at `now` and now runs until `expires_at`.
        False, and nothing written, when the session no longer exists: a touch racing a
        log-out never brings the session back."""

    @abstractmethod
    async def list_user_sessions(self, user_id: str, now: datetime) -> list[Session]:
        """The person's sessions that have not run out, most recently used first."""

    @abstractmethod
    async def delete_session(self, session_id: str, user_id: str | None = None) -> bool:
        """End one session; with `user_id`, only if it is that person's. True if it was
        there to end."""

    @abstractmethod
    async def delete_user_sessions(self, user_id: str, except_id: str | None = None) -> int:
        """End every session of the person but `except_id`; the number ended."""

    @abstractmethod
    async def purge_expired_sessions(self, now: datetime) -> int:
        """Delete sessions that ran out before `now`; the number deleted. (DynamoDB's
        TTL does this by itself: 0.)"""

    @abstractmethod
    async def revoke_user_tokens(self, user_id: str, now: datetime) -> User:
        """Move the account's token generation on by one and set `tokens_valid_after` to
        `now`, atomically (concurrent calls each count). Raises `NotFound`."""
