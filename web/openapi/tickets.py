"""OpenAPI paths: tickets, the door, and this document."""

from __future__ import annotations

from typing import Any

from web.openapi.shapes import (
    BEARER,
    EMAIL,
    EVENT_ID,
    STRING,
    answer,
    body,
    error,
    obj,
    path_param,
    query,
    ref,
)

PATHS: dict[str, Any] = {
    "/api/v1/tickets/{ticket_id}": {
        "get": {
            "summary": "A ticket, with its code and a fresh signed PDF link",
            "security": BEARER,
            "parameters": [path_param("ticket_id")],
            "responses": {
                "200": answer("The ticket", ref("Ticket")),
                "404": error("not_found (also for other people's tickets)"),
            },
        }
    },
    "/api/v1/tickets/validate": {
        "post": {
            "summary": "Check a scanned code at the door; every call is recorded",
            "description": "Of any number of concurrent scans of one ticket exactly one is "
            "admitted. A code is checked in this order: signature and key id (invalid), "
            "event (wrong_event), the door's hours (not_yet_open, event_over), the "
            "ticket (void, already_used, admitted).",
            "security": BEARER,
            "requestBody": body(
                obj(
                    ["code", "event_id"],
                    code={"type": "string", "description": "exactly the QR text"},
                    event_id=STRING,
                    gate={"type": "string", "maxLength": 60, "default": "Main gate"},
                    device={"type": "string", "maxLength": 64},
                )
            ),
            "responses": {
                "200": answer("The verdict", ref("Validation")),
                "401": error("not_authenticated"),
                "403": error("forbidden: not door staff or organizer of this event"),
                "404": error("not_found: no such event"),
                "422": error("validation_failed"),
            },
        }
    },
    "/api/v1/events/{event_id}/checkin-keys": {
        "get": {
            "summary": "Public keys that verify this event's ticket codes offline",
            "security": BEARER,
            "parameters": EVENT_ID,
            "responses": {
                "200": answer(
                    "Keys",
                    obj(
                        ["keys"],
                        keys={
                            "type": "array",
                            "items": obj(
                                ["key_id", "algorithm", "public_key"],
                                key_id=STRING,
                                algorithm={"type": "string", "const": "Ed25519"},
                                public_key={"type": "string", "description": "base64, 32 bytes"},
                            ),
                        },
                    ),
                ),
                "403": error("forbidden"),
                "404": error("not_found"),
            },
        }
    },
    "/api/v1/events/{event_id}/door-search": {
        "get": {
            "summary": "Find tickets by attendee or buyer name, for people without a code",
            "security": BEARER,
            "parameters": [*EVENT_ID, query("q", "part of a name (at most 100 characters)")],
            "responses": {
                "200": answer("At most 20 tickets, with their codes", {"type": "object"}),
                "403": error("forbidden"),
                "404": error("not_found"),
                "422": error("validation_failed"),
            },
        }
    },
    "/api/v1/events/{event_id}/door-staff": {
        "post": {
            "summary": "Let an existing account check tickets of your event",
            "security": BEARER,
            "parameters": EVENT_ID,
            "requestBody": body(obj(["email"], email=EMAIL)),
            "responses": {
                "201": answer("Assigned", {"type": "object"}),
                "403": error("forbidden: organizers only"),
                "404": error("not_found"),
                "422": error("validation_failed: no account with that email"),
            },
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This document",
            "responses": {"200": answer("OpenAPI 3.1", {"type": "object"})},
        }
    },
}
