"""Passing a ticket on, as a page: the form behind the ticket's "Pass this ticket on"
(name and email). The organizer's record of transfers is on the event's page
(templates/organizer/_transfers.html)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.errors import AdmitError, ValidationFailed
from web.auth import require_user
from web.flash import flash
from web.services.container import services_of
from web.templating import redirect, render_form


async def transfer_ticket(request: Request) -> Response:
    """GET: the form (or why the ticket cannot be passed on); POST: pass it on."""
    user = require_user(request)
    services = services_of(request)
    ticket_id = request.path_params["ticket_id"]
    view, refusal = await services.transfers.form(user, ticket_id)
    context: dict[str, object] = {"view": view, "refusal": refusal, "values": {}, "errors": {}}
    if request.method == "GET":
        return render_form(request, "tickets/transfer.html", context)
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in ("name", "email")}
    try:
        moved = await services.transfers.transfer(user, ticket_id, values["name"], values["email"])
    except ValidationFailed as exc:
        return render_form(
            request,
            "tickets/transfer.html",
            {**context, "values": values, "errors": exc.fields},
            422,
        )
    except AdmitError as exc:  # used, void or locked meanwhile: say so, keep what was typed
        context = {**context, "values": values, "refusal": exc}
        return render_form(request, "tickets/transfer.html", context, exc.status)
    flash(
        request,
        f"Your ticket for {moved.event.title} is now {moved.ticket.attendee_name}'s: we mailed "
        f"it to {values['email'].strip()}. The code you had no longer works.",
    )
    response = redirect(request, "/my/tickets")
    response.background = services.delivery.after_queueing()
    return response


routes = [
    Route("/tickets/{ticket_id}/transfer", transfer_ticket, methods=["GET", "POST"]),
]
