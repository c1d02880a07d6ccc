"""Signed-in sessions and what ends them: log-out, a password change or reset, "log out
everywhere", ending one session from the sessions page.

Every credential is resolved here, so one place decides whether it still counts: a
session cookie (its secret names a record in the Store) and a bearer token (its
signature is checked by the identity adapter, its generation here).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TypeVar

from models.domain import User, password_problem, utcnow
from models.errors import ValidationFailed
from models.sessions import (
    Session,
    new_session_secret,
    session_accepted,
    session_id_for,
    start_session,
    token_accepted,
)
from models.store import Store
from web.adapters.identity.port import Identity
from web.services.accounts import Accounts

# The longest a revoked session or token may still pass on an app instance that did not
# revoke it itself (another Lambda instance, another worker): that instance's cache
# entry has to run out first. The instance that revokes forgets at once.
CACHE_SECONDS = 10.0

T = TypeVar("T")


class RecentUsers:
    """Accounts and sessions looked up a moment ago, by id.

    A door phone or a script sends requests for the same account hundreds of times a
    minute; reading the account once every few seconds instead of on every request takes
    a database read off the hot path. The token's signature is still checked every time,
    and its generation against the cached account. Whatever ends a session or moves the
    generation calls `forget_user`, so this instance sees the change at once; other
    instances see it within `ttl` seconds (at most CACHE_SECONDS).
    """

    def __init__(self, ttl: float = CACHE_SECONDS, size: int = 10_000) -> None:
        if not 0 <= ttl <= CACHE_SECONDS:
            raise ValueError(f"a cache TTL of {ttl} s would let revoked credentials through")
        self.ttl = ttl
        self.size = size
        self._users: dict[str, tuple[float, User]] = {}
        self._sessions: dict[str, tuple[float, Session]] = {}

    def get(self, user_id: str) -> User | None:
        return _fresh(self._users.get(user_id))

    def put(self, user: User) -> None:
        _put(self._users, user.id, user, self.ttl, self.size)

    def session(self, session_id: str) -> Session | None:
        return _fresh(self._sessions.get(session_id))

    def put_session(self, session: Session) -> None:
        _put(self._sessions, session.id, session, self.ttl, self.size)

    def forget_session(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def forget_user(self, user_id: str) -> None:
        self._users.pop(user_id, None)
        for session_id, (_, session) in list(self._sessions.items()):
            if session.user_id == user_id:
                del self._sessions[session_id]


def _fresh(entry: tuple[float, T] | None) -> T | None:
    if entry is None or entry[0] < time.monotonic():
        return None
    return entry[1]


def _put(entries: dict[str, tuple[float, T]], key: str, value: T, ttl: float, size: int) -> None:
    if len(entries) >= size:
        entries.clear()  # rare: cheaper than tracking order
    entries[key] = (time.monotonic() + ttl, value)


@dataclass(frozen=True)
class Resolved:
    """A session cookie that still counts: its record and its account."""

    session: Session
    user: User


class Sessions:
    def __init__(
        self,
        store: Store,
        identity: Identity,
        accounts: Accounts,
        lifetime: timedelta,
        cache_ttl: float = CACHE_SECONDS,
    ) -> None:
        self.store = store
        self.identity = identity
        self.accounts = accounts
        self.lifetime = lifetime
        self.recent = RecentUsers(cache_ttl)

    # -- credentials ----------------------------------------------------------------------

    async def start(self, user: User, user_agent: str) -> str:
        """A new session for `user`; returns the secret for the cookie."""
        secret = new_session_secret()
        session = start_session(user, secret, user_agent, utcnow(), self.lifetime)
        await self.store.create_session(session)
        return secret

    async def resolve(self, secret: str, *, cached: bool) -> Resolved | None:
        """The session a cookie's secret names, if it still counts. `cached` lets the
        session and account read a moment ago do (API calls); pages read both afresh,
        so a role given a moment ago shows on the very next page."""
        now = utcnow()
        session_id = session_id_for(secret)
        session = self.recent.session(session_id) if cached else None
        if session is None:
            session = await self.store.get_session(session_id, now)
        user = self.recent.get(session.user_id) if cached and session else None
        if session is not None and user is None:
            user = await self.store.get_user(session.user_id)
        if session is None or user is None or not session_accepted(session, user, now):
            self.recent.forget_session(session_id)
            return None
        if session.needs_touch(now):
            expires_at = now + self.lifetime
            if not await self.store.touch_session(session.id, now, expires_at):
                self.recent.forget_session(session_id)
                return None  # ended by another request a moment ago
            session = replace(session, last_seen_at=now, expires_at=expires_at)
        self.recent.put_session(session)
        self.recent.put(user)
        return Resolved(session, user)

    async def user_for_token(self, token: str) -> User | None:
        """The account of a bearer token that is genuine, unexpired and not revoked."""
        claims = await self.identity.access_claims(token)
        if claims is None:
            return None
        user = self.recent.get(claims.subject)
        if user is None:
            user = await self.store.get_user(claims.subject)
            if user is None:
                return None
            self.recent.put(user)
        return user if token_accepted(user, claims.generation, claims.issued_at) else None

    # -- ending sessions ------------------------------------------------------------------

    async def end(self, secret: str) -> None:
        """Log-out: the record goes, so a copy of the cookie no longer works."""
        session_id = session_id_for(secret)
        await self.store.delete_session(session_id)
        self.recent.forget_session(session_id)

    async def of_user(self, user: User) -> list[Session]:
        return await self.store.list_user_sessions(user.id, utcnow())

    async def end_one(self, user: User, session_id: str) -> bool:
        """End one of `user`'s own sessions (another person's id ends nothing)."""
        ended = await self.store.delete_session(session_id, user.id)
        self.recent.forget_session(session_id)
        return ended

    async def end_others(self, user: User, current_id: str) -> int:
        ended = await self.store.delete_user_sessions(user.id, except_id=current_id)
        self.recent.forget_user(user.id)
        return ended

    async def end_everywhere(self, user: User) -> User:
        """Every session and access token of the account stops working. The generation
        moves first: from then on, an older session or token is refused even where
        deleting its record is missed or a cache still holds it."""
        fresh = await self.identity.revoke_tokens(user)
        self.recent.forget_user(user.id)
        await self.store.delete_user_sessions(user.id)
        return fresh

    async def purge_expired(self) -> int:
        """Forget sessions that ran out (the clock job; DynamoDB's TTL needs none)."""
        return await self.store.purge_expired_sessions(utcnow())

    # -- passwords ------------------------------------------------------------------------

    async def change_password(
        self,
        user: User,
        current_password: str,
        new_password: str,
        *,
        keep_signed_in: bool,
        client: str,
        user_agent: str = "",
    ) -> str | None:
        """Change the password and end every session and token of the account. With
        `keep_signed_in` (a browser changing it), that browser gets a new session: its
        secret is returned for the cookie."""
        problems = {}
        if not current_password:
            problems["current_password"] = "Enter your current password."  # noqa: S105
        if problem := password_problem(new_password):
            problems["new_password"] = problem
        elif new_password == current_password:
            problems["new_password"] = "Choose one other than your current password."  # noqa: S105
        if problems:
            raise ValidationFailed(problems)
        await self.accounts.change_password(user, current_password, new_password, client)
        fresh = await self.end_everywhere(user)
        return await self.start(fresh, user_agent) if keep_signed_in else None

    async def reset_password(self, email: str, code: str, new_password: str) -> User:
        """The reset flow (Accounts) and then, as for a change, every session and token
        of the account ends: whoever knew the old password is out."""
        user = await self.accounts.reset_password(email, code, new_password)
        return await self.end_everywhere(user)
