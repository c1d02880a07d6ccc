"""Public pages: upcoming events with search, an event's page, and registering for it."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from models.domain import utcnow
from models.errors import Conflict, ValidationFailed
from models.event_rules import CATEGORIES
from web.auth import current_user, require_user
from web.forms import read_form
from web.services.container import services_of
from web.services.events import parse_event_query
from web.templating import redirect, render

FILTERS = ("q", "category", "from", "to", "free")


async def home(request: Request) -> Response:
    params = request.query_params
    filters = {name: params.get(name, "") for name in FILTERS}
    context: dict[str, object] = {"filters": filters, "categories": CATEGORIES}
    try:
        query = parse_event_query(
            filters["q"], filters["category"], filters["from"], filters["to"], filters["free"]
        )
    except ValidationFailed as exc:
        context.update(page=None, errors=exc.fields)
        return render(request, "events/index.html", context, status_code=422, block="results")
    page = await services_of(request).events.upcoming(query, cursor=params.get("cursor"))
    more_url = None
    if page.next_cursor:
        chosen = {name: value for name, value in filters.items() if value}
        more_url = "/?" + urlencode({**chosen, "cursor": page.next_cursor})
    context.update(page=page, errors={}, searching=any(filters.values()), more_url=more_url)
    return render(request, "events/index.html", context, block="results")


async def event_detail(request: Request) -> Response:
    event = await services_of(request).events.visible(
        request.path_params["event_id"], current_user(request)
    )
    context = {"event": event, "values": {}, "errors": {}, "on_sale": event.is_on_sale(utcnow())}
    return render(request, "events/detail.html", context)


async def event_seats(request: Request) -> Response:
    """The seats-left badge alone, polled by the event page so it stays truthful."""
    event = await services_of(request).events.visible(
        request.path_params["event_id"], current_user(request)
    )
    return render(request, "events/_seats.html", {"event": event})


def _names(raw: str) -> list[str]:
    return [line.strip() for line in raw.splitlines() if line.strip()]


async def register(request: Request) -> Response:
    user = require_user(request)
    services = services_of(request)
    event_id = request.path_params["event_id"]
    values = await read_form(request)
    try:
        quantity = int(values.get("quantity", ""))
    except ValueError:
        quantity = 0
    try:
        registration = await services.registrations.register(
            user, event_id, quantity, _names(values.get("attendee_names", ""))
        )
    except (ValidationFailed, Conflict) as exc:
        event = await services.events.visible(event_id, user)
        errors = exc.fields if isinstance(exc, ValidationFailed) else {}
        message = None if isinstance(exc, ValidationFailed) else exc.message
        status = 422 if isinstance(exc, ValidationFailed) else 409
        context = {
            "event": event,
            "values": values,
            "errors": errors,
            "message": message,
            "on_sale": event.is_on_sale(utcnow()),
        }
        return render(request, "events/detail.html", context, status_code=status, block="register")
    if registration.is_free:
        response = redirect(request, f"/my/registrations/{registration.id}")
        response.background = services.delivery.after_registering(registration)
        return response
    return redirect(request, f"/checkout/{registration.id}")


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")


routes = [
    Route("/", home),
    Route("/events/{event_id}", event_detail),
    Route("/events/{event_id}/seats", event_seats),
    Route("/events/{event_id}/register", register, methods=["POST"]),
    Route("/healthz", health),
]
