"""The JSON shapes of registration questions and answers (API.md, "Questions")."""

from __future__ import annotations

from typing import Any

from models.questions import AnswersGiven, Question


def question_json(question: Question) -> dict[str, Any]:
    return {
        "id": question.id,
        "label": question.label,
        "kind": question.kind.value,
        "options": list(question.options),
        "required": question.required,
        "per": question.per.value,
        "position": question.position,
    }


def answers_given(body: dict[str, Any], problems: dict[str, str]) -> AnswersGiven:
    """`answers` and each `attendees[i].answers` of a registration request, as sent (their
    values are checked against the event's questions later); a shape that is not an
    object is a problem named by its field."""
    registration = body.get("answers")
    if registration is not None and not isinstance(registration, dict):
        problems["answers"] = "Give an object of {question id: answer}."
        registration = None
    seats: list[dict[str, Any] | None] = []
    attendees = body.get("attendees")
    for index, seat in enumerate(attendees if isinstance(attendees, list) else ()):
        raw = seat.get("answers") if isinstance(seat, dict) else None
        if raw is not None and not isinstance(raw, dict):
            problems[f"attendees.{index}.answers"] = "Give an object of {question id: answer}."
            raw = None
        seats.append(raw)
    return AnswersGiven(registration, tuple(seats))
