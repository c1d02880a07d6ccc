"""Who is asking: a bearer token (API) or the session cookie (pages), and role checks."""

from __future__ import annotations

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    BaseUser,
)
from starlette.requests import HTTPConnection, Request

from models.domain import Role, User
from models.errors import Forbidden, NotAuthenticated
from models.sessions import Session
from web.middleware.csrf import SESSION_ID
from web.services.container import Services

# SESSION_ID ("sid") is the one key of the signed cookie that grants anything: the
# secret naming a session record in the Store (web/services/sessions.py). Everything
# else in the cookie (the CSRF token, flash messages) is anonymous data: a visitor who
# only looks at events or opens the log-in form gets them without a write to the Store,
# so bots and crawlers cannot grow the sessions table, and the signed cookie is enough
# to keep them honest. Only signing in makes a server-side record, because only that
# needs to be ended for good.
SESSION_SCOPE_KEY = "admit.session"


class SignedIn(BaseUser):
    def __init__(self, user: User) -> None:
        self.user = user

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.user.name


class SessionOrBearerBackend(AuthenticationBackend):
    """A bearer header, when present, is the only credential looked at: a script's
    request never picks up a browser session by accident."""

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
            user = await services.sessions.user_for_token(token)
        else:
            secret = conn.session.get(SESSION_ID)
            if not isinstance(secret, str) or not secret:
                return None
            # The page's own scripts (the door scanner validates a code a second) may use
            # the session and account read a moment ago; pages read both every time, so a
            # role given a moment ago (door staff added) shows on the very next page.
            cached = conn.url.path.startswith("/api/")
            resolved = await services.sessions.resolve(secret, cached=cached)
            if resolved is None:
                # Logged out elsewhere, ended, expired: this cookie's data is stale.
                conn.session.clear()
                return None
            conn.scope[SESSION_SCOPE_KEY] = resolved.session
            user = resolved.user
        if user is None:
            return None
        return AuthCredentials(["authenticated", *user.roles]), SignedIn(user)


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


def current_session(request: Request) -> Session | None:
    """The session record of this request's cookie (None for bearer tokens)."""
    session = request.scope.get(SESSION_SCOPE_KEY)
    return session if isinstance(session, Session) else None


async def log_in_session(request: Request, user: User) -> None:
    """A new session on log-in: drops anything an attacker may have planted before, and
    ends the session this browser had (another account's, say)."""
    services: Services = request.state.services
    if isinstance(earlier := request.session.get(SESSION_ID), str):
        await services.sessions.end(earlier)
    secret = await services.sessions.start(user, request.headers.get("user-agent", ""))
    request.session.clear()
    request.session[SESSION_ID] = secret


def replace_session(request: Request, secret: str) -> None:
    """This browser carries on under a new session (after a password change); the rest
    of the cookie (its CSRF token, which open pages still send) stays."""
    request.session[SESSION_ID] = secret


async def log_out_session(request: Request) -> None:
    """Ends the session on the server too: a copy of the cookie no longer works."""
    if isinstance(secret := request.session.get(SESSION_ID), str):
        await request.state.services.sessions.end(secret)
    request.session.clear()
