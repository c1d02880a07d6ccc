"""CSRF protection for every state-changing request (synchronizer token in the session).

The token lives in the signed, HttpOnly session cookie; pages put it in each form
(`csrf_token` field) and in `hx-headers` on <body> for htmx (`X-CSRF-Token`). Requests
without ambient authority are exempt: API calls with a bearer token, API calls with no
logged-in session, provider webhooks (they carry their own signatures) and the
signed one-click unsubscribe links of organizers' messages. Log-in and
sign-up forms are protected too, against log-in CSRF.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The cookie's key for the secret of a signed-in session (web/auth.py explains the
# cookie): with it, the cookie carries authority that a forged request could use.
SESSION_ID = "sid"

SESSION_KEY = "csrf"
FORM_FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = (b"application/x-www-form-urlencoded", b"multipart/form-data")

FailureResponder = Callable[[Request], Awaitable[Response]]


def csrf_token(session: dict[str, Any]) -> str:
    """The session's token, created on first use (a page render that shows a form)."""
    token = session.get(SESSION_KEY)
    if not token:
        token = session[SESSION_KEY] = secrets.token_urlsafe(32)
    return token


class CSRFMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        on_failure: FailureResponder,
        # /unsubscribe/<signed token>: the token is the only authority (no session's),
        # and a mail client's one-click POST (RFC 8058) carries no CSRF token.
        exempt_prefixes: tuple[str, ...] = ("/webhooks/", "/unsubscribe/"),
    ) -> None:
        self.app = app
        self.on_failure = on_failure
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or self._exempt(scope):
            await self.app(scope, receive, send)
            return
        expected = scope.get("session", {}).get(SESSION_KEY)
        headers = dict(scope.get("headers", []))
        supplied = headers.get(HEADER.encode(), b"").decode("latin-1")
        if expected and supplied and secrets.compare_digest(supplied, expected):
            await self.app(scope, receive, send)
            return
        content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        if expected and content_type in FORM_TYPES:
            replay, form = await _read_form(scope, receive)
            supplied = str(form.get(FORM_FIELD, ""))
            if supplied and secrets.compare_digest(supplied, expected):
                await self.app(scope, replay, send)
                return
        response = await self.on_failure(Request(scope))
        await response(scope, receive, send)

    def _exempt(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if path.startswith(self.exempt_prefixes):
            return True
        if path.startswith("/api/"):
            headers = dict(scope.get("headers", []))
            if headers.get(b"authorization", b"").lower().startswith(b"bearer "):
                return True
            # No one logged in through this cookie: nothing for a forged request to use.
            return SESSION_ID not in scope.get("session", {})
        return False


async def _read_form(scope: Scope, receive: Receive) -> tuple[Receive, FormData]:
    """Read the whole body (BodyLimitMiddleware bounds it), parse it, and replay it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    request = Request(scope, replay)
    form = await request.form()
    sent = False
    return replay, form
