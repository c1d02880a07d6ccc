"""Who is asking: a bearer token (API) or the session cookie (pages), and role checks."""

from __future__ import annotations

import time

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    BaseUser,
)
from starlette.requests import HTTPConnection, Request

from models.domain import Role, User
from models.errors import Forbidden, NotAuthenticated
from web.services.container import Services

SESSION_USER = "uid"


class SignedIn(BaseUser):
    def __init__(self, user: User) -> None:
        self.user = user

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.user.name


class RecentUsers:
    """Users looked up a moment ago, by id.

    A door phone or a script sends requests for the same account hundreds of times a
    minute; reading the account once every few seconds instead of on every request takes
    a database read off the hot path. The token or session itself is still checked every
    time; a change of name or roles shows to API calls within `ttl` seconds (pages read
    the account every time).
    """

    def __init__(self, ttl: float = 10.0, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[str, tuple[float, User]] = {}

    def get(self, user_id: str) -> User | None:
        entry = self._entries.get(user_id)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, user: User) -> None:
        if len(self._entries) >= self.size:
            self._entries.clear()  # rare: cheaper than tracking order
        self._entries[user.id] = (time.monotonic() + self.ttl, user)


class SessionOrBearerBackend(AuthenticationBackend):
    """A bearer header, when present, is the only credential looked at: a script's
    request never picks up a browser session by accident."""

    def __init__(self) -> None:
        self.recent = RecentUsers()

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        if conn.url.path.startswith("/static/"):
            return None
        services: Services = conn.state.services
        header = conn.headers.get("authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                return None
            subject = await services.identity.subject_for_access_token(token)
            user = await self._user(services, subject) if subject else None
        else:
            user_id = conn.session.get(SESSION_USER)
            if not user_id:
                return None
            if conn.url.path.startswith("/api/"):
                # The page's own scripts (the door scanner validates a code a second):
                # as for tokens, the account read a moment ago will do.
                user = await self._user(services, user_id)
            else:
                # Pages read the account on every request: a role given a moment ago
                # (door staff added by an organizer) must show on the very next page.
                user = await services.store.get_user(user_id)
            if user is None:
                conn.session.clear()
        if user is None:
            return None
        return AuthCredentials(["authenticated", *user.roles]), SignedIn(user)

    async def _user(self, services: Services, user_id: str) -> User | None:
        user = self.recent.get(user_id)
        if user is None:
            user = await services.store.get_user(user_id)
            if user is not None:
                self.recent.put(user)
        return user


def current_user(request: Request) -> User | None:
    # scope.get, not request.user: error pages render before authentication has run.
    signed_in = request.scope.get("user")
    return signed_in.user if isinstance(signed_in, SignedIn) else None


def require_user(request: Request, role: Role | None = None) -> User:
    user = current_user(request)
    if user is None:
        raise NotAuthenticated()
    if role is not None and not user.has_role(role):
        raise Forbidden()
    return user


def log_in_session(request: Request, user: User) -> None:
    """A new session on log-in: drops anything an attacker may have planted before."""
    request.session.clear()
    request.session[SESSION_USER] = user.id


def log_out_session(request: Request) -> None:
    request.session.clear()
