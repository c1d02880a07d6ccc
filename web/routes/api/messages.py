"""JSON API: an event's messages to its attendees (API.md, "Figures"), for its organizer."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models.domain import Event, Role
from models.messages import Message
from web.auth import require_user
from web.routes.api.common import json_object, rfc3339
from web.services.container import services_of


def message_json(message: Message, event: Event) -> dict[str, Any]:
    return {
        "id": message.id,
        "subject": message.subject,
        "to": message.audience.value,
        "recipients": message.recipients,
        "sent": message.sent,
        "skipped": message.skipped,
        "status": message.state.value,
        "created_at": rfc3339(message.created_at, event.timezone),
    }


async def send_message(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    messages = services_of(request).messages
    message = await messages.send(
        organizer, request.path_params["event_id"], await json_object(request), "json"
    )
    return JSONResponse(
        {"id": message.id, "recipients": message.recipients},
        status_code=202,
        background=messages.after_sending(),
    )


async def list_messages(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    event, found = await services_of(request).messages.of(
        organizer, request.path_params["event_id"]
    )
    return JSONResponse({"items": [message_json(m, event) for m in found], "next_cursor": None})


routes = [
    Route("/events/{event_id}/messages", send_message, methods=["POST"]),
    Route("/events/{event_id}/messages", list_messages, methods=["GET"]),
]
