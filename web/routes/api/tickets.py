"""JSON API: tickets and the door (API.md, "Tickets and the door")."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models.domain import Role
from models.errors import ValidationFailed
from web.auth import require_user
from web.routes.api.common import json_object, rfc3339, strings
from web.services.container import services_of
from web.services.tickets import TicketView


def ticket_json(view: TicketView, download_url: str | None, expires: Any) -> dict[str, Any]:
    ticket = view.ticket
    return {
        "id": ticket.id,
        "event_id": ticket.event_id,
        "registration_id": ticket.registration_id,
        "attendee_name": ticket.attendee_name,
        "status": ticket.status.value,
        "code": view.code,
        "download_url": download_url,
        "download_expires_at": rfc3339(expires),
        "checked_in_at": rfc3339(ticket.checked_in_at),
    }


async def get_ticket(request: Request) -> Response:
    user = require_user(request)
    services = services_of(request)
    view = await services.tickets.get(user, request.path_params["ticket_id"])
    link = await services.tickets.download_link(view)
    url = str(request.base_url).rstrip("/") + link.url if link.url.startswith("/") else link.url
    return JSONResponse(ticket_json(view, url, link.expires_at))


async def validate(request: Request) -> Response:
    user = require_user(request)
    body = strings(await json_object(request), "code", "event_id", optional=("gate", "device"))
    outcome = await services_of(request).tickets.validate(
        user, body["code"], body["event_id"], body.get("gate", ""), body.get("device", "")
    )
    ticket = outcome.ticket
    first_at = first_gate = None
    if ticket is not None and outcome.result.value == "already_used":
        first_at, first_gate = ticket.checked_in_at, ticket.checked_in_gate
    return JSONResponse(
        {
            "result": outcome.result.value,
            "ticket": None
            if ticket is None
            else {
                "id": ticket.id,
                "attendee_name": ticket.attendee_name,
                "registration_quantity": ticket.seats,
                "seat_label": ticket.seat_label,
            },
            "first_checked_in_at": rfc3339(first_at),
            "first_gate": first_gate,
            "progress": {"admitted": outcome.admitted, "total": outcome.total},
        }
    )


async def checkin_keys(request: Request) -> Response:
    user = require_user(request)
    keys = await services_of(request).tickets.checkin_keys(user, request.path_params["event_id"])
    return JSONResponse({"keys": keys})


async def door_search(request: Request) -> Response:
    user = require_user(request)
    views = await services_of(request).tickets.search(
        user, request.path_params["event_id"], request.query_params.get("q", "")
    )
    items = [
        {
            "ticket_id": v.ticket.id,
            "attendee_name": v.ticket.attendee_name,
            "buyer_name": v.ticket.buyer_name,
            "seat_label": v.ticket.seat_label,
            "status": v.ticket.status.value,
            "code": v.code,
        }
        for v in views
    ]
    return JSONResponse({"items": items})


async def add_door_staff(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    services = services_of(request)
    body = await json_object(request)
    if not isinstance(body.get("email"), str):
        raise ValidationFailed({"email": "Give the email address of an existing account."})
    event = await services.events.owned(organizer, request.path_params["event_id"])
    staff = await services.tickets.add_door_staff(organizer, event, body["email"])
    return JSONResponse(
        {"event_id": event.id, "user": {"id": staff.id, "email": staff.email, "name": staff.name}},
        status_code=201,
    )


routes = [
    Route("/tickets/validate", validate, methods=["POST"]),
    Route("/tickets/{ticket_id}", get_ticket, methods=["GET"]),
    Route("/events/{event_id}/checkin-keys", checkin_keys, methods=["GET"]),
    Route("/events/{event_id}/door-search", door_search, methods=["GET"]),
    Route("/events/{event_id}/door-staff", add_door_staff, methods=["POST"]),
]
