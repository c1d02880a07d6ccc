"""The organizer's pages for an event's ticket types: add, edit (hide), reorder."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.domain import Event, Role, TicketType, User
from models.errors import Conflict, NotFound, ValidationFailed
from models.ticket_type_rules import form_values_of
from web.auth import require_user
from web.flash import flash
from web.forms import read_form
from web.services.container import services_of
from web.templating import redirect, render_form


def _organizer(request: Request) -> User:
    return require_user(request, Role.ORGANIZER)


def _form(
    request: Request,
    event: Event,
    kind: TicketType | None,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    context = {"event": event, "kind": kind, "values": values, "errors": errors}
    return render_form(request, "organizer/ticket_type_form.html", context, status)


async def new_type(request: Request) -> Response:
    organizer = _organizer(request)
    services = services_of(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    if request.method == "GET":
        return _form(request, event, None, {"price": "0"}, {})
    values = await read_form(request)
    try:
        kind = await services.ticket_types.create(organizer, event.id, values, "form")
    except ValidationFailed as exc:
        return _form(request, event, None, values, exc.fields, 422)
    flash(request, f"{kind.name} added.")
    return redirect(request, f"/organizer/events/{event.id}#ticket-types")


async def edit_type(request: Request) -> Response:
    organizer = _organizer(request)
    services = services_of(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    types = await services.ticket_types.of(event, organizer)
    kind = next((t for t in types if t.id == request.path_params["type_id"]), None)
    if kind is None:
        raise NotFound("This ticket type does not exist.")
    if request.method == "GET":
        return _form(request, event, kind, form_values_of(kind, event), {})
    values = await read_form(request)
    try:
        kind = await services.ticket_types.edit(organizer, event.id, kind.id, values, "form")
    except ValidationFailed as exc:
        return _form(request, event, kind, values, exc.fields, 422)
    except Conflict as exc:
        return _form(request, event, kind, values, {"capacity": exc.message}, 409)
    flash(request, "Changes saved.")
    return redirect(request, f"/organizer/events/{event.id}#ticket-types")


async def move_type(request: Request) -> Response:
    """Up or down one place (`by` = -1 or 1)."""
    organizer = _organizer(request)
    event_id = request.path_params["event_id"]
    values = await read_form(request)
    by = -1 if values.get("by") == "-1" else 1
    await services_of(request).ticket_types.move(
        organizer, event_id, request.path_params["type_id"], by
    )
    return redirect(request, f"/organizer/events/{event_id}#ticket-types")


routes = [
    Route("/organizer/events/{event_id}/ticket-types/new", new_type, methods=["GET", "POST"]),
    Route(
        "/organizer/events/{event_id}/ticket-types/{type_id}/edit",
        edit_type,
        methods=["GET", "POST"],
    ),
    Route("/organizer/events/{event_id}/ticket-types/{type_id}/move", move_type, methods=["POST"]),
]
