"""JSON API: the waiting list (API.md, "Waiting list")."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models.domain import Role
from web.auth import require_user
from web.routes.api.common import json_object, registration_json, rfc3339
from web.services.container import services_of
from web.services.waitlist import EntryView


def entry_json(view: EntryView) -> dict[str, Any]:
    entry, zone = view.entry, view.event.timezone
    return {
        "id": entry.id,
        "event_id": entry.event_id,
        "ticket_type_id": entry.ticket_type_id,
        "quantity": entry.quantity,
        "position": view.position,
        "status": view.status.value,
        "registration_id": entry.registration_id,
        "offer_expires_at": rfc3339(entry.offer_expires_at, zone),
        "created_at": rfc3339(entry.created_at, zone),
    }


async def join(request: Request) -> Response:
    user = require_user(request)
    body = await json_object(request)
    view = await services_of(request).waitlist.join(
        user, request.path_params["event_id"], body.get("quantity"), body.get("ticket_type_id")
    )
    return JSONResponse(entry_json(view), status_code=201)


async def mine(request: Request) -> Response:
    user = require_user(request)
    views = await services_of(request).waitlist.mine(user)
    return JSONResponse({"items": [entry_json(v) for v in views], "next_cursor": None})


async def leave(request: Request) -> Response:
    user = require_user(request)
    await services_of(request).waitlist.leave(user, request.path_params["entry_id"])
    return Response(status_code=204)


async def for_event(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    views = await services_of(request).waitlist.for_event(
        organizer, request.path_params["event_id"]
    )
    return JSONResponse({"items": [entry_json(v) for v in views], "next_cursor": None})


async def offer(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    services = services_of(request)
    registration = await services.waitlist.offer(
        organizer, request.path_params["event_id"], request.path_params["entry_id"]
    )
    body = registration_json(registration, services.payments.name)
    return JSONResponse(body, status_code=201, background=services.delivery.after_queueing())


async def confirm(request: Request) -> Response:
    user = require_user(request)
    services = services_of(request)
    registration = await services.waitlist.confirm(user, request.path_params["registration_id"])
    tickets = await services.tickets.for_registration(registration)
    body = registration_json(registration, services.payments.name, [t.id for t in tickets])
    return JSONResponse(body, background=services.delivery.after_answer(registration.id))


routes = [
    Route("/events/{event_id}/waitlist", join, methods=["POST"]),
    Route("/events/{event_id}/waitlist", for_event, methods=["GET"]),
    Route("/events/{event_id}/waitlist/{entry_id}/offer", offer, methods=["POST"]),
    Route("/waitlist", mine, methods=["GET"]),
    Route("/waitlist/{entry_id}", leave, methods=["DELETE"]),
    Route("/registrations/{registration_id}/confirm", confirm, methods=["POST"]),
]
