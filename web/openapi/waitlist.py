"""OpenAPI paths: the waiting list (API.md, "Waiting list")."""

from __future__ import annotations

from typing import Any

from web.openapi.shapes import (
    BEARER,
    EVENT_ID,
    REGISTRATION_ID,
    SCHEMAS,
    STRING,
    answer,
    body,
    error,
    obj,
    page_of,
    path_param,
    ref,
)

ENTRY_ID = [path_param("entry_id")]
MOMENT = {"type": ["string", "null"], "format": "date-time"}

SCHEMAS["WaitlistEntry"] = obj(
    ["id", "event_id", "ticket_type_id", "quantity", "position", "status", "registration_id",
     "offer_expires_at", "created_at"],
    id=STRING,
    event_id=STRING,
    ticket_type_id=STRING,
    quantity={"type": "integer"},
    position={"type": ["integer", "null"], "description": "from 1 among the entries waiting"},
    status={"type": "string", "enum": ["waiting", "offered", "accepted", "expired", "left"]},
    registration_id={"type": ["string", "null"], "description": "the offer's held registration"},
    offer_expires_at=MOMENT,
    created_at={"type": "string", "format": "date-time"},
)  # fmt: skip

JOIN = obj(
    ["quantity"],
    quantity={"type": "integer", "minimum": 1, "maximum": 100},
    ticket_type_id={
        "type": ["string", "null"],
        "description": "required when the event has several visible types",
    },
)

PATHS: dict[str, Any] = {
    "/api/v1/events/{event_id}/waitlist": {
        "post": {
            "summary": "Join a sold-out event's (or type's) waiting list",
            "security": BEARER,
            "parameters": EVENT_ID,
            "requestBody": body(JOIN),
            "responses": {
                "201": answer("Waiting", ref("WaitlistEntry")),
                "404": error("not_found"),
                "409": error(
                    "seats_available (with seats_left) while the public can buy; "
                    "already_waiting; account_limit (with seats_allowed); "
                    "waitlist_closed; event_not_open"
                ),
                "422": error("validation_failed, on quantity or ticket_type_id"),
            },
        },
        "get": {
            "summary": "Your event's waiting list, in order",
            "security": BEARER,
            "parameters": EVENT_ID,
            "responses": {
                "200": answer("The entries (one page)", page_of("WaitlistEntry")),
                "403": error("forbidden: organizers only"),
                "404": error("not_found"),
            },
        },
    },
    "/api/v1/events/{event_id}/waitlist/{entry_id}/offer": {
        "post": {
            "summary": "Offer the free seats to one waiting entry, whatever its place",
            "security": BEARER,
            "parameters": [*EVENT_ID, *ENTRY_ID],
            "responses": {
                "201": answer("The offer's held registration", ref("Registration")),
                "403": error("forbidden: organizers only"),
                "404": error("not_found"),
                "409": error("not_enough_seats; invalid_state (not waiting); event_not_open"),
                "422": error("validation_failed: its ticket type is gone"),
            },
        }
    },
    "/api/v1/waitlist": {
        "get": {
            "summary": "Your waiting-list entries, newest first, finished ones included",
            "security": BEARER,
            "responses": {"200": answer("The entries", page_of("WaitlistEntry"))},
        }
    },
    "/api/v1/waitlist/{entry_id}": {
        "delete": {
            "summary": "Leave a waiting list",
            "security": BEARER,
            "parameters": ENTRY_ID,
            "responses": {
                "204": answer("Left"),
                "404": error("not_found (also someone else's entry)"),
                "409": error("invalid_state: not waiting any more"),
            },
        }
    },
    "/api/v1/registrations/{registration_id}/confirm": {
        "post": {
            "summary": "Take a free waiting-list offer",
            "security": BEARER,
            "parameters": REGISTRATION_ID,
            "responses": {
                "200": answer("Confirmed, with its tickets", ref("Registration")),
                "404": error("not_found (also someone else's)"),
                "409": error("hold_expired; payment_required (a paid offer: pay it)"),
            },
        }
    },
}
