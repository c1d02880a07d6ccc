"""Ticket pages (my tickets, one ticket with its QR, the PDF) and local file links."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from models.domain import utcnow
from web.auth import current_user, require_user
from web.services.container import services_of
from web.services.tickets import DownloadRefused
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
    """A download link of the local files (S3's go to S3: 404 here)."""
    params = request.query_params
    filename = params.get("name", "")
    try:
        data = await services_of(request).tickets.open_link(
            current_user(request),
            request.path_params["key"],
            filename,
            params.get("expires", ""),
            params.get("sig", ""),
        )
    except DownloadRefused as refused:
        return _refused(request, refused)
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


def _refused(request: Request, refused: DownloadRefused) -> Response:
    """403, and for the ticket's signed-in owner a way to a fresh link."""
    fresh = f"/tickets/{refused.fresh_ticket_id}/pdf" if refused.fresh_ticket_id else None
    message = (
        f"This download link has expired: links work for {refused.minutes} minute(s)."
        if refused.expired
        else "This download link is not valid."
    )
    context = {"message": message, "fresh": fresh, "expired": refused.expired}
    return render(request, "tickets/link_refused.html", context, status_code=403)


routes = [
    Route("/my/tickets", my_tickets),
    Route("/tickets/{ticket_id}", ticket_page),
    Route("/tickets/{ticket_id}/pdf", ticket_pdf),
    Route("/files/{key:path}", local_file),
]
