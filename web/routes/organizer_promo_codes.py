"""The organizer's pages for an event's promo codes: add, edit, delete."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.domain import Event, Role, User
from models.errors import Conflict, ValidationFailed
from models.promo_codes import PromoCode, form_to_raw, form_values_of
from web.auth import require_user
from web.flash import flash
from web.services.container import services_of
from web.templating import redirect, render_form


def _organizer(request: Request) -> User:
    return require_user(request, Role.ORGANIZER)


async def _read(request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    """What was typed (to show again) and the fields it means."""
    form = await request.form()
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    type_ids = [v for v in form.getlist("ticket_type_ids") if isinstance(v, str)]
    values["ticket_type_ids"] = type_ids
    return values, form_to_raw(values, type_ids)


async def _form(
    request: Request,
    event: Event,
    promo: PromoCode | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    types = await services_of(request).store.list_ticket_types(event.id)
    # The form's own names for the two ways of giving a discount.
    for field in ("percent_off", "amount_off"):
        if field in errors:
            errors.setdefault("off", errors[field])
    context = {
        "event": event,
        "promo": promo,
        "types": types,
        "values": values,
        "errors": errors,
    }
    return render_form(request, "organizer/promo_code_form.html", context, status)


async def new_code(request: Request) -> Response:
    organizer = _organizer(request)
    services = services_of(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    if request.method == "GET":
        return await _form(request, event, None, {"kind": "percent", "ticket_type_ids": []}, {})
    values, raw = await _read(request)
    try:
        promo = await services.promo_codes.create(organizer, event.id, raw, "form")
    except ValidationFailed as exc:
        return await _form(request, event, None, values, dict(exc.fields), 422)
    except Conflict as exc:
        return await _form(request, event, None, values, {"code": exc.message}, 409)
    flash(request, f"Code {promo.code} added.")
    return redirect(request, f"/organizer/events/{event.id}#promo-codes")


async def edit_code(request: Request) -> Response:
    organizer = _organizer(request)
    services = services_of(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    promo = await services.promo_codes.get(organizer, event.id, request.path_params["promo_id"])
    if request.method == "GET":
        return await _form(request, event, promo, form_values_of(promo, event), {})
    values, raw = await _read(request)
    try:
        promo = await services.promo_codes.edit(organizer, event.id, promo.id, raw, "form")
    except ValidationFailed as exc:
        return await _form(request, event, promo, values, dict(exc.fields), 422)
    except Conflict as exc:
        return await _form(request, event, promo, values, {"code": exc.message}, 409)
    flash(request, "Changes saved.")
    return redirect(request, f"/organizer/events/{event.id}#promo-codes")


async def delete_code(request: Request) -> Response:
    organizer = _organizer(request)
    event_id = request.path_params["event_id"]
    await services_of(request).promo_codes.delete(
        organizer, event_id, request.path_params["promo_id"]
    )
    flash(request, "Code deleted.")
    return redirect(request, f"/organizer/events/{event_id}#promo-codes")


routes = [
    Route("/organizer/events/{event_id}/promo-codes/new", new_code, methods=["GET", "POST"]),
    Route(
        "/organizer/events/{event_id}/promo-codes/{promo_id}/edit",
        edit_code,
        methods=["GET", "POST"],
    ),
    Route(
        "/organizer/events/{event_id}/promo-codes/{promo_id}/delete",
        delete_code,
        methods=["POST"],
    ),
]
