"""The organizer's dashboard: events, their figures and registrations, and the forms."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from models.domain import Event, RegistrationStatus, Role, User
from models.errors import Conflict, ValidationFailed
from models.event_rules import CATEGORIES, form_values_of, timezones
from models.store import RegistrationQuery
from web.auth import require_user
from web.flash import flash
from web.forms import read_form
from web.rendering.charts import sparkline
from web.routes.organizer_figures import figures_context
from web.services.container import services_of
from web.services.events import clean_search
from web.services.questions import question_context
from web.templating import redirect, render

FORM_DEFAULTS = {
    "timezone": "Europe/Lisbon",
    "currency": "EUR",
    "price": "0",
    "capacity": "100",
    "max_per_registration": "10",
    "category": "other",
    "cancellation_hours": "24",
    "max_per_account": "10",
    "transfers_allowed": "on",
    # A form sends a box only ticked: the list is on unless the organizer unticks it.
    "waitlist_enabled": "on",
    "waitlist_offer_hours": "24",
}


def _organizer(request: Request) -> User:
    return require_user(request, Role.ORGANIZER)


def _form_context(
    values: dict[str, str], errors: dict[str, str], **extra: object
) -> dict[str, object]:
    return {
        "values": values,
        "errors": errors,
        "categories": CATEGORIES,
        "timezones": timezones(),
        **extra,
    }


async def dashboard(request: Request) -> Response:
    organizer = _organizer(request)
    services = services_of(request)
    page = await services.events.organized_by(organizer, cursor=request.query_params.get("cursor"))
    context = {
        "page": page,
        "lines": await services.figures.lines(page.items),
        "sparkline": sparkline,
        # The totals head the first page only; "Load more" appends rows.
        "totals": None
        if request.query_params.get("cursor")
        else await services.figures.totals(organizer),
    }
    return render(request, "organizer/index.html", context, block="results")


async def new_event(request: Request) -> Response:
    organizer = _organizer(request)
    if request.method == "GET":
        context = _form_context(dict(FORM_DEFAULTS), {}, event=None)
        return render(request, "organizer/event_form.html", context)
    values = await read_form(request)
    try:
        event = await services_of(request).events.create(organizer, values, "form")
    except ValidationFailed as exc:
        context = _form_context(values, exc.fields, event=None)
        return render(request, "organizer/event_form.html", context, status_code=422, block="form")
    flash(request, "Draft saved. Check the details, then publish it to open registration.")
    return redirect(request, f"/organizer/events/{event.id}")


async def edit_event(request: Request) -> Response:
    organizer = _organizer(request)
    services = services_of(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    if request.method == "GET":
        context = _form_context(form_values_of(event), {}, event=event)
        return render(request, "organizer/event_form.html", context)
    values = await read_form(request)
    try:
        event = await services.events.edit(organizer, event.id, values, "form")
    except ValidationFailed as exc:
        context = _form_context(values, exc.fields, event=event)
        return render(request, "organizer/event_form.html", context, status_code=422, block="form")
    except Conflict as exc:
        context = _form_context(values, {"capacity": exc.message}, event=event)
        return render(request, "organizer/event_form.html", context, status_code=409, block="form")
    flash(request, "Changes saved.")
    return redirect(request, f"/organizer/events/{event.id}")


def _registration_filters(request: Request) -> tuple[dict[str, str], RegistrationQuery]:
    params = request.query_params
    filters = {"q": params.get("q", ""), "status": params.get("status", "")}
    try:
        status = RegistrationStatus(filters["status"]) if filters["status"] else None
    except ValueError:
        status = None
        filters["status"] = ""
    return filters, RegistrationQuery(text=clean_search(filters["q"]), status=status)


async def event_dashboard(request: Request) -> Response:
    organizer = _organizer(request)
    event = await services_of(request).events.owned(organizer, request.path_params["event_id"])
    context = await _dashboard_context(request, organizer, event)
    return render(request, "organizer/event.html", context, block="registrations")


async def _dashboard_context(
    request: Request, organizer: User, event: Event, **extra: object
) -> dict[str, object]:
    services = services_of(request)
    filters, query = _registration_filters(request)
    page = await services.registrations.for_event(
        organizer, event.id, query, cursor=request.query_params.get("cursor")
    )
    more_url = None
    if page.next_cursor:
        chosen = {name: value for name, value in filters.items() if value}
        more_url = f"/organizer/events/{event.id}?" + urlencode(
            {**chosen, "cursor": page.next_cursor}
        )
    dashboard = await services.figures.dashboard(organizer, event.id)
    context = {
        **figures_context(request, dashboard),
        "event": dashboard.event,
        "page": page,
        "filters": filters,
        "statuses": [s.value for s in RegistrationStatus],
        "more_url": more_url,
        "appending": bool(request.query_params.get("cursor")),
        "door_staff": await services.door_staff.entries(organizer, event),
        "ticket_types": await services.ticket_types.of(event, organizer),
        **await question_context(services.questions, event),
        "promo_codes": await services.promo_codes.of(organizer, event.id),
        "transfers": await services.transfers.for_event(organizer, event.id),
        "staff_values": {},
        "staff_errors": {},
        **extra,
    }
    return context


async def add_door_staff(request: Request) -> Response:
    organizer = _organizer(request)
    services = services_of(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    values = await read_form(request)
    try:
        entry = await services.door_staff.add(organizer, event, values.get("email", ""))
    except ValidationFailed as exc:
        context = await _dashboard_context(
            request, organizer, event, staff_values=values, staff_errors=exc.fields
        )
        return render(request, "organizer/event.html", context, status_code=422)
    # The same words whether or not the address has an account (no account enumeration).
    flash(
        request,
        f"We mailed {entry.email}: with an Admit account on that address they can check "
        "tickets at the door.",
    )
    return redirect(request, f"/organizer/events/{event.id}#door-staff")


async def remove_door_staff(request: Request) -> Response:
    """GET: the confirmation page; POST: take their access back."""
    organizer = _organizer(request)
    services = services_of(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    entry_id = request.path_params["entry_id"]
    if request.method == "GET":
        entry = await services.door_staff.entry(organizer, event, entry_id)
        context = {"event": event, "entry": entry}
        return render(request, "organizer/remove_door_staff.html", context)
    entry = await services.door_staff.remove(organizer, event, entry_id)
    flash(request, f"{entry.email} can no longer check tickets for this event.")
    return redirect(request, f"/organizer/events/{event.id}#door-staff")


async def publish_event(request: Request) -> Response:
    organizer = _organizer(request)
    event_id = request.path_params["event_id"]
    try:
        await services_of(request).events.publish(organizer, event_id)
    except (Conflict, ValidationFailed) as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, "Published: the event is on sale.")
    return redirect(request, f"/organizer/events/{event_id}")


async def cancel_event(request: Request) -> Response:
    organizer = _organizer(request)
    services = services_of(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    if request.method == "GET":
        return render(request, "organizer/cancel.html", {"event": event})
    await services.registrations.cancel_event(organizer, event.id)
    flash(request, "The event is cancelled. Confirmed attendees have been told by mail.", "info")
    return redirect(request, f"/organizer/events/{event.id}")


async def export_csv(request: Request) -> Response:
    organizer = _organizer(request)
    event, lines = await services_of(request).exports.registrations_csv(
        organizer, request.path_params["event_id"]
    )
    filename = f"registrations-{event.id}.csv"
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


routes = [
    Route("/organizer", dashboard),
    Route("/organizer/events/new", new_event, methods=["GET", "POST"]),
    Route("/organizer/events/{event_id}", event_dashboard),
    Route("/organizer/events/{event_id}/edit", edit_event, methods=["GET", "POST"]),
    Route("/organizer/events/{event_id}/publish", publish_event, methods=["POST"]),
    Route("/organizer/events/{event_id}/cancel", cancel_event, methods=["GET", "POST"]),
    Route("/organizer/events/{event_id}/registrations.csv", export_csv),
    Route("/organizer/events/{event_id}/door-staff", add_door_staff, methods=["POST"]),
    Route(
        "/organizer/events/{event_id}/door-staff/{entry_id}/remove",
        remove_door_staff,
        methods=["GET", "POST"],
    ),
]
