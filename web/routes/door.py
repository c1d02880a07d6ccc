"""The door: the scanner page, its progress counter, its offline list, and door staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models.tickets import Ticket, TicketStatus
from web.auth import require_user
from web.services.container import services_of
from web.services.door import DoorList
from web.templating import render

# Door pages name attendees: no browser or proxy cache may keep them. The service worker
# keeps the scanner for its own user (static/sw.js).
PRIVATE = {"Cache-Control": "private, no-store"}

# One array per ticket in the offline list, in this order; a ticket that was never
# checked in stops after `code_generation` (static/js/door-offline.js reads it). A
# ticket passed on has a higher generation than the codes it had before: the phone
# voids those (what was revoked travels with the list).
TICKET_COLUMNS = (
    "id",
    "status",
    "attendee_name",
    "seat_no",
    "seats",
    "ticket_type_name",
    "code_generation",
    "checked_in_at",
    "checked_in_gate",
)


def _time(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _ticket_row(ticket: Ticket) -> list[Any]:
    row: list[Any] = [
        ticket.id,
        ticket.status.value,
        ticket.attendee_name,
        ticket.seat_no,
        ticket.seats,
        ticket.ticket_type_name,
        ticket.code_generation,
    ]
    if ticket.status is TicketStatus.USED and ticket.checked_in_at is not None:
        row += [_time(ticket.checked_in_at), ticket.checked_in_gate or ""]
    return row


def door_list_json(door_list: DoorList) -> dict[str, Any]:
    return {
        "event_id": door_list.event.id,
        "synced_at": _time(door_list.synced_at),
        "opens_at": _time(door_list.opens_at),
        "closes_at": _time(door_list.closes_at),
        "scanner": door_list.scanner.value,
        "keys": door_list.keys,
        "columns": list(TICKET_COLUMNS),
        "tickets": [_ticket_row(ticket) for ticket in door_list.tickets],
    }


async def door_index(request: Request) -> Response:
    """The events this person may check tickets for: door staff's and organizer's own."""
    user = require_user(request)
    events = await services_of(request).door.door_events(user)
    return render(request, "door/index.html", {"events": events}, headers=PRIVATE)


async def scanner(request: Request) -> Response:
    user = require_user(request)
    event, admitted, total = await services_of(request).door.counts(
        user, request.path_params["event_id"]
    )
    context = {"event": event, "admitted": admitted, "total": total}
    return render(request, "door/scanner.html", context, headers=PRIVATE)


async def progress(request: Request) -> Response:
    user = require_user(request)
    _, admitted, total = await services_of(request).door.counts(
        user, request.path_params["event_id"]
    )
    return render(request, "door/_progress.html", {"admitted": admitted, "total": total})


async def offline_list(request: Request) -> Response:
    """The list the scanner keeps on the phone to check codes without a connection."""
    user = require_user(request)
    door_list = await services_of(request).door.door_list(user, request.path_params["event_id"])
    return JSONResponse(door_list_json(door_list), headers={"Cache-Control": "no-store"})


routes = [
    Route("/door", door_index),
    Route("/door/{event_id}", scanner),
    Route("/door/{event_id}/progress", progress),
    Route("/door/{event_id}/offline-data", offline_list),
]
