"""JSON API: change the password, log out everywhere (API.md, "Sessions")."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth import current_session, replace_session, require_user
from web.client_address import client_address
from web.routes.api.common import json_object, strings
from web.services.container import services_of


async def change_password(request: Request) -> Response:
    user = require_user(request)
    body = strings(await json_object(request), "current_password", "new_password")
    # A browser's own script (cookie and CSRF token) stays logged in under a new session;
    # a bearer token ends with all the others.
    keep = current_session(request) is not None
    secret = await services_of(request).sessions.change_password(
        user,
        body["current_password"],
        body["new_password"],
        keep_signed_in=keep,
        client=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    if secret is not None:
        replace_session(request, secret)
    return Response(status_code=204)


async def logout_everywhere(request: Request) -> Response:
    user = require_user(request)
    await services_of(request).sessions.end_everywhere(user)
    if current_session(request) is not None:
        request.session.clear()
    return Response(status_code=204)


routes = [
    Route("/auth/password", change_password, methods=["POST"]),
    Route("/auth/logout-everywhere", logout_everywhere, methods=["POST"]),
]
