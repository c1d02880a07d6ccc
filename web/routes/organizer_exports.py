"""The organizer's downloads beside the CSV (organizer.py): the XLSX workbook and the
printable attendee list. Session or bearer, like the CSV."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.domain import Role
from web.auth import require_user
from web.rendering.document import RenderedFile
from web.services.container import services_of


def _download(file: RenderedFile) -> Response:
    return Response(
        file.data,
        media_type=file.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "Cache-Control": "no-store",
        },
    )


async def export_xlsx(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    exports = services_of(request).exports
    return _download(await exports.registrations_xlsx(organizer, request.path_params["event_id"]))


async def attendee_list(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    exports = services_of(request).exports
    return _download(await exports.attendee_list(organizer, request.path_params["event_id"]))


routes = [
    Route("/organizer/events/{event_id}/registrations.xlsx", export_xlsx),
    Route("/organizer/events/{event_id}/attendees.pdf", attendee_list),
]
