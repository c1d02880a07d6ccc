"""The registration form's questions: those asked once, and for each seat (following the
quantities chosen) the attendee's name and the per-ticket questions. The seats are
server-rendered: `/events/{id}/attendees` answers them again when quantities change
(htmx), keeping what was typed."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.domain import Event, TicketType
from models.questions import AnswersGiven, Question
from web.auth import current_user
from web.services.container import services_of
from web.templating import render

_SEAT_FIELD = re.compile(r"attendees\.(\d+)\.(name|answers\.(.+))")
SEATS_MAX = 100  # a form never shows more seats than a registration may have


def chosen_seats(event: Event, types: Sequence[TicketType], values: Mapping[str, str]) -> list[str]:
    """The ticket type's name of each seat chosen, in the order of the form's types (the
    order attendees follow); one seat of the only type before anything is chosen."""
    seats: list[str] = []
    names = {kind.id: kind.name for kind in types}
    quantities = [(name[4:], raw) for name, raw in values.items() if name.startswith("qty.")]
    if not quantities and len(types) == 1:
        quantities = [(types[0].id, values.get("quantity", "1"))]
    for type_id, raw in quantities:
        try:
            count = int(raw)
        except ValueError:
            count = 0
        if type_id in names:
            seats += [names[type_id]] * max(0, min(count, SEATS_MAX - len(seats)))
    return seats


def answers_from_form(values: Mapping[str, str]) -> tuple[AnswersGiven, list[str] | None]:
    """The answers a form sent, and the seats' names when it sent them one per seat
    (`attendees.<i>.name`; None: the form of an event without per-ticket questions)."""
    registration = {
        name[len("answers.") :]: value
        for name, value in values.items()
        if name.startswith("answers.")
    }
    names: dict[int, str] = {}
    seats: dict[int, dict[str, str]] = {}
    for name, value in values.items():
        match = _SEAT_FIELD.fullmatch(name)
        if match is None or int(match.group(1)) >= SEATS_MAX:
            continue
        seat = int(match.group(1))
        seats.setdefault(seat, {})
        if match.group(2) == "name":
            names[seat] = value
        else:
            seats[seat][match.group(3)] = value
    count = max(seats, default=-1) + 1
    given = AnswersGiven(registration, tuple(seats.get(seat, {}) for seat in range(count)))
    by_seat = [names.get(seat, "") for seat in range(count)] if names else None
    return given, by_seat


def form_context(
    event: Event, types: Sequence[TicketType], questions: list[Question], values: Mapping[str, str]
) -> dict[str, object]:
    return {
        "questions_once": [q for q in questions if not q.per_ticket],
        "questions_each": [q for q in questions if q.per_ticket],
        "seat_types": chosen_seats(event, types, values),
    }


async def attendee_seats(request: Request) -> Response:
    """The seats' part of the form, for the quantities (and the answers) in the query."""
    services = services_of(request)
    viewer = current_user(request)
    event = await services.events.visible(request.path_params["event_id"], viewer)
    values = dict(request.query_params)
    types = await services.ticket_types.offered(event, viewer, values.get("promo_code"))
    context = {
        "event": event,
        "values": values,
        "errors": {},
        **form_context(event, types, await services.questions.of(event), values),
    }
    return render(request, "events/_attendee_seats.html", context)


routes = [Route("/events/{event_id}/attendees", attendee_seats)]
