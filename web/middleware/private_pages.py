"""`Cache-Control: no-store` on every private answer, decided in one place.

A private answer is one for a private path (a ticket, "my" pages, checkout, the
organizer's and the door's pages, account pages, the dev outbox) or any answer to a
signed-in request (even a public page then carries that person's name and CSRF token).
Neither a shared cache nor the browser's own cache or back/forward cache may keep those,
so a log-out on a shared phone leaves nothing behind. Public pages for anonymous visitors
and the static assets keep whatever caching they set. The service worker's offline copy
of tickets is unaffected: the Cache API stores what the worker puts, whatever the header
(static/sw.js).
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PRIVATE_PATHS = re.compile(
    r"^/(?:my|tickets|checkout|organizer|door|files|dev|account|sessions|login|logout"
    r"|signup|verify|password-reset|auth)(?:/|$)"
)
# The same for everyone, signed in or not.
SHARED_PATHS = re.compile(r"^/(?:static/|sw\.js$|manifest\.webmanifest$|favicon\.ico$)")
NO_STORE = b"no-store"


def is_private(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    if PRIVATE_PATHS.match(path):
        return True
    if SHARED_PATHS.match(path):
        return False
    user = scope.get("user")  # set by AuthenticationMiddleware further in
    return bool(user is not None and getattr(user, "is_authenticated", False))


class PrivatePagesMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_private(message: Message) -> None:
            if message["type"] == "http.response.start" and is_private(scope):
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"cache-control" or NO_STORE in value.lower()
                ]
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", NO_STORE))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_private)
