"""JSON API: an event's promo codes (API.md, "Promo codes"), for its organizer."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models.domain import Event, Role
from models.promo_codes import PromoCode
from web.auth import require_user
from web.routes.api.common import event_part_json, json_object, rfc3339
from web.services.container import services_of


def promo_code_json(promo: PromoCode, event: Event) -> dict[str, Any]:
    return {
        "id": promo.id,
        "code": promo.code,
        "percent_off": promo.percent_off,
        "amount_off": promo.amount_off,
        "max_uses": promo.max_uses,
        "uses": promo.uses,
        "valid_from": rfc3339(promo.valid_from, event.timezone),
        "valid_until": rfc3339(promo.valid_until, event.timezone),
        "ticket_type_ids": list(promo.ticket_type_ids),
        "unlocks_hidden": promo.unlocks_hidden,
    }


async def list_promo_codes(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    services = services_of(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    promos = await services.promo_codes.of(organizer, event.id)
    items = [promo_code_json(promo, event) for promo in promos]
    return JSONResponse({"items": items, "next_cursor": None})


async def create_promo_code(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    promo = await services_of(request).promo_codes.create(
        organizer, request.path_params["event_id"], await json_object(request), "json"
    )
    return await event_part_json(request, organizer, promo, promo_code_json, 201)


async def get_promo_code(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    services = services_of(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    promo = await services.promo_codes.get(organizer, event.id, request.path_params["promo_id"])
    return JSONResponse(promo_code_json(promo, event))


async def update_promo_code(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    promo = await services_of(request).promo_codes.edit(
        organizer,
        request.path_params["event_id"],
        request.path_params["promo_id"],
        await json_object(request),
        "json",
    )
    return await event_part_json(request, organizer, promo, promo_code_json)


async def delete_promo_code(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    await services_of(request).promo_codes.delete(
        organizer, request.path_params["event_id"], request.path_params["promo_id"]
    )
    return Response(status_code=204)


routes = [
    Route("/events/{event_id}/promo-codes", create_promo_code, methods=["POST"]),
    Route("/events/{event_id}/promo-codes", list_promo_codes, methods=["GET"]),
    Route("/events/{event_id}/promo-codes/{promo_id}", get_promo_code, methods=["GET"]),
    Route("/events/{event_id}/promo-codes/{promo_id}", update_promo_code, methods=["PATCH"]),
    Route("/events/{event_id}/promo-codes/{promo_id}", delete_promo_code, methods=["DELETE"]),
]
