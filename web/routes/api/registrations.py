"""JSON API: registrations (API.md, "Registrations")."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models.domain import Registration, RegistrationStatus, User
from models.errors import ValidationFailed
from web.auth import require_user
from web.routes.api.common import json_object, list_json, page_params, registration_json
from web.services.container import services_of


def _registration_body(body: dict[str, Any]) -> tuple[str, int, list[str]]:
    problems: dict[str, str] = {}
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        problems["event_id"] = "Give the id of the event."
    quantity = body.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        problems["quantity"] = "Give the number of tickets as a whole number."
    names = body.get("attendee_names", [])
    if names is None:
        names = []
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        problems["attendee_names"] = "Give a list of names (text), one per ticket."
    if problems:
        raise ValidationFailed(problems)
    return event_id, quantity, names  # type: ignore[return-value]


async def create_registration(request: Request) -> Response:
    user = require_user(request)
    event_id, quantity, names = _registration_body(await json_object(request))
    services = services_of(request)
    registration = await services.registrations.register(user, event_id, quantity, names)
    body = await _registration_json(request, registration, user)
    delivery = services.delivery.after_registering(registration)
    return JSONResponse(body, status_code=201, background=delivery)


async def _registration_json(
    request: Request, registration: Registration, viewer: User
) -> dict[str, Any]:
    services = services_of(request)
    tickets = []
    if registration.status is RegistrationStatus.CONFIRMED:
        tickets = await services.tickets.for_registration(registration)
    body = registration_json(registration, services.payments.name, [t.id for t in tickets])
    # The client secret lets its holder pay, and see the payment: the payer's alone, never
    # the organizer's view of someone else's registration.
    if (
        body["payment"]
        and registration.status is RegistrationStatus.HELD
        and viewer.id == registration.user_id
    ):
        started = await services.payments.start(registration)
        extra = {"client_secret": started.client_secret, "publishable_key": started.publishable_key}
        body["payment"].update({k: v for k, v in extra.items() if v})
    return body


async def simulated_payment(request: Request) -> Response:
    user = require_user(request)
    body = await json_object(request)
    card = body.get("card_number")
    authenticate = body.get("authenticate")
    if not isinstance(card, str):
        raise ValidationFailed({"card_number": "Give the card number as text."})
    if authenticate not in (None, "approve", "fail"):
        raise ValidationFailed({"authenticate": "Use approve or fail."})
    services = services_of(request)
    applied = await services.payments.pay_simulated(
        user, request.path_params["registration_id"], card, authenticate
    )
    body = await _registration_json(request, applied.registration, user)
    return JSONResponse(body, background=services.delivery.after_answer(applied.to_deliver))


async def my_registrations(request: Request) -> Response:
    user = require_user(request)
    limit, cursor = page_params(request)
    page = await services_of(request).registrations.mine(user, limit, cursor)
    items = [await _registration_json(request, r, user) for r in page.items]
    return JSONResponse(list_json(items, page.next_cursor))


async def get_registration(request: Request) -> Response:
    user = require_user(request)
    view = await services_of(request).registrations.get(
        user, request.path_params["registration_id"]
    )
    return JSONResponse(await _registration_json(request, view.registration, user))


async def cancel_registration(request: Request) -> Response:
    user = require_user(request)
    registration = await services_of(request).registrations.cancel(
        user, request.path_params["registration_id"]
    )
    return JSONResponse(await _registration_json(request, registration, user))


routes = [
    Route("/registrations", create_registration, methods=["POST"]),
    Route("/registrations", my_registrations, methods=["GET"]),
    Route("/registrations/{registration_id}", get_registration, methods=["GET"]),
    Route("/registrations/{registration_id}/cancel", cancel_registration, methods=["POST"]),
    Route(
        "/registrations/{registration_id}/simulated-payment", simulated_payment, methods=["POST"]
    ),
]
