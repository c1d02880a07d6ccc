"""An attendee's own pages: registrations, one registration, and the checkout hold."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.domain import RegistrationStatus, utcnow
from models.errors import Conflict, Forbidden
from web.auth import require_user
from web.flash import flash
from web.services.container import Services
from web.services.registrations import attendee_may_cancel
from web.templating import redirect, render


def _services(request: Request) -> Services:
    return request.state.services


async def my_registrations(request: Request) -> Response:
    user = require_user(request)
    services = _services(request)
    page = await services.registrations.mine(user, cursor=request.query_params.get("cursor"))
    views = await services.registrations.with_events(page.items)
    context = {"views": views, "next_cursor": page.next_cursor, "now": utcnow()}
    return render(request, "my/registrations.html", context, block="results")


async def my_registration(request: Request) -> Response:
    user = require_user(request)
    view = await _services(request).registrations.get(user, request.path_params["registration_id"])
    now = utcnow()
    context = {
        "view": view,
        "may_cancel": attendee_may_cancel(view.registration, view.event, now),
        "now": now,
    }
    return render(request, "my/registration.html", context)


async def cancel_registration(request: Request) -> Response:
    user = require_user(request)
    registration_id = request.path_params["registration_id"]
    try:
        await _services(request).registrations.cancel(user, registration_id)
    except (Conflict, Forbidden) as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, "Your registration is cancelled and the seats are released.", "info")
    return redirect(request, f"/my/registrations/{registration_id}")


async def checkout(request: Request) -> Response:
    user = require_user(request)
    view = await _services(request).registrations.get(user, request.path_params["registration_id"])
    if view.registration.user_id != user.id:
        return redirect(request, f"/my/registrations/{view.registration.id}")
    if view.registration.status is not RegistrationStatus.HELD:
        return redirect(request, f"/my/registrations/{view.registration.id}")
    return render(request, "my/checkout.html", {"view": view, "now": utcnow()})


routes = [
    Route("/my/registrations", my_registrations),
    Route("/my/registrations/{registration_id}", my_registration),
    Route("/my/registrations/{registration_id}/cancel", cancel_registration, methods=["POST"]),
    Route("/checkout/{registration_id}", checkout),
]
