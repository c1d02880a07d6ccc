"""OpenAPI paths: an event's promo codes (API.md, "Promo codes")."""

from __future__ import annotations

from typing import Any

from web.openapi.shapes import (
    BEARER,
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

PROMO_ID = [*EVENT_ID, path_param("promo_id")]
MOMENT = {"type": ["string", "null"], "format": "date-time"}

PROMO_CODE_FIELDS: dict[str, Any] = {
    "code": {
        "type": "string",
        "pattern": "^[A-Za-z0-9_-]{3,40}$",
        "description": "matched without regard to case; unique in the event",
    },
    "percent_off": {"type": ["integer", "null"], "minimum": 1, "maximum": 100},
    "amount_off": {
        "type": ["integer", "null"],
        "minimum": 1,
        "maximum": 100_000_000,
        "description": "minor units per ticket; a ticket never goes below 0",
    },
    "max_uses": {
        "type": ["integer", "null"],
        "minimum": 1,
        "maximum": 1_000_000,
        "description": "registrations that may hold seats with it at once; null: no limit",
    },
    "valid_from": MOMENT,
    "valid_until": MOMENT,
    "ticket_type_ids": {
        "type": "array",
        "items": STRING,
        "description": "the types it applies to (and unlocks); empty: all",
    },
    "unlocks_hidden": {"type": "boolean", "description": "hidden types may be bought with it"},
}
SCHEMAS["PromoCode"] = obj(
    ["id", *PROMO_CODE_FIELDS, "uses"],
    id=STRING,
    **PROMO_CODE_FIELDS,
    uses={
        "type": "integer",
        "description": "registrations holding or having confirmed seats with it",
    },
)

PATHS: dict[str, Any] = {
    "/api/v1/events/{event_id}/promo-codes": {
        "post": {
            "summary": "Add a promo code to your event",
            "security": BEARER,
            "parameters": EVENT_ID,
            "requestBody": body(obj(["code"], **PROMO_CODE_FIELDS)),
            "responses": {
                "201": answer("Added", ref("PromoCode")),
                "403": error("forbidden: organizers only"),
                "404": error("not_found (also for other organizers' events)"),
                "409": error("invalid_state: the event is cancelled or ended"),
                "422": error("validation_failed, with fields (a spelling taken: on code)"),
            },
        },
        "get": {
            "summary": "Your event's promo codes, oldest first, with their uses",
            "security": BEARER,
            "parameters": EVENT_ID,
            "responses": {
                "200": answer("The codes (one page)", page_of("PromoCode")),
                "403": error("forbidden: organizers only"),
                "404": error("not_found"),
            },
        },
    },
    "/api/v1/events/{event_id}/promo-codes/{promo_id}": {
        "get": {
            "summary": "One promo code with its uses",
            "security": BEARER,
            "parameters": PROMO_ID,
            "responses": {
                "200": answer("The code", ref("PromoCode")),
                "403": error("forbidden: organizers only"),
                "404": error("not_found"),
            },
        },
        "patch": {
            "summary": "Change any fields of a promo code",
            "security": BEARER,
            "parameters": PROMO_ID,
            "requestBody": body(obj([], **PROMO_CODE_FIELDS)),
            "responses": {
                "200": answer("Changed", ref("PromoCode")),
                "403": error("forbidden: organizers only"),
                "404": error("not_found"),
                "409": error("invalid_state: the event is cancelled or ended"),
                "422": error("validation_failed, with fields (max_uses below its uses)"),
            },
        },
        "delete": {
            "summary": "Delete a promo code (registrations keep the code they used)",
            "security": BEARER,
            "parameters": PROMO_ID,
            "responses": {
                "204": answer("Deleted"),
                "403": error("forbidden: organizers only"),
                "404": error("not_found"),
            },
        },
    },
}
