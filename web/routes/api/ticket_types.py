"""JSON API: an event's ticket types (API.md, "Ticket types")."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.domain import Role
from web.auth import require_user
from web.routes.api.common import event_part_json, json_object, ticket_type_json
from web.services.container import services_of


async def create_ticket_type(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    kind = await services_of(request).ticket_types.create(
        organizer, request.path_params["event_id"], await json_object(request), "json"
    )
    return await event_part_json(request, organizer, kind, ticket_type_json, 201)


async def update_ticket_type(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    kind = await services_of(request).ticket_types.edit(
        organizer,
        request.path_params["event_id"],
        request.path_params["type_id"],
        await json_object(request),
        "json",
    )
    return await event_part_json(request, organizer, kind, ticket_type_json)


async def delete_ticket_type(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    await services_of(request).ticket_types.delete(
        organizer, request.path_params["event_id"], request.path_params["type_id"]
    )
    return Response(status_code=204)


routes = [
    Route("/events/{event_id}/ticket-types", create_ticket_type, methods=["POST"]),
    Route("/events/{event_id}/ticket-types/{type_id}", update_ticket_type, methods=["PATCH"]),
    Route("/events/{event_id}/ticket-types/{type_id}", delete_ticket_type, methods=["DELETE"]),
]
