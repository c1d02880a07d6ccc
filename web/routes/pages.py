"""Public pages: upcoming events and an event's page; the organizer's home."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from models.domain import Role
from web.auth import current_user, require_user
from web.services.container import Services
from web.templating import render


def _services(request: Request) -> Services:
    return request.state.services


async def home(request: Request) -> Response:
    page = await _services(request).events.upcoming(cursor=request.query_params.get("cursor"))
    return render(request, "events/index.html", {"page": page}, block="results")


async def event_detail(request: Request) -> Response:
    event = await _services(request).events.visible(
        request.path_params["event_id"], current_user(request)
    )
    return render(request, "events/detail.html", {"event": event})


async def organizer_home(request: Request) -> Response:
    user = require_user(request, Role.ORGANIZER)
    page = await _services(request).events.organized_by(
        user, cursor=request.query_params.get("cursor")
    )
    return render(request, "organizer/index.html", {"page": page}, block="results")


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")


routes = [
    Route("/", home),
    Route("/events/{event_id}", event_detail),
    Route("/organizer", organizer_home),
    Route("/healthz", health),
]
