"""OpenAPI paths: events and registrations."""

from __future__ import annotations

from typing import Any

from models.event_rules import CATEGORIES
from web.openapi.shapes import (
    ANSWERS,
    BEARER,
    EVENT_FIELDS,
    EVENT_ID,
    PAGING,
    REGISTRATION_ID,
    REQUIRED_EVENT_FIELDS,
    STRING,
    answer,
    body,
    error,
    obj,
    page_of,
    query,
    ref,
)

PATHS: dict[str, Any] = {
    "/api/v1/events": {
        "get": {
            "summary": "Published events that have not ended, soonest first",
            "parameters": [
                query("q", "text in the title, description or venue (at most 200 characters)"),
                query("category", "one category", {"type": "string", "enum": list(CATEGORIES)}),
                query("from", "starts on or after: YYYY-MM-DD (UTC day) or RFC 3339"),
                query("to", "starts before the end of: YYYY-MM-DD (UTC day) or RFC 3339"),
                query("free", "true: free only; false: paid only", {"type": "boolean"}),
                *PAGING,
            ],
            "responses": {"200": answer("A page", page_of("Event")), "422": error("bad filter")},
        },
        "post": {
            "summary": "Create an event (status draft)",
            "security": BEARER,
            "requestBody": body(obj(REQUIRED_EVENT_FIELDS, **EVENT_FIELDS)),
            "responses": {
                "201": answer("Created", ref("Event")),
                "400": error("invalid_json"),
                "401": error("not_authenticated"),
                "403": error("forbidden: organizers only"),
                "413": error("payload_too_large"),
                "422": error("validation_failed, with fields"),
            },
        },
    },
    "/api/v1/events/{event_id}": {
        "get": {
            "summary": "One event (a draft only for its organizer)",
            "parameters": EVENT_ID,
            "responses": {"200": answer("The event", ref("Event")), "404": error("not_found")},
        },
        "patch": {
            "summary": "Change any fields of your event",
            "security": BEARER,
            "parameters": EVENT_ID,
            "requestBody": body(obj([], **EVENT_FIELDS)),
            "responses": {
                "200": answer("Changed", ref("Event")),
                "403": error("forbidden: organizers only"),
                "404": error("not_found (also for other organizers' events)"),
                "409": error("capacity_below_sold, with seats_taken; invalid_state: cancelled"),
                "422": error("validation_failed, with fields"),
            },
        },
    },
    "/api/v1/events/{event_id}/publish": {
        "post": {
            "summary": "Publish a draft",
            "security": BEARER,
            "parameters": EVENT_ID,
            "responses": {
                "200": answer("Published", ref("Event")),
                "403": error("forbidden: organizers only"),
                "404": error("not_found"),
                "409": error("invalid_state: not a draft"),
                "422": error("validation_failed: the event has ended"),
            },
        }
    },
    "/api/v1/events/{event_id}/cancel": {
        "post": {
            "summary": "Cancel an event: stops sales, cancels every registration, mails attendees",
            "security": BEARER,
            "parameters": EVENT_ID,
            "description": "Safe to repeat: a second call finishes any registration a first "
            "call left.",
            "responses": {
                "200": answer("Cancelled", ref("Event")),
                "403": error("forbidden: organizers only"),
                "404": error("not_found"),
            },
        }
    },
    "/api/v1/events/{event_id}/registrations": {
        "get": {
            "summary": "Your event's registrations, newest first",
            "security": BEARER,
            "parameters": [
                *EVENT_ID,
                query("q", "name or email of the buyer, or an attendee name"),
                query("status", "held, confirmed, expired, cancelled or refunded"),
                *PAGING,
            ],
            "responses": {
                "200": answer("A page", page_of("Registration")),
                "403": error("forbidden: organizers only"),
                "404": error("not_found"),
                "422": error("bad filter"),
            },
        }
    },
    "/api/v1/events/{event_id}/stats": {
        "get": {
            "summary": "Your event's figures",
            "security": BEARER,
            "parameters": EVENT_ID,
            "responses": {
                "200": answer("Figures", ref("Stats")),
                "403": error("forbidden: organizers only"),
                "404": error("not_found"),
            },
        }
    },
    "/api/v1/registrations": {
        "post": {
            "summary": "Register: a free event confirms at once, a paid one holds the seats",
            "security": BEARER,
            "description": "Either items (several ticket types) or quantity (only while "
            "the event has one visible type). attendees name the seats in the order of items. "
            "Answers to the event's questions go in answers (asked once) and "
            "attendees[i].answers (per ticket); a missing or wrong one is 422 on "
            "answers.<question_id> or attendees.<i>.answers.<question_id>, and nothing is held.",
            "requestBody": body(
                obj(
                    ["event_id"],
                    event_id=STRING,
                    quantity={"type": "integer", "minimum": 1},
                    items={
                        "type": "array",
                        "minItems": 1,
                        "items": obj(
                            ["ticket_type_id", "quantity"],
                            ticket_type_id=STRING,
                            quantity={"type": "integer", "minimum": 1},
                        ),
                    },
                    attendees={
                        "type": "array",
                        "items": obj([], name=STRING, answers=ANSWERS),
                    },
                    attendee_names={"type": "array", "items": STRING},
                    answers=ANSWERS,
                    promo_code={
                        "type": ["string", "null"],
                        "description": "a code of the event, any case: discounts, unlocks "
                        "hidden types; an amount of 0 is confirmed at once",
                    },
                )
            ),
            "responses": {
                "201": answer("Registered", ref("Registration")),
                "401": error("not_authenticated"),
                "404": error("not_found: no such event"),
                "409": error(
                    "sold_out, not_enough_seats (with seats_left, and ticket_type_id when a "
                    "type is the limit), ticket_type_not_on_sale, event_not_open, "
                    "account_limit (with seats_allowed: how many more seats the account may take), "
                    "promo_code_used_up"
                ),
                "422": error(
                    "validation_failed, with fields (promo_code: unknown or outside its dates)"
                ),
            },
        },
        "get": {
            "summary": "Your registrations, newest first",
            "security": BEARER,
            "parameters": PAGING,
            "responses": {
                "200": answer("A page", page_of("Registration")),
                "422": error("validation_failed: limit out of range"),
            },
        },
    },
    "/api/v1/registrations/{registration_id}": {
        "get": {
            "summary": "A registration (its attendee or the event's organizer)",
            "security": BEARER,
            "parameters": REGISTRATION_ID,
            "responses": {
                "200": answer("The registration", ref("Registration")),
                "404": error("not_found"),
            },
        }
    },
    "/api/v1/registrations/{registration_id}/cancel": {
        "post": {
            "summary": "Cancel: seats return to sale",
            "description": "Its attendee while the cancellation window is open (until "
            "cancellation_hours before the start, and never after doors_open_at) and no ticket "
            "of it was admitted; the event's organizer at any time.",
            "security": BEARER,
            "parameters": REGISTRATION_ID,
            "responses": {
                "200": answer("Cancelled (or refunded)", ref("Registration")),
                "404": error("not_found"),
                "409": error(
                    "invalid_state: already cancelled or expired; ticket_used: a ticket was "
                    "admitted; cancellation_closed: the attendee's window has closed"
                ),
            },
        }
    },
    "/api/v1/registrations/{registration_id}/simulated-payment": {
        "post": {
            "summary": "Pay a held registration with a Stripe test card (simulator only)",
            "description": "4242424242424242 succeeds; 4000000000000002 card_declined; "
            "4000000000009995 insufficient_funds; 4000000000000069 expired_card; "
            "4000002500003155 needs authenticate approve or fail; any other number is 422. "
            "A declined card keeps the hold, so the payer can try again.",
            "security": BEARER,
            "parameters": REGISTRATION_ID,
            "requestBody": body(
                obj(
                    ["card_number"],
                    card_number=STRING,
                    authenticate={"type": "string", "enum": ["approve", "fail"]},
                )
            ),
            "responses": {
                "200": answer(
                    "Confirmed (or refunded if the seats were gone)", ref("Registration")
                ),
                "402": error(
                    "card_declined, insufficient_funds, expired_card, "
                    "authentication_required, authentication_failed"
                ),
                "404": error("not_found"),
                "409": error("hold_expired, not_simulator"),
                "422": error("validation_failed: not a test card"),
            },
        }
    },
}
