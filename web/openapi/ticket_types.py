"""OpenAPI paths: an event's ticket types."""

from __future__ import annotations

from typing import Any

from web.openapi.shapes import (
    BEARER,
    EVENT_ID,
    TICKET_TYPE_FIELDS,
    answer,
    body,
    error,
    obj,
    path_param,
    ref,
)

TYPE_ID = [*EVENT_ID, path_param("type_id")]

PATHS: dict[str, Any] = {
    "/api/v1/events/{event_id}/ticket-types": {
        "post": {
            "summary": "Add a ticket type to your event (after its others)",
            "security": BEARER,
            "parameters": EVENT_ID,
            "requestBody": body(obj(["name", "price"], **TICKET_TYPE_FIELDS)),
            "responses": {
                "201": answer("Added", ref("TicketType")),
                "403": error("forbidden: organizers only"),
                "404": error("not_found (also for other organizers' events)"),
                "409": error("invalid_state: the event is cancelled or ended"),
                "422": error("validation_failed, with fields (a name taken: on name)"),
            },
        }
    },
    "/api/v1/events/{event_id}/ticket-types/{type_id}": {
        "patch": {
            "summary": "Change any fields of a ticket type",
            "security": BEARER,
            "parameters": TYPE_ID,
            "requestBody": body(obj([], **TICKET_TYPE_FIELDS)),
            "responses": {
                "200": answer("Changed", ref("TicketType")),
                "403": error("forbidden: organizers only"),
                "404": error("not_found"),
                "409": error("capacity_below_sold (with seats_taken); invalid_state: event over"),
                "422": error("validation_failed, with fields"),
            },
        },
        "delete": {
            "summary": "Delete a ticket type no seat of which was ever taken",
            "security": BEARER,
            "parameters": TYPE_ID,
            "responses": {
                "204": answer("Deleted"),
                "403": error("forbidden: organizers only"),
                "404": error("not_found"),
                "409": error(
                    "ticket_type_in_use (hide it instead); last_ticket_type; invalid_state"
                ),
            },
        },
    },
}
