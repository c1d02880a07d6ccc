"""The door: the scanner page, its progress counter, and assigning door staff."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth import require_user
from web.services.container import Services
from web.templating import render


def _services(request: Request) -> Services:
    return request.state.services


async def door_index(request: Request) -> Response:
    """The events this person may check tickets for: door staff's and organizer's own."""
    user = require_user(request)
    events = await _services(request).tickets.door_events(user)
    return render(request, "door/index.html", {"events": events})


async def scanner(request: Request) -> Response:
    user = require_user(request)
    event, admitted, total = await _services(request).tickets.door(
        user, request.path_params["event_id"]
    )
    context = {"event": event, "admitted": admitted, "total": total}
    return render(request, "door/scanner.html", context)


async def progress(request: Request) -> Response:
    user = require_user(request)
    _, admitted, total = await _services(request).tickets.door(
        user, request.path_params["event_id"]
    )
    return render(request, "door/_progress.html", {"admitted": admitted, "total": total})


routes = [
    Route("/door", door_index),
    Route("/door/{event_id}", scanner),
    Route("/door/{event_id}/progress", progress),
]
