"""JSON API: registrations (API.md, "Registrations")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models.domain import Registration, RegistrationStatus, User
from models.errors import ValidationFailed
from models.questions import AnswersGiven
from web.auth import require_user
from web.routes.api.answers import answers_given
from web.routes.api.common import json_object, list_json, page_params, registration_json
from web.services.container import services_of


@dataclass(frozen=True)
class RegistrationBody:
    event_id: str
    quantity: int | None
    names: list[str]
    lines: list[tuple[str, int]] | None
    by_seat: bool
    answers: AnswersGiven
    promo_code: str | None = None


def _registration_body(body: dict[str, Any]) -> RegistrationBody:
    """`{event_id, quantity, attendee_names?}` (the first way) or `{event_id, items:
    [{ticket_type_id, quantity}], attendees?: [{name?, answers?}], answers?}`."""
    problems: dict[str, str] = {}
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        problems["event_id"] = "Give the id of the event."
    lines = _items(body.get("items"), problems)
    quantity = body.get("quantity")
    if ((lines is None and "items" not in problems) or quantity is not None) and (
        isinstance(quantity, bool) or not isinstance(quantity, int)
    ):
        problems["quantity"] = "Give the number of tickets as a whole number."
    if lines is not None and quantity is not None and "quantity" not in problems:
        problems["quantity"] = "Give either items or a quantity, not both."
    by_seat = body.get("attendees") is not None
    names = _attendees(body.get("attendees"), problems) if by_seat else []
    if not by_seat:
        names = body.get("attendee_names", []) or []
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            problems["attendee_names"] = "Give a list of names (text), one per ticket."
    answers = answers_given(body, problems)
    promo_code = _promo_code(body.get("promo_code"), problems)
    if problems:
        raise ValidationFailed(problems)
    return RegistrationBody(event_id, quantity, names, lines, by_seat, answers, promo_code)  # type: ignore[arg-type]


def _items(raw: Any, problems: dict[str, str]) -> list[tuple[str, int]] | None:
    if raw is None:
        return None
    lines: list[tuple[str, int]] = []
    if not isinstance(raw, list) or not raw:
        problems["items"] = "Give a list of {ticket_type_id, quantity}, at least one."
        return None
    for line in raw:
        type_id = line.get("ticket_type_id") if isinstance(line, dict) else None
        count = line.get("quantity") if isinstance(line, dict) else None
        if (
            not isinstance(type_id, str)
            or isinstance(count, bool)
            or not isinstance(count, int)
            or set(line) - {"ticket_type_id", "quantity"}
        ):
            problems["items"] = "Each item is {ticket_type_id, quantity} (a whole number)."
            return None
        lines.append((type_id, count))
    return lines


def _promo_code(raw: Any, problems: dict[str, str]) -> str | None:
    """`promo_code`: text, or null for none (API.md, "Promo codes")."""
    if raw is not None and not isinstance(raw, str):
        problems["promo_code"] = "Give the promo code as text."
        return None
    return raw


def _attendees(raw: Any, problems: dict[str, str]) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(seat, dict) for seat in raw):
        problems["attendees"] = "Give a list of {name}, one per ticket in the order of items."
        return []
    names = [seat.get("name") or "" for seat in raw]
    if not all(isinstance(name, str) for name in names):
        problems["attendees"] = "Each attendee's name is text."
    return names


async def create_registration(request: Request) -> Response:
    user = require_user(request)
    asked = _registration_body(await json_object(request))
    services = services_of(request)
    registration = await services.registrations.register(
        user,
        asked.event_id,
        asked.quantity,
        asked.names,
        asked.lines,
        by_seat=asked.by_seat,
        answers=asked.answers,
        promo_code=asked.promo_code,
    )
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
    services = services_of(request)
    registration = await services.registrations.cancel(user, request.path_params["registration_id"])
    # Seats given back may have gone to the waiting list: its offer mails go out now.
    return JSONResponse(
        await _registration_json(request, registration, user),
        background=services.delivery.after_queueing(),
    )


routes = [
    Route("/registrations", create_registration, methods=["POST"]),
    Route("/registrations", my_registrations, methods=["GET"]),
    Route("/registrations/{registration_id}", get_registration, methods=["GET"]),
    Route("/registrations/{registration_id}/cancel", cancel_registration, methods=["POST"]),
    Route(
        "/registrations/{registration_id}/simulated-payment", simulated_payment, methods=["POST"]
    ),
]
