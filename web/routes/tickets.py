"""Ticket pages (my tickets, one ticket with its QR, the PDF) and local file links."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from models.domain import utcnow
from models.errors import NotAuthenticated
from models.tickets import TicketStatus
from web.adapters.mail.port import Attachment
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
    from web.rendering.qr import qr_svg  # qrcode: only for ticket pages (cold start)

    # A small QR of each ticket the door would admit: one tap at the door opens it big.
    qrs = {
        view.ticket.id: qr_svg(view.code, label=f"QR code of {view.ticket.seat_label}")
        for view in views
        if view.ticket.status is TicketStatus.VALID and view.event.ends_at > now
    }
    context = {"views": views, "now": now, "qrs": qrs}
    return render(request, "tickets/index.html", context, headers=PRIVATE)


async def offline_list(request: Request) -> Response:
    """What the service worker keeps for this session's account: its upcoming tickets'
    pages and PDFs (paths only: each answers to the holder's session alone)."""
    user = current_user(request)
    if user is None:
        error = NotAuthenticated()
        return JSONResponse(
            {"error": {"code": error.code, "message": error.message}}, 401, headers=PRIVATE
        )
    views = await services_of(request).tickets.for_offline(user)
    tickets = [
        {
            "page": f"/tickets/{view.ticket.id}",
            "pdf": f"/tickets/{view.ticket.id}/pdf",
            "file": f"/tickets/{view.ticket.id}/ticket.pdf",
        }
        for view in views
    ]
    return JSONResponse({"user": user.id, "tickets": tickets}, headers=PRIVATE)


async def ticket_page(request: Request) -> Response:
    user = require_user(request)
    view = await services_of(request).tickets.get(user, request.path_params["ticket_id"])
    from web.rendering.qr import qr_svg  # qrcode: only for ticket pages (cold start)

    context = {
        "view": view,
        "qr": qr_svg(view.code, label=f"QR code of {view.ticket.seat_label}"),
        "now": utcnow(),
    }
    return render(request, "tickets/ticket.html", context, headers=PRIVATE)


async def ticket_pdf(request: Request) -> Response:
    """A fresh short-lived link to the PDF, re-rendered first if it went missing."""
    user = require_user(request)
    services = services_of(request)
    view = await services.tickets.get(user, request.path_params["ticket_id"])
    link = await services.tickets.download_link(view)
    return RedirectResponse(link.url, status_code=303, headers={"Cache-Control": "no-store"})


async def ticket_file(request: Request) -> Response:
    """The PDF itself, from this site, for the ticket's holder: what the service worker
    keeps offline (S3's signed links are on another origin, without CORS)."""
    user = require_user(request)
    tickets = services_of(request).tickets
    view = await tickets.held(user, request.path_params["ticket_id"])
    pdf = await tickets.ensure_pdf(view)
    return Response(
        pdf.data,
        media_type=pdf.content_type,
        headers={"Content-Disposition": f'inline; filename="{pdf.filename}"', **PRIVATE},
    )


async def ticket_calendar(request: Request) -> Response:
    user = require_user(request)
    registrations = services_of(request).registrations
    return calendar_response(
        await registrations.ticket_calendar_entry(user, request.path_params["ticket_id"])
    )


def calendar_response(entry: Attachment) -> Response:
    """An .ics download; a phone offers to add it to its calendar."""
    return Response(
        entry.data,
        media_type="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{entry.filename}"', **PRIVATE},
    )


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
    Route("/my/tickets/offline.json", offline_list),
    Route("/tickets/{ticket_id}", ticket_page),
    Route("/tickets/{ticket_id}/pdf", ticket_pdf),
    Route("/tickets/{ticket_id}/ticket.pdf", ticket_file),
    Route("/tickets/{ticket_id}/calendar.ics", ticket_calendar),
    Route("/files/{key:path}", local_file),
]
