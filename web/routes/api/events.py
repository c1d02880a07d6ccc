"""JSON API: events (API.md, "Events")."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models.domain import Event, RegistrationStatus, Role
from models.errors import ValidationFailed
from models.store import RegistrationQuery
from web.auth import current_user, require_user
from web.routes.api.answers import question_json
from web.routes.api.common import (
    event_json,
    json_object,
    list_json,
    page_params,
    registration_json,
)
from web.services.container import services_of
from web.services.events import clean_search, parse_event_query


async def event_body(request: Request, event: Event) -> dict[str, Any]:
    """The event with the ticket types its viewer may see, and the questions it asks."""
    services = services_of(request)
    types = await services.ticket_types.of(event, current_user(request))
    body = event_json(event, types)
    body["questions"] = [question_json(q) for q in await services.questions.of(event)]
    return body


async def list_events(request: Request) -> Response:
    limit, cursor = page_params(request)
    params = request.query_params
    query = parse_event_query(
        params.get("q", ""),
        params.get("category", ""),
        params.get("from", ""),
        params.get("to", ""),
        params.get("free", ""),
    )
    page = await services_of(request).events.upcoming(query, limit, cursor)
    items = [await event_body(request, e) for e in page.items]
    return JSONResponse(list_json(items, page.next_cursor))


async def create_event(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    event = await services_of(request).events.create(organizer, await json_object(request), "json")
    return JSONResponse(await event_body(request, event), status_code=201)


async def get_event(request: Request) -> Response:
    event = await services_of(request).events.visible(
        request.path_params["event_id"], current_user(request)
    )
    return JSONResponse(await event_body(request, event))


async def update_event(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    event = await services_of(request).events.edit(
        organizer, request.path_params["event_id"], await json_object(request), "json"
    )
    return JSONResponse(await event_body(request, event))


async def publish_event(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    event = await services_of(request).events.publish(organizer, request.path_params["event_id"])
    return JSONResponse(await event_body(request, event))


async def cancel_event(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    event = await services_of(request).registrations.cancel_event(
        organizer, request.path_params["event_id"]
    )
    return JSONResponse(await event_body(request, event))


async def event_registrations(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    limit, cursor = page_params(request)
    status_raw = request.query_params.get("status", "")
    try:
        status = RegistrationStatus(status_raw) if status_raw else None
    except ValueError as exc:
        allowed = ", ".join(s.value for s in RegistrationStatus)
        raise ValidationFailed({"status": f"Use one of: {allowed}."}) from exc
    query = RegistrationQuery(text=clean_search(request.query_params.get("q", "")), status=status)
    page = await services_of(request).registrations.for_event(
        organizer, request.path_params["event_id"], query, limit, cursor
    )
    payments = services_of(request).payments.name
    tickets = services_of(request).tickets
    items = [
        registration_json(r, payments, [t.id for t in await tickets.for_registration(r)])
        for r in page.items
    ]
    return JSONResponse(list_json(items, page.next_cursor))


routes = [
    Route("/events", list_events, methods=["GET"]),
    Route("/events", create_event, methods=["POST"]),
    Route("/events/{event_id}", get_event, methods=["GET"]),
    Route("/events/{event_id}", update_event, methods=["PATCH"]),
    Route("/events/{event_id}/publish", publish_event, methods=["POST"]),
    Route("/events/{event_id}/cancel", cancel_event, methods=["POST"]),
    Route("/events/{event_id}/registrations", event_registrations, methods=["GET"]),
]
