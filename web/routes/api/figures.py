"""JSON API: an organizer's figures (API.md, "Figures")."""

from __future__ import annotations

from dataclasses import asdict

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models.domain import Role
from web.auth import require_user
from web.services.container import services_of
from web.services.figures import stats_json


async def event_stats(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    dashboard = await services_of(request).figures.dashboard(
        organizer, request.path_params["event_id"]
    )
    return JSONResponse(stats_json(dashboard))


async def my_events_stats(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    return JSONResponse(asdict(await services_of(request).figures.totals(organizer)))


routes = [
    Route("/events/{event_id}/stats", event_stats, methods=["GET"]),
    Route("/me/events/stats", my_events_stats, methods=["GET"]),
]
