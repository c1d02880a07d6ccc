"""Public pages: upcoming events with search, an event's page, and registering for it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from models.domain import Event, TicketType, utcnow
from models.errors import Conflict, ValidationFailed
from models.event_rules import CATEGORIES
from models.promo_codes import PromoCodeUsedUp
from models.ticket_type_rules import order_total
from web.auth import current_user, require_user
from web.forms import read_form
from web.routes.attendee_answers import answers_from_form, form_context
from web.routes.waitlist_box import waitlist_box
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


async def page_context(request: Request, event: Event, **extra: object) -> dict[str, object]:
    now = utcnow()
    services = services_of(request)
    given = extra.get("values") or {}
    assert isinstance(given, Mapping)
    types, questions = await asyncio.gather(
        services.ticket_types.offered(event, current_user(request), given.get("promo_code")),
        services.questions.of(event),
    )
    values = _carried(given, types)
    total, seats = order_total(types, _lines(values) or [])
    quote = await services.promo_codes.quote(
        event, types, _lines(values), _quantity(values), values.get("promo_code")
    )
    # A refused join brings what was typed and why (`waitlist_form`).
    box = await waitlist_box(request, event, types, now, extra.get("waitlist_form"))
    return {
        **form_context(event, types, questions, values),
        "event": event,
        "waitlist": box,
        "errors": {},
        "on_sale": event.is_on_sale(now),
        "now": now,
        "types": types,
        "total": total,
        "seats": seats,
        "quote": quote,
        **extra,
        "values": values,
    }


def _carried(values: Mapping[str, str], types: list[TicketType]) -> dict[str, str]:
    """What was typed, with the tickets chosen carried across a change of form: a code
    unlocking hidden types turns the bare quantity into one per type, and back."""
    carried = dict(values)
    visible = [kind for kind in types if not kind.hidden]
    per_type = any(name.startswith("qty.") for name in carried)
    if len(types) > 1 and not per_type and "quantity" in carried and len(visible) == 1:
        carried[f"qty.{visible[0].id}"] = carried.pop("quantity")
    elif len(types) == 1 and per_type and "quantity" not in carried:
        carried["quantity"] = carried.get(f"qty.{types[0].id}", "1")
        carried = {name: value for name, value in carried.items() if not name.startswith("qty.")}
    return carried


async def event_detail(request: Request) -> Response:
    event = await services_of(request).events.visible(
        request.path_params["event_id"], current_user(request)
    )
    return render(request, "events/detail.html", await page_context(request, event))


async def order_total_fragment(request: Request) -> Response:
    """The total of the quantities chosen, as the page shows it while they change."""
    event = await services_of(request).events.visible(
        request.path_params["event_id"], current_user(request)
    )
    values = dict(request.query_params)
    context = await page_context(request, event, values=values)
    return render(request, "events/_total.html", context)


async def promo_fragment(request: Request) -> Response:
    """The promo code field after "Apply": the code's discount on the tickets chosen,
    or why it does not apply, next to what was typed."""
    event = await services_of(request).events.visible(
        request.path_params["event_id"], current_user(request)
    )
    values = dict(request.query_params)
    context = await page_context(request, event, values=values)
    return render(request, "events/_promo_applied.html", context)


def _quantity(values: Mapping[str, str]) -> int | None:
    try:
        return int(values.get("quantity", ""))
    except ValueError:
        return None


def _lines(values: Mapping[str, str]) -> list[tuple[str, int]] | None:
    """The quantity chosen of each type (`qty.<type id>` fields), or None without any."""
    lines = []
    for name, raw in values.items():
        if name.startswith("qty."):
            try:
                count = int(raw)
            except ValueError:
                count = -1
            lines.append((name[4:], count))
    return lines or None


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
    lines = _lines(values)
    quantity: int | None = None
    if lines is None:
        try:
            quantity = int(values.get("quantity", ""))
        except ValueError:
            quantity = 0
    else:  # a form sends every type: the ones left at 0 are not asked for
        lines = [line for line in lines if line[1]] or [(lines[0][0], 0)]
    answers, seat_names = answers_from_form(values)
    try:
        registration = await services.registrations.register(
            user,
            event_id,
            quantity,
            _names(values.get("attendee_names", "")) if seat_names is None else seat_names,
            lines,
            by_seat=seat_names is not None,
            answers=answers,
            source="form",
            promo_code=values.get("promo_code"),
        )
    except (ValidationFailed, Conflict) as exc:
        event = await services.events.visible(event_id, user)
        errors = exc.fields if isinstance(exc, ValidationFailed) else {}
        message = None if isinstance(exc, ValidationFailed) else exc.message
        if isinstance(exc, PromoCodeUsedUp):  # said next to the field
            errors, message = {"promo_code": exc.message}, None
        status = 422 if isinstance(exc, ValidationFailed) else 409
        context = await page_context(request, event, values=values, errors=errors, message=message)
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
    Route("/events/{event_id}/total", order_total_fragment),
    Route("/events/{event_id}/promo", promo_fragment),
    Route("/events/{event_id}/register", register, methods=["POST"]),
    Route("/healthz", health),
]
