"""Ticket pages (my tickets, one ticket with its QR, the PDF) and local file links."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from models.domain import utcnow
from models.errors import NotFound
from web.adapters.files.local import LinkRefused, LocalFiles
from web.auth import current_user, require_user
from web.services.container import services_of
from web.templating import render

# Pages a phone may keep offline (the service worker caches them): never shared caches.
PRIVATE = {"Cache-Control": "private, no-store"}


async def my_tickets(request: Request) -> Response:
    user = require_user(request)
    views = await services_of(request).tickets.mine(user)
    now = utcnow()
    context = {"views": views, "now": now}
    return render(request, "tickets/index.html", context, headers=PRIVATE)


async def ticket_page(request: Request) -> Response:
    user = require_user(request)
    view = await services_of(request).tickets.get(user, request.path_params["ticket_id"])
    from web.rendering.qr import qr_svg  # qrcode: only for ticket pages (cold start)

    context = {"view": view, "qr": qr_svg(view.code, label=f"QR code of {view.ticket.seat_label}")}
    return render(request, "tickets/ticket.html", context, headers=PRIVATE)


async def ticket_pdf(request: Request) -> Response:
    """A fresh short-lived link to the PDF, re-rendered first if it went missing."""
    user = require_user(request)
    services = services_of(request)
    view = await services.tickets.get(user, request.path_params["ticket_id"])
    link = await services.tickets.download_link(view)
    return RedirectResponse(link.url, status_code=303, headers={"Cache-Control": "no-store"})


async def local_file(request: Request) -> Response:
    files = services_of(request).files
    if not isinstance(files, LocalFiles):  # S3 links go to S3: no such page here
        raise NotFound()
    key = request.path_params["key"]
    params = request.query_params
    filename = params.get("name", "")
    try:
        files.check_link(key, filename, params.get("expires", ""), params.get("sig", ""))
        path = files.path(key)
    except (LinkRefused, ValueError) as exc:
        expired = isinstance(exc, LinkRefused) and exc.expired
        return await _refused(request, key, expired)
    if not path.is_file():
        return await _refused(request, key, expired=False)
    return Response(
        files.read(key),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


async def _refused(request: Request, key: str, expired: bool) -> Response:
    """403, and for the ticket's signed-in owner a way to a fresh link."""
    ticket_id = key.rsplit("/", 1)[-1].removesuffix(".pdf")
    user = current_user(request)
    fresh = None
    if user is not None:
        ticket = await services_of(request).store.get_ticket(ticket_id)
        if ticket is not None and ticket.user_id == user.id:
            fresh = f"/tickets/{ticket.id}/pdf"
    minutes = max(1, request.app.state.settings.download_ttl // 60)
    message = (
        f"This download link has expired: links work for {minutes} minute(s)."
        if expired
        else "This download link is not valid."
    )
    context = {"message": message, "fresh": fresh, "expired": expired}
    return render(request, "tickets/link_refused.html", context, status_code=403)


routes = [
    Route("/my/tickets", my_tickets),
    Route("/tickets/{ticket_id}", ticket_page),
    Route("/tickets/{ticket_id}/pdf", ticket_pdf),
    Route("/files/{key:path}", local_file),
]
