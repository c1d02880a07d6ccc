"""Registration question use cases: the organizer adds, edits, reorders and deletes an
event's questions (a deletion archives: answers keep their label in exports); the
registration form and the API ask the asked ones; answers are checked before any seat is
held (`answers_problems`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from models.domain import Event, User, new_id, utcnow
from models.errors import ValidationFailed
from models.event_rules import Source
from models.questions import (
    AnswersGiven,
    CheckedAnswers,
    Question,
    adding,
    asked,
    check_answers,
    deleting,
    editing,
    fields_of,
    moving,
    parse_position,
    parse_question_fields,
    unknown_fields,
)
from models.store import Store
from web.services.events import Events


def checked_answers(
    questions: list[Question],
    given: AnswersGiven | None,
    seats: int,
    source: Source,
    problems: dict[str, str],
) -> CheckedAnswers:
    """The answers checked against the event's questions; their problems are added to
    `problems` (so the form shows them with the rest), and then the answers are empty."""
    try:
        return check_answers(questions, given or AnswersGiven(), seats, source)
    except ValidationFailed as exc:
        problems.update(exc.fields)
        return CheckedAnswers({}, ())


async def question_context(questions: Questions, event: Event) -> dict[str, object]:
    """What the organizer's event page shows of questions: the asked ones, and every
    label by id (deleted ones marked) for the answers in its registrations."""
    every = await questions.with_deleted(event)
    return {
        "questions": asked(every),
        "question_labels": {q.id: q.label + (" (deleted)" if q.deleted else "") for q in every},
    }


class Questions:
    def __init__(self, store: Store, events: Events) -> None:
        self.store = store
        self.events = events

    async def of(self, event: Event) -> list[Question]:
        """The questions an event asks, in order."""
        return asked(await self.store.list_questions(event.id))

    async def with_deleted(self, event: Event) -> list[Question]:
        """Every question the event ever asked: asked ones in order, then deleted ones."""
        return await self.store.list_questions(event.id)

    async def create(
        self, organizer: User, event_id: str, raw: Mapping[str, Any], source: Source
    ) -> Question:
        event = await self.events.editable(organizer, event_id)
        if source == "json" and (unknown := unknown_fields(raw)):
            raise ValidationFailed(unknown)
        position = parse_position(raw.get("position")) if source == "json" else None
        fields = parse_question_fields(raw, source)
        question = Question(id=new_id(), event_id=event.id, **fields.__dict__)
        stored = await self.store.change_questions(event.id, adding(question, position))
        return next(q for q in stored if q.id == question.id)

    async def edit(
        self,
        organizer: User,
        event_id: str,
        question_id: str,
        raw: Mapping[str, Any],
        source: Source,
    ) -> Question:
        """JSON may send only what changes (and `position`, to move it); a form sends
        every field. The merge with the current values happens inside the store's step."""
        event = await self.events.editable(organizer, event_id)
        if source == "json" and (unknown := unknown_fields(raw)):
            raise ValidationFailed(unknown)
        position = parse_position(raw.get("position")) if source == "json" else None
        changes = {name: value for name, value in raw.items() if name != "position"}

        def edit(current: Question) -> Question:
            merged = {**fields_of(current), **changes} if source == "json" else changes
            return replace(current, **parse_question_fields(merged, source).__dict__)

        stored = await self.store.change_questions(event.id, editing(question_id, edit, position))
        return next(q for q in stored if q.id == question_id)

    async def delete(self, organizer: User, event_id: str, question_id: str) -> None:
        event = await self.events.editable(organizer, event_id)
        await self.store.change_questions(event.id, deleting(question_id, utcnow()))

    async def move(self, organizer: User, event_id: str, question_id: str, by: int) -> None:
        event = await self.events.editable(organizer, event_id)
        await self.store.change_questions(event.id, moving(question_id, by))
