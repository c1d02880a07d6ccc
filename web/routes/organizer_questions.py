"""The organizer's pages for an event's registration questions: add, edit, reorder (up
and down) and delete; the forms keep what was typed when something is wrong."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.domain import Event, Role, User
from models.errors import Conflict, NotFound, ValidationFailed
from models.questions import Question, form_values_of
from web.auth import require_user
from web.flash import flash
from web.forms import read_form
from web.services.container import services_of
from web.templating import redirect, render_form


def _organizer(request: Request) -> User:
    return require_user(request, Role.ORGANIZER)


def _back(event: Event) -> str:
    return f"/organizer/events/{event.id}#questions"


def _form(
    request: Request,
    event: Event,
    question: Question | None,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    message: str | None = None,
) -> Response:
    context = {
        "event": event,
        "question": question,
        "values": values,
        "errors": errors,
        "message": message,
    }
    return render_form(request, "organizer/question_form.html", context, status)


async def new_question(request: Request) -> Response:
    organizer = _organizer(request)
    services = services_of(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    if request.method == "GET":
        return _form(request, event, None, {"kind": "text", "per": "registration"}, {})
    values = await read_form(request)
    try:
        question = await services.questions.create(organizer, event.id, values, "form")
    except ValidationFailed as exc:
        return _form(request, event, None, values, exc.fields, 422)
    except Conflict as exc:
        return _form(request, event, None, values, {}, 409, exc.message)
    flash(request, f"Question “{question.label}” added.")
    return redirect(request, _back(event))


async def _question(request: Request, organizer: User, event: Event) -> Question:
    questions = await services_of(request).questions.of(event)
    found = next((q for q in questions if q.id == request.path_params["question_id"]), None)
    if found is None:
        raise NotFound("This question does not exist.")
    return found


async def edit_question(request: Request) -> Response:
    organizer = _organizer(request)
    services = services_of(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    question = await _question(request, organizer, event)
    if request.method == "GET":
        return _form(request, event, question, form_values_of(question), {})
    values = await read_form(request)
    try:
        await services.questions.edit(organizer, event.id, question.id, values, "form")
    except ValidationFailed as exc:
        return _form(request, event, question, values, exc.fields, 422)
    except Conflict as exc:
        return _form(request, event, question, values, {}, 409, exc.message)
    flash(request, "Changes saved.")
    return redirect(request, _back(event))


async def move_question(request: Request) -> Response:
    """Up or down one place (`by` = -1 or 1)."""
    organizer = _organizer(request)
    services = services_of(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    values = await read_form(request)
    by = -1 if values.get("by") == "-1" else 1
    await services.questions.move(organizer, event.id, request.path_params["question_id"], by)
    return redirect(request, _back(event))


async def delete_question(request: Request) -> Response:
    organizer = _organizer(request)
    services = services_of(request)
    event = await services.events.owned(organizer, request.path_params["event_id"])
    question = await _question(request, organizer, event)
    await services.questions.delete(organizer, event.id, question.id)
    flash(
        request,
        f"Question “{question.label}” deleted: it is no longer asked, and answers already "
        "given stay in the CSV export.",
    )
    return redirect(request, _back(event))


routes = [
    Route("/organizer/events/{event_id}/questions/new", new_question, methods=["GET", "POST"]),
    Route(
        "/organizer/events/{event_id}/questions/{question_id}/edit",
        edit_question,
        methods=["GET", "POST"],
    ),
    Route(
        "/organizer/events/{event_id}/questions/{question_id}/move",
        move_question,
        methods=["POST"],
    ),
    Route(
        "/organizer/events/{event_id}/questions/{question_id}/delete",
        delete_question,
        methods=["POST"],
    ),
]
