"""JSON API: an event's registration questions (API.md, "Questions")."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models.domain import Role
from web.auth import require_user
from web.routes.api.answers import question_json
from web.routes.api.common import json_object
from web.services.container import services_of


async def create_question(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    question = await services_of(request).questions.create(
        organizer, request.path_params["event_id"], await json_object(request), "json"
    )
    return JSONResponse(question_json(question), status_code=201)


async def update_question(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    question = await services_of(request).questions.edit(
        organizer,
        request.path_params["event_id"],
        request.path_params["question_id"],
        await json_object(request),
        "json",
    )
    return JSONResponse(question_json(question))


async def delete_question(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    await services_of(request).questions.delete(
        organizer, request.path_params["event_id"], request.path_params["question_id"]
    )
    return Response(status_code=204)


routes = [
    Route("/events/{event_id}/questions", create_question, methods=["POST"]),
    Route("/events/{event_id}/questions/{question_id}", update_question, methods=["PATCH"]),
    Route("/events/{event_id}/questions/{question_id}", delete_question, methods=["DELETE"]),
]
