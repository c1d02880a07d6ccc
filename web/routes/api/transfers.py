"""JSON API: passing a ticket on (API.md, "Transfers")."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models.domain import Role
from models.transfers import Transfer
from web.auth import require_user
from web.routes.api.common import json_object, rfc3339, strings
from web.routes.api.tickets import ticket_json
from web.services.container import services_of


def transfer_json(transfer: Transfer) -> dict[str, Any]:
    return {
        "id": transfer.id,
        "ticket_id": transfer.ticket_id,
        "event_id": transfer.event_id,
        "registration_id": transfer.registration_id,
        "from_name": transfer.from_name,
        "to_name": transfer.to_name,
        "to_email": transfer.to_email,
        "to_account": bool(transfer.to_user_id),
        "at": rfc3339(transfer.at),
    }


async def transfer(request: Request) -> Response:
    user = require_user(request)
    body = strings(await json_object(request), "name", "email")
    services = services_of(request)
    view = await services.transfers.transfer(
        user, request.path_params["ticket_id"], body["name"], body["email"]
    )
    # The former holder may no longer fetch it: no download link in the answer.
    return JSONResponse(
        ticket_json(view, None, None), background=services.delivery.after_queueing()
    )


async def for_event(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    transfers = await services_of(request).transfers.for_event(
        organizer, request.path_params["event_id"]
    )
    return JSONResponse({"items": [transfer_json(t) for t in transfers], "next_cursor": None})


routes = [
    Route("/tickets/{ticket_id}/transfer", transfer, methods=["POST"]),
    Route("/events/{event_id}/transfers", for_event, methods=["GET"]),
]
