"""The organizer's messages page (write one, see those sent) and the attendee's one-click
unsubscribe page behind a mail's signed link."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.domain import Event, Role
from models.errors import TooManyAttempts, ValidationFailed
from models.messages import AUDIENCE_LABELS
from web.auth import require_user
from web.flash import flash
from web.forms import read_form
from web.services.container import services_of
from web.templating import redirect, render


async def _page(
    request: Request,
    event: Event,
    values: dict[str, str],
    errors: dict[str, str],
    refusal: str | None = None,
    status: int = 200,
) -> Response:
    services = services_of(request)
    organizer = require_user(request, Role.ORGANIZER)
    _, sent = await services.messages.of(organizer, event.id)
    context = {
        "event": event,
        "values": values,
        "errors": errors,
        "refusal": refusal,
        "messages": sent,
        "audiences": [(a.value, label) for a, label in AUDIENCE_LABELS.items()],
        "labels": AUDIENCE_LABELS,
        "per_day": services.messages.per_day,
    }
    block = "form" if status != 200 else None
    return render(request, "organizer/messages.html", context, status_code=status, block=block)


async def messages_page(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    services = services_of(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    if request.method == "GET":
        return await _page(request, event, {"to": "confirmed"}, {})
    values = await read_form(request)
    try:
        message = await services.messages.send(organizer, event.id, values, "form")
    except ValidationFailed as exc:
        return await _page(request, event, values, dict(exc.fields), status=422)
    except TooManyAttempts as exc:
        return await _page(request, event, values, {}, refusal=exc.message, status=429)
    count = message.recipients
    flash(request, f"Message queued for {count} recipient{'' if count == 1 else 's'}.")
    response = redirect(request, f"/organizer/events/{event.id}/messages")
    response.background = services.messages.after_sending()
    return response


async def unsubscribe(request: Request) -> Response:
    """GET: what the link does and a button (mail scanners that follow links change
    nothing); POST: the form's button, or a mail client's one-click (RFC 8058)."""
    messages = services_of(request).messages
    token = request.path_params["token"]
    if request.method == "GET":
        organizer, _ = await messages.unsubscribing(token)
        context = {"organizer": organizer, "token": token, "done": False}
        return render(request, "messages/unsubscribe.html", context)
    organizer = await messages.unsubscribe(token)
    context = {"organizer": organizer, "token": token, "done": True}
    return render(request, "messages/unsubscribe.html", context)


routes = [
    Route("/organizer/events/{event_id}/messages", messages_page, methods=["GET", "POST"]),
    Route("/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"]),
]
