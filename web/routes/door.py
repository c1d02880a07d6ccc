"""The door: the scanner page, its progress counter, and assigning door staff."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.domain import Role
from models.errors import ValidationFailed
from web.auth import require_user
from web.flash import flash
from web.forms import read_form
from web.services.container import Services
from web.templating import redirect, render


def _services(request: Request) -> Services:
    return request.state.services


async def door_index(request: Request) -> Response:
    """The events this person may check tickets for: door staff's and organizer's own."""
    user = require_user(request)
    events = await _services(request).tickets.door_events(user)
    return render(request, "door/index.html", {"events": events})


async def scanner(request: Request) -> Response:
    user = require_user(request)
    event, admitted, total = await _services(request).tickets.door(
        user, request.path_params["event_id"]
    )
    context = {"event": event, "admitted": admitted, "total": total}
    return render(request, "door/scanner.html", context)


async def progress(request: Request) -> Response:
    user = require_user(request)
    _, admitted, total = await _services(request).tickets.door(
        user, request.path_params["event_id"]
    )
    return render(request, "door/_progress.html", {"admitted": admitted, "total": total})


async def add_door_staff(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    services = _services(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    values = await read_form(request)
    try:
        staff = await services.tickets.add_door_staff(organizer, event, values.get("email", ""))
    except ValidationFailed as exc:
        flash(request, exc.fields.get("email", exc.message), "error")
    else:
        flash(request, f"{staff.name} ({staff.email}) can now check tickets at the door.")
    return redirect(request, f"/organizer/events/{event.id}#door-staff")


routes = [
    Route("/door", door_index),
    Route("/door/{event_id}", scanner),
    Route("/door/{event_id}/progress", progress),
    Route("/organizer/events/{event_id}/door-staff", add_door_staff, methods=["POST"]),
]
