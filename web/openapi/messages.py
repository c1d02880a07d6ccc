"""OpenAPI paths: an event's messages to its attendees (API.md, "Figures")."""

from __future__ import annotations

from typing import Any

from models.messages import BODY_MAX, SUBJECT_MAX, Audience, MessageState
from web.openapi.shapes import (
    BEARER,
    DATETIME,
    EVENT_ID,
    SCHEMAS,
    STRING,
    answer,
    body,
    error,
    obj,
    page_of,
)

AUDIENCE = {
    "type": "string",
    "enum": [a.value for a in Audience],
    "description": "confirmed buyers; those with a ticket admitted; those with none; the "
    "waiting list (none yet: the waiting list is not stored yet)",
}
COUNT = {"type": "integer", "minimum": 0}
SCHEMAS["Message"] = obj(
    ["id", "subject", "to", "recipients", "sent", "skipped", "status", "created_at"],
    id=STRING,
    subject=STRING,
    to=AUDIENCE,
    recipients={**COUNT, "description": "accounts it went to when sent, once each"},
    sent={**COUNT, "description": "mails handed to the mail service so far"},
    skipped={**COUNT, "description": "recipients who unsubscribed before their mail"},
    status={"type": "string", "enum": [s.value for s in MessageState]},
    created_at=DATETIME,
)

PATHS: dict[str, Any] = {
    "/api/v1/events/{event_id}/messages": {
        "post": {
            "summary": "Mail your event's attendees (sent in the background)",
            "security": BEARER,
            "parameters": EVENT_ID,
            "requestBody": body(
                obj(
                    ["subject", "body", "to"],
                    subject={"type": "string", "minLength": 1, "maxLength": SUBJECT_MAX},
                    body={"type": "string", "minLength": 1, "maxLength": BODY_MAX},
                    to=AUDIENCE,
                )
            ),
            "responses": {
                "202": answer(
                    "Queued: one mail to each recipient, each with an unsubscribe link",
                    obj(["id", "recipients"], id=STRING, recipients=COUNT),
                ),
                "403": error("forbidden: organizers only"),
                "404": error("not_found (also for other organizers' events)"),
                "422": error("validation_failed, with fields"),
                "429": error(
                    "message_limit: the event's messages for today are spent (Retry-After)"
                ),
            },
        },
        "get": {
            "summary": "Your event's latest messages, newest first, with their counts",
            "security": BEARER,
            "parameters": EVENT_ID,
            "responses": {
                "200": answer("The messages", page_of("Message")),
                "403": error("forbidden: organizers only"),
                "404": error("not_found (also for other organizers' events)"),
            },
        },
    },
}
