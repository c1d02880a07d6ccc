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

# An account's id or an invitation's: the id DELETE takes. No name: an entry does not tell
# whether the address had an account.
DOOR_STAFF_ENTRY = obj(["event_id", "id", "email"], event_id=STRING, id=STRING, email=EMAIL)

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
            "ticket (void, already_used, admitted). Give `code`, or `ticket_id` for a "
            "ticket found with door-search (a ticket of another event is invalid). Door "
            "staff are refused (403) once the event's check-in window has closed.",
            "security": BEARER,
            "requestBody": body(
                obj(
                    ["event_id"],
                    code={"type": "string", "description": "exactly the QR text"},
                    ticket_id={"type": "string", "description": "instead of code"},
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
                "200": answer(
                    "At most 20 tickets: names and ticket ids, never codes",
                    obj(
                        ["items"],
                        items={
                            "type": "array",
                            "items": obj(
                                [
                                    "ticket_id",
                                    "attendee_name",
                                    "buyer_name",
                                    "seat_label",
                                    "status",
                                ],
                                ticket_id=STRING,
                                attendee_name=STRING,
                                buyer_name=STRING,
                                seat_label=STRING,
                                status={"enum": ["valid", "used", "void"]},
                            ),
                        },
                    ),
                ),
                "403": error("forbidden"),
                "404": error("not_found"),
                "422": error("validation_failed"),
            },
        }
    },
    "/api/v1/events/{event_id}/door-staff": {
        "post": {
            "summary": "Let someone check tickets of your event, by email",
            "description": "The same answer whether or not the address has an account: "
            "the person is mailed either way; an account gets access at once, an address "
            "without one when an account is made with it and verified.",
            "security": BEARER,
            "parameters": EVENT_ID,
            "requestBody": body(obj(["email"], email=EMAIL)),
            "responses": {
                "201": answer("Added or invited", DOOR_STAFF_ENTRY),
                "401": error("not_authenticated"),
                "403": error("forbidden: not an organizer"),
                "404": error("not_found"),
                "422": error("validation_failed: not an email address"),
            },
        },
        "get": {
            "summary": "Your event's door staff and pending invitations, alike, by email",
            "security": BEARER,
            "parameters": EVENT_ID,
            "responses": {
                "200": answer(
                    "Entries", obj(["items"], items={"type": "array", "items": DOOR_STAFF_ENTRY})
                ),
                "401": error("not_authenticated"),
                "403": error("forbidden: not an organizer"),
                "404": error("not_found"),
            },
        },
    },
    "/api/v1/events/{event_id}/door-staff/{user_id}": {
        "delete": {
            "summary": "Take back door access (or withdraw an invitation)",
            "security": BEARER,
            "parameters": [*EVENT_ID, path_param("user_id")],
            "responses": {
                "204": {"description": "Removed"},
                "401": error("not_authenticated"),
                "403": error("forbidden: not an organizer"),
                "404": error("not_found: no such event, or not door staff of it"),
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
