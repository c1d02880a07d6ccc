"""OpenAPI paths: an event's registration questions."""

from __future__ import annotations

from typing import Any

from web.openapi.shapes import (
    BEARER,
    EVENT_ID,
    QUESTION_FIELDS,
    answer,
    body,
    error,
    path_param,
    ref,
)

QUESTION_ID = [*EVENT_ID, path_param("question_id")]


def _fields(required: list[str]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": QUESTION_FIELDS}


PATHS: dict[str, Any] = {
    "/api/v1/events/{event_id}/questions": {
        "post": {
            "summary": "Ask a question when people register (after the others, or at position)",
            "security": BEARER,
            "parameters": EVENT_ID,
            "requestBody": body(_fields(["label", "kind"])),
            "responses": {
                "201": answer("Added", ref("Question")),
                "403": error("forbidden: organizers only"),
                "404": error("not_found (also for other organizers' events)"),
                "409": error("too_many_questions (50); invalid_state: cancelled or ended"),
                "422": error("validation_failed, with fields (a label asked already: label)"),
            },
        }
    },
    "/api/v1/events/{event_id}/questions/{question_id}": {
        "patch": {
            "summary": "Change any fields of a question; position moves it",
            "security": BEARER,
            "parameters": QUESTION_ID,
            "requestBody": body(_fields([])),
            "responses": {
                "200": answer("Changed", ref("Question")),
                "403": error("forbidden: organizers only"),
                "404": error("not_found (also a deleted question)"),
                "409": error("invalid_state: the event is cancelled or ended"),
                "422": error("validation_failed, with fields"),
            },
        },
        "delete": {
            "summary": "Stop asking a question (answers given stay, and stay in exports)",
            "security": BEARER,
            "parameters": QUESTION_ID,
            "responses": {
                "204": answer("Deleted"),
                "403": error("forbidden: organizers only"),
                "404": error("not_found"),
                "409": error("invalid_state: the event is cancelled or ended"),
            },
        },
    },
}
