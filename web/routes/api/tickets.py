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
from web.services.door_staff import DoorStaffEntry
from web.services.tickets import TicketView


def ticket_json(view: TicketView, download_url: str | None, expires: Any) -> dict[str, Any]:
    ticket = view.ticket
    return {
        "id": ticket.id,
        "event_id": ticket.event_id,
        "registration_id": ticket.registration_id,
        "attendee_name": ticket.attendee_name,
        "ticket_type_id": ticket.ticket_type_id,
        "ticket_type_name": ticket.ticket_type_name,
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
    body = strings(
        await json_object(request), "event_id", optional=("code", "ticket_id", "gate", "device")
    )
    if ("code" in body) == ("ticket_id" in body):
        message = "Give the ticket's code (or, for a ticket found by name, its ticket_id)."
        raise ValidationFailed({"code": message})
    outcome = await services_of(request).door.validate(
        user,
        body.get("code", ""),
        body["event_id"],
        body.get("gate", ""),
        body.get("device", ""),
        ticket_id=body.get("ticket_id"),
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
                "ticket_type_name": ticket.ticket_type_name,
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
    keys = await services_of(request).door.checkin_keys(user, request.path_params["event_id"])
    return JSONResponse({"keys": keys})


async def door_search(request: Request) -> Response:
    user = require_user(request)
    tickets = await services_of(request).door.search(
        user, request.path_params["event_id"], request.query_params.get("q", "")
    )
    # No `code`: it is the ticket itself. The door admits a ticket found by name with
    # `POST /tickets/validate {ticket_id, event_id}`.
    items = [
        {
            "ticket_id": ticket.id,
            "attendee_name": ticket.attendee_name,
            "ticket_type_name": ticket.ticket_type_name,
            "buyer_name": ticket.buyer_name,
            "seat_label": ticket.seat_label,
            "status": ticket.status.value,
        }
        for ticket in tickets
    ]
    return JSONResponse({"items": items})


def _entry_json(event_id: str, entry: DoorStaffEntry) -> dict[str, str]:
    return {"event_id": event_id, "id": entry.id, "email": entry.email}


async def add_door_staff(request: Request) -> Response:
    """The same answer whether or not the address has an account (API.md): the person is
    mailed either way, and an invitation waits for their sign-up."""
    organizer = require_user(request, Role.ORGANIZER)
    services = services_of(request)
    body = strings(await json_object(request), "email")
    event = await services.events.owned(organizer, request.path_params["event_id"])
    entry = await services.door_staff.add(organizer, event, body["email"])
    return JSONResponse(_entry_json(event.id, entry), status_code=201)


async def list_door_staff(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    services = services_of(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    entries = await services.door_staff.entries(organizer, event)
    return JSONResponse({"items": [_entry_json(event.id, entry) for entry in entries]})


async def remove_door_staff(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    services = services_of(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    await services.door_staff.remove(organizer, event, request.path_params["user_id"])
    return Response(status_code=204)


routes = [
    Route("/tickets/validate", validate, methods=["POST"]),
    Route("/tickets/{ticket_id}", get_ticket, methods=["GET"]),
    Route("/events/{event_id}/checkin-keys", checkin_keys, methods=["GET"]),
    Route("/events/{event_id}/door-search", door_search, methods=["GET"]),
    Route("/events/{event_id}/door-staff", add_door_staff, methods=["POST"]),
    Route("/events/{event_id}/door-staff", list_door_staff, methods=["GET"]),
    Route("/events/{event_id}/door-staff/{user_id}", remove_door_staff, methods=["DELETE"]),
]
