"""The waiting list's pages (issue 14): join from the event page, leave, take a free offer,
and the organizer's list with its offer by hand. The use cases are web/services/waitlist.py,
the same the JSON API calls."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.domain import Event, Role, User, utcnow
from models.errors import Conflict, SeatsAvailable, ValidationFailed, WaitlistClosed
from models.waitlist import EntryStatus
from web.auth import require_user
from web.flash import flash
from web.forms import read_form, safe_next
from web.routes.pages import page_context
from web.routes.waitlist_box import WaitlistForm
from web.services.container import services_of
from web.services.payments import HoldExpired
from web.services.waitlist import PaymentRequired
from web.templating import is_fragment_request, redirect, render

# Said on the event page in the attendee's words, instead of the API's.
REFUSALS = {
    SeatsAvailable: "Seats are on sale again: book them below instead of waiting.",
    WaitlistClosed: "This event's waiting list is closed.",
}


async def join(request: Request) -> Response:
    user = require_user(request)
    services = services_of(request)
    event_id = request.path_params["event_id"]
    values = await read_form(request)
    typed = values.get("quantity", "").strip()
    # Not a number: the service says so next to the field.
    quantity: object = int(typed) if typed.lstrip("-").isdigit() else typed
    try:
        view = await services.waitlist.join(
            user, event_id, quantity, values.get("ticket_type_id") or None
        )
    except (ValidationFailed, Conflict) as exc:
        event = await services.events.visible(event_id, user)
        return await _refused(request, event, values, exc)
    if view.status is EntryStatus.OFFERED:  # seats were free for it at once
        flash(request, "Seats came free for you: take them before the offer runs out.")
        return redirect(request, f"/my/registrations/{view.entry.registration_id}")
    if is_fragment_request(request):
        # The box itself says the place. (An HX-Redirect to this page's own address and
        # `#waitlist` would only scroll: a fragment change does not load the page.)
        context = await page_context(request, view.event)
        return render(request, "events/detail.html", context, block="register")
    flash(request, f"You are number {view.position} on the waiting list.")
    return redirect(request, f"/events/{event_id}#waitlist")


async def _refused(
    request: Request, event: Event, values: dict[str, str], exc: ValidationFailed | Conflict
) -> Response:
    if isinstance(exc, ValidationFailed):
        form = WaitlistForm(values, dict(exc.fields))
        status = 422
    else:
        form = WaitlistForm(values, message=REFUSALS.get(type(exc), exc.message))
        status = 409
    context = await page_context(request, event, waitlist_form=form)
    return render(request, "events/detail.html", context, status_code=status, block="register")


async def leave(request: Request) -> Response:
    user = require_user(request)
    values = await read_form(request)
    try:
        await services_of(request).waitlist.leave(user, request.path_params["entry_id"])
    except Conflict as exc:  # no longer waiting: offered meanwhile, or left already
        flash(request, exc.message, "error")
    else:
        flash(request, "You left the waiting list.")
    return redirect(request, safe_next(values.get("next"), "/my/registrations"))


async def accept(request: Request) -> Response:
    """Take a waiting-list offer: a free one is confirmed here, a paid one is paid at the
    checkout like any hold."""
    user = require_user(request)
    services = services_of(request)
    registration_id = request.path_params["registration_id"]
    try:
        registration = await services.waitlist.confirm(user, registration_id)
    except PaymentRequired:
        return redirect(request, f"/checkout/{registration_id}")
    except HoldExpired:
        flash(request, "This offer ran out: the seats went to the next person waiting.", "error")
        return redirect(request, f"/my/registrations/{registration_id}")
    flash(request, "The seats are yours: your tickets are ready.")
    response = redirect(request, f"/my/registrations/{registration.id}")
    response.background = services.delivery.after_answer(registration.id)
    return response


# -- the organizer's side ---------------------------------------------------------------


def _organizer(request: Request) -> User:
    return require_user(request, Role.ORGANIZER)


async def organizer_list(request: Request) -> Response:
    organizer = _organizer(request)
    return await _organizer_page(request, organizer, request.path_params["event_id"])


async def _organizer_page(
    request: Request, organizer: User, event_id: str, message: str | None = None
) -> Response:
    services = services_of(request)
    views = await services.waitlist.for_event(organizer, event_id)
    event = await services.events.owned(organizer, event_id)
    types = {kind.id: kind for kind in await services.ticket_types.of(event, organizer)}
    context = {
        "event": views[0].event if views else event,
        "views": views,
        "types": types,
        "waiting": sum(1 for view in views if view.status is EntryStatus.WAITING),
        "message": message,
    }
    return render(request, "organizer/waitlist.html", context, status_code=409 if message else 200)


async def offer(request: Request) -> Response:
    organizer = _organizer(request)
    services = services_of(request)
    event_id = request.path_params["event_id"]
    try:
        registration = await services.waitlist.offer(
            organizer, event_id, request.path_params["entry_id"]
        )
    except (Conflict, ValidationFailed) as exc:
        return await _organizer_page(request, organizer, event_id, exc.message)
    event = await services.events.owned(organizer, event_id)
    until = registration.hold_expires_at or utcnow()
    flash(
        request,
        f"Seats offered to {registration.buyer_name}: we mailed them, and the seats are "
        f"held for them until {until.astimezone(event.zone):%d %b %H:%M} ({event.timezone}).",
    )
    response = redirect(request, f"/organizer/events/{event_id}/waitlist")
    response.background = services.delivery.after_queueing()
    return response


routes = [
    Route("/events/{event_id}/waitlist", join, methods=["POST"]),
    Route("/my/waitlist/{entry_id}/leave", leave, methods=["POST"]),
    Route("/my/registrations/{registration_id}/accept", accept, methods=["POST"]),
    Route("/organizer/events/{event_id}/waitlist", organizer_list),
    Route("/organizer/events/{event_id}/waitlist/{entry_id}/offer", offer, methods=["POST"]),
]
