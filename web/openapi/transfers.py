"""OpenAPI paths: passing a ticket on (API.md, "Transfers")."""

from __future__ import annotations

from typing import Any

from web.openapi.shapes import (
    BEARER,
    EMAIL,
    EVENT_ID,
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

SCHEMAS["Transfer"] = obj(
    ["id", "ticket_id", "event_id", "registration_id", "from_name", "to_name", "to_email",
     "to_account", "at"],
    id=STRING,
    ticket_id=STRING,
    event_id=STRING,
    registration_id=STRING,
    from_name={"type": "string", "description": "the name on the ticket before"},
    to_name=STRING,
    to_email=STRING,
    to_account={"type": "boolean", "description": "an account with that address received it"},
    at={"type": "string", "format": "date-time"},
)  # fmt: skip

NEW_HOLDER = obj(
    ["name", "email"],
    name={"type": "string", "minLength": 1, "maxLength": 100},
    email=EMAIL,
)

PATHS: dict[str, Any] = {
    "/api/v1/tickets/{ticket_id}/transfer": {
        "post": {
            "summary": "Pass a ticket on to someone else; it gets a new code",
            "description": "The old code answers void from then on (online at once, on door "
            "phones after their next sync). The ticket moves to the account with that "
            "email if there is one; the new holder is mailed it with its PDF either way. "
            "Afterwards its former holder gets 404 on it.",
            "security": BEARER,
            "parameters": [path_param("ticket_id")],
            "requestBody": body(NEW_HOLDER),
            "responses": {
                "200": answer("The ticket, with its new code", ref("Ticket")),
                "404": error("not_found (not your ticket, or no longer yours)"),
                "409": error(
                    "ticket_used; ticket_void; transfers_locked (the organizer locked "
                    "transfers); invalid_state (the event is over)"
                ),
                "422": error("validation_failed, on name or email (your own address too)"),
            },
        }
    },
    "/api/v1/events/{event_id}/transfers": {
        "get": {
            "summary": "Every transfer of your event: who, when, from and to (newest first)",
            "security": BEARER,
            "parameters": EVENT_ID,
            "responses": {
                "200": answer("The transfers (one page)", page_of("Transfer")),
                "403": error("forbidden: organizers only"),
                "404": error("not_found"),
            },
        }
    },
}
