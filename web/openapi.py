"""The OpenAPI 3.1 document of the JSON API, served at /api/v1/openapi.json.

Written as data next to the code; `tests/test_openapi.py` fails when a route under
/api/v1 is missing here or documented here without existing.
"""

from __future__ import annotations

from typing import Any

from models.event_rules import CATEGORIES

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema}}}


def _answer(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if schema is not None:
        answer["content"] = {JSON: {"schema": schema}}
    return answer


def _error(description: str) -> dict[str, Any]:
    return _answer(description, _ref("Error"))


def _object(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


STRING = {"type": "string"}
EMAIL = {"type": "string", "format": "email", "maxLength": 254}
PASSWORD = {
    "type": "string",
    "minLength": 8,
    "maxLength": 256,
    "description": "At least 8 characters with a digit and an upper-case letter.",
}
BEARER = [{"bearer": []}]

SCHEMAS: dict[str, Any] = {
    "Error": _object(
        ["error"],
        error=_object(
            ["code", "message"],
            code={"type": "string", "description": "snake_case, stable"},
            message={"type": "string", "description": "A sentence for a person."},
            fields={
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Only for validation errors: what is wrong with each field.",
            },
        ),
    ),
    "User": _object(
        ["id", "email", "name", "roles"],
        id=STRING,
        email=EMAIL,
        name=STRING,
        roles={
            "type": "array",
            "items": {"type": "string", "enum": ["attendee", "organizer", "door_staff"]},
        },
    ),
}

DATETIME = {"type": "string", "format": "date-time", "description": "RFC 3339 with an offset"}
EVENT_FIELDS: dict[str, Any] = {
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": {"type": "string", "maxLength": 10000},
    "venue": {"type": "string", "minLength": 1, "maxLength": 300},
    "starts_at": DATETIME,
    "ends_at": DATETIME,
    "timezone": {"type": "string", "description": "IANA zone, e.g. Europe/Lisbon"},
    "capacity": {"type": "integer", "minimum": 1, "maximum": 100000},
    "price": {"type": "integer", "minimum": 0, "maximum": 100000000, "description": "minor units"},
    "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$", "description": "ISO 4217"},
    "category": {
        "type": "string",
        "enum": list(CATEGORIES),
        "description": "default other",
    },
    "max_per_registration": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
    "doors_open_at": {**DATETIME, "description": "default: two hours before starts_at"},
    "cancellation_hours": {
        "type": "integer",
        "minimum": 0,
        "maximum": 720,
        "default": 24,
        "description": "attendees may cancel (paid: with a full refund) until this many hours "
        "before the start",
    },
}
REQUIRED_EVENT_FIELDS = [
    "title", "venue", "starts_at", "ends_at", "timezone", "capacity",
    "price", "currency",
]  # fmt: skip

SCHEMAS["Event"] = _object(
    [*REQUIRED_EVENT_FIELDS, "id", "seats_left", "status", "organizer_id", "category",
     "max_per_registration", "doors_open_at", "cancellation_hours"],
    id=STRING,
    **EVENT_FIELDS,
    seats_left={"type": "integer"},
    status={"type": "string", "enum": ["draft", "published", "cancelled", "ended"]},
    organizer_id=STRING,
)  # fmt: skip
SCHEMAS["Registration"] = _object(
    ["id", "event_id", "user_id", "quantity", "amount", "currency", "status", "created_at",
     "hold_expires_at", "payment", "tickets"],
    id=STRING,
    event_id=STRING,
    user_id=STRING,
    quantity={"type": "integer", "minimum": 1},
    amount={"type": "integer", "description": "minor units"},
    currency=STRING,
    status={"type": "string", "enum": ["held", "confirmed", "expired", "cancelled", "refunded"]},
    attendee_names={"type": "array", "items": STRING},
    created_at=DATETIME,
    hold_expires_at={"type": ["string", "null"], "format": "date-time"},
    payment={
        "type": ["object", "null"],
        "description": "null for free events",
        "properties": {
            "provider": {"type": "string", "enum": ["simulator", "stripe"]},
            "status": STRING,
            "client_secret": STRING,
            "publishable_key": STRING,
        },
    },
    tickets={"type": "array", "items": STRING},
)  # fmt: skip
SCHEMAS["Ticket"] = _object(
    ["id", "event_id", "registration_id", "attendee_name", "status", "code", "download_url",
     "download_expires_at", "checked_in_at"],
    id=STRING,
    event_id=STRING,
    registration_id=STRING,
    attendee_name=STRING,
    status={"type": "string", "enum": ["valid", "used", "void"]},
    code={"type": "string", "description": "exactly the text in the QR code"},
    download_url={"type": "string", "description": "signed PDF link, at most 15 minutes"},
    download_expires_at=DATETIME,
    checked_in_at={"type": ["string", "null"], "format": "date-time"},
)  # fmt: skip
SCHEMAS["Validation"] = _object(
    ["result", "ticket", "first_checked_in_at", "first_gate", "progress"],
    result={
        "type": "string",
        "enum": ["admitted", "already_used", "wrong_event", "void", "invalid",
                 "not_yet_open", "event_over"],
    },
    ticket={"type": ["object", "null"]},
    first_checked_in_at={"type": ["string", "null"], "format": "date-time"},
    first_gate={"type": ["string", "null"]},
    progress=_object(["admitted", "total"], admitted={"type": "integer"},
                     total={"type": "integer"}),
)  # fmt: skip
SCHEMAS["Stats"] = _object(
    ["capacity", "seats_taken", "seats_held", "seats_left", "registrations", "revenue",
     "currency", "checked_in"],
    capacity={"type": "integer"},
    seats_taken={"type": "integer", "description": "confirmed + held"},
    seats_held={"type": "integer"},
    seats_left={"type": "integer"},
    registrations={"type": "integer", "description": "confirmed registrations"},
    revenue={"type": "integer", "description": "minor units, confirmed registrations"},
    currency=STRING,
    checked_in={"type": "integer"},
)  # fmt: skip


def _list(item: str) -> dict[str, Any]:
    return _object(
        ["items", "next_cursor"],
        items={"type": "array", "items": _ref(item)},
        next_cursor={"type": ["string", "null"]},
    )


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema or STRING}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": STRING}


PAGING = [
    _query("cursor", "next_cursor of the previous page"),
    _query("limit", "1-100, default 20", {"type": "integer", "minimum": 1, "maximum": 100}),
]
EVENT_ID = [_path("event_id")]
REGISTRATION_ID = [_path("registration_id")]

PATHS: dict[str, Any] = {
    "/api/v1/auth/signup": {
        "post": {
            "summary": "Create an account",
            "requestBody": _body(
                _object(
                    ["email", "password", "name", "role"],
                    email=EMAIL,
                    password=PASSWORD,
                    name={"type": "string", "minLength": 1, "maxLength": 100},
                    role={"type": "string", "enum": ["attendee", "organizer"]},
                )
            ),
            "responses": {
                "201": _answer(
                    "Created. With verification required, a 6-digit code was mailed.",
                    _object(
                        ["user", "verification_required"],
                        user=_ref("User"),
                        verification_required={"type": "boolean"},
                    ),
                ),
                "400": _error("invalid_json"),
                "409": _error("email_taken"),
                "422": _error("validation_failed, with fields"),
            },
        }
    },
    "/api/v1/auth/verify": {
        "post": {
            "summary": "Confirm an email address with the mailed code",
            "requestBody": _body(_object(["email", "code"], email=EMAIL, code=STRING)),
            "responses": {
                "200": _answer("Verified", _object(["user"], user=_ref("User"))),
                "400": _error("invalid_code or invalid_json"),
                "422": _error("validation_failed"),
            },
        }
    },
    "/api/v1/auth/verify/resend": {
        "post": {
            "summary": "Mail a new verification code (answers the same for unknown addresses)",
            "requestBody": _body(_object(["email"], email=EMAIL)),
            "responses": {
                "202": _answer("Accepted", _object(["status"], status=STRING)),
                "422": _error("validation_failed"),
            },
        }
    },
    "/api/v1/auth/token": {
        "post": {
            "summary": "Exchange email and password for a bearer token",
            "description": "Failed log-ins are limited to 5 per account and 100 per client "
            "address per 15 minutes; past that, 429 with Retry-After.",
            "requestBody": _body(_object(["email", "password"], email=EMAIL, password=STRING)),
            "responses": {
                "200": _answer(
                    "A bearer token",
                    _object(
                        ["access_token", "token_type", "expires_in"],
                        access_token=STRING,
                        token_type={"type": "string", "const": "bearer"},
                        expires_in={"type": "integer", "description": "seconds"},
                    ),
                ),
                "401": _error("invalid_credentials"),
                "403": _error("email_not_verified"),
                "429": _error("too_many_attempts"),
            },
        }
    },
    "/api/v1/auth/password-reset": {
        "post": {
            "summary": "Mail a password reset code (answers the same for unknown addresses)",
            "requestBody": _body(_object(["email"], email=EMAIL)),
            "responses": {
                "202": _answer("Accepted", _object(["status"], status=STRING)),
                "422": _error("validation_failed"),
            },
        }
    },
    "/api/v1/auth/password-reset/confirm": {
        "post": {
            "summary": "Set a new password with the mailed code",
            "requestBody": _body(
                _object(["email", "code", "password"], email=EMAIL, code=STRING, password=PASSWORD)
            ),
            "responses": {
                "200": _answer("Password changed", _object(["user"], user=_ref("User"))),
                "400": _error("invalid_code"),
                "422": _error("validation_failed"),
            },
        }
    },
    "/api/v1/me": {
        "get": {
            "summary": "The signed-in account",
            "security": BEARER,
            "responses": {"200": _answer("You", _ref("User")), "401": _error("not_authenticated")},
        }
    },
    "/api/v1/events": {
        "get": {
            "summary": "Published events that have not ended, soonest first",
            "parameters": [
                _query("q", "text in the title, description or venue (at most 200 characters)"),
                _query("category", "one category", {"type": "string", "enum": list(CATEGORIES)}),
                _query("from", "starts on or after: YYYY-MM-DD (UTC day) or RFC 3339"),
                _query("to", "starts before the end of: YYYY-MM-DD (UTC day) or RFC 3339"),
                _query("free", "true: free only; false: paid only", {"type": "boolean"}),
                *PAGING,
            ],
            "responses": {"200": _answer("A page", _list("Event")), "422": _error("bad filter")},
        },
        "post": {
            "summary": "Create an event (status draft)",
            "security": BEARER,
            "requestBody": _body(_object(REQUIRED_EVENT_FIELDS, **EVENT_FIELDS)),
            "responses": {
                "201": _answer("Created", _ref("Event")),
                "400": _error("invalid_json"),
                "401": _error("not_authenticated"),
                "403": _error("forbidden: organizers only"),
                "413": _error("payload_too_large"),
                "422": _error("validation_failed, with fields"),
            },
        },
    },
    "/api/v1/events/{event_id}": {
        "get": {
            "summary": "One event (a draft only for its organizer)",
            "parameters": EVENT_ID,
            "responses": {"200": _answer("The event", _ref("Event")), "404": _error("not_found")},
        },
        "patch": {
            "summary": "Change any fields of your event",
            "security": BEARER,
            "parameters": EVENT_ID,
            "requestBody": _body(_object([], **EVENT_FIELDS)),
            "responses": {
                "200": _answer("Changed", _ref("Event")),
                "404": _error("not_found (also for other organizers' events)"),
                "409": _error("capacity_below_sold, with seats_taken; invalid_state: cancelled"),
                "422": _error("validation_failed, with fields"),
            },
        },
    },
    "/api/v1/events/{event_id}/publish": {
        "post": {
            "summary": "Publish a draft",
            "security": BEARER,
            "parameters": EVENT_ID,
            "responses": {
                "200": _answer("Published", _ref("Event")),
                "404": _error("not_found"),
                "409": _error("invalid_state: not a draft"),
                "422": _error("validation_failed: the event has ended"),
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
                "200": _answer("Cancelled", _ref("Event")),
                "404": _error("not_found"),
            },
        }
    },
    "/api/v1/events/{event_id}/registrations": {
        "get": {
            "summary": "Your event's registrations, newest first",
            "security": BEARER,
            "parameters": [
                *EVENT_ID,
                _query("q", "name or email of the buyer, or an attendee name"),
                _query("status", "held, confirmed, expired, cancelled or refunded"),
                *PAGING,
            ],
            "responses": {
                "200": _answer("A page", _list("Registration")),
                "404": _error("not_found"),
                "422": _error("bad filter"),
            },
        }
    },
    "/api/v1/events/{event_id}/stats": {
        "get": {
            "summary": "Your event's figures",
            "security": BEARER,
            "parameters": EVENT_ID,
            "responses": {"200": _answer("Figures", _ref("Stats")), "404": _error("not_found")},
        }
    },
    "/api/v1/registrations": {
        "post": {
            "summary": "Register: a free event confirms at once, a paid one holds the seats",
            "security": BEARER,
            "requestBody": _body(
                _object(
                    ["event_id", "quantity"],
                    event_id=STRING,
                    quantity={"type": "integer", "minimum": 1},
                    attendee_names={"type": "array", "items": STRING},
                )
            ),
            "responses": {
                "201": _answer("Registered", _ref("Registration")),
                "401": _error("not_authenticated"),
                "404": _error("not_found: no such event"),
                "409": _error("sold_out, not_enough_seats (with seats_left), event_not_open"),
                "422": _error("validation_failed, with fields"),
            },
        },
        "get": {
            "summary": "Your registrations, newest first",
            "security": BEARER,
            "parameters": PAGING,
            "responses": {"200": _answer("A page", _list("Registration"))},
        },
    },
    "/api/v1/registrations/{registration_id}": {
        "get": {
            "summary": "A registration (its attendee or the event's organizer)",
            "security": BEARER,
            "parameters": REGISTRATION_ID,
            "responses": {
                "200": _answer("The registration", _ref("Registration")),
                "404": _error("not_found"),
            },
        }
    },
    "/api/v1/registrations/{registration_id}/cancel": {
        "post": {
            "summary": "Cancel: seats return to sale",
            "description": "Its attendee until the event starts, or the event's organizer.",
            "security": BEARER,
            "parameters": REGISTRATION_ID,
            "responses": {
                "200": _answer("Cancelled", _ref("Registration")),
                "403": _error("forbidden: the event has started"),
                "404": _error("not_found"),
                "409": _error("invalid_state: already cancelled or expired"),
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
            "requestBody": _body(
                _object(
                    ["card_number"],
                    card_number=STRING,
                    authenticate={"type": "string", "enum": ["approve", "fail"]},
                )
            ),
            "responses": {
                "200": _answer(
                    "Confirmed (or refunded if the seats were gone)", _ref("Registration")
                ),
                "402": _error(
                    "card_declined, insufficient_funds, expired_card, "
                    "authentication_required, authentication_failed"
                ),
                "404": _error("not_found"),
                "409": _error("hold_expired, not_simulator"),
                "422": _error("validation_failed: not a test card"),
            },
        }
    },
    "/api/v1/tickets/{ticket_id}": {
        "get": {
            "summary": "A ticket, with its code and a fresh signed PDF link",
            "security": BEARER,
            "parameters": [_path("ticket_id")],
            "responses": {
                "200": _answer("The ticket", _ref("Ticket")),
                "404": _error("not_found (also for other people's tickets)"),
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
            "requestBody": _body(
                _object(
                    ["code", "event_id"],
                    code={"type": "string", "description": "exactly the QR text"},
                    event_id=STRING,
                    gate={"type": "string", "maxLength": 60, "default": "Main gate"},
                    device={"type": "string", "maxLength": 64},
                )
            ),
            "responses": {
                "200": _answer("The verdict", _ref("Validation")),
                "401": _error("not_authenticated"),
                "403": _error("forbidden: not door staff or organizer of this event"),
                "404": _error("not_found: no such event"),
                "422": _error("validation_failed"),
            },
        }
    },
    "/api/v1/events/{event_id}/checkin-keys": {
        "get": {
            "summary": "Public keys that verify this event's ticket codes offline",
            "security": BEARER,
            "parameters": EVENT_ID,
            "responses": {
                "200": _answer(
                    "Keys",
                    _object(
                        ["keys"],
                        keys={
                            "type": "array",
                            "items": _object(
                                ["key_id", "algorithm", "public_key"],
                                key_id=STRING,
                                algorithm={"type": "string", "const": "Ed25519"},
                                public_key={"type": "string", "description": "base64, 32 bytes"},
                            ),
                        },
                    ),
                ),
                "403": _error("forbidden"),
                "404": _error("not_found"),
            },
        }
    },
    "/api/v1/events/{event_id}/door-search": {
        "get": {
            "summary": "Find tickets by attendee or buyer name, for people without a code",
            "security": BEARER,
            "parameters": [*EVENT_ID, _query("q", "part of a name (at most 100 characters)")],
            "responses": {
                "200": _answer("At most 20 tickets, with their codes", {"type": "object"}),
                "403": _error("forbidden"),
                "404": _error("not_found"),
                "422": _error("validation_failed"),
            },
        }
    },
    "/api/v1/events/{event_id}/door-staff": {
        "post": {
            "summary": "Let an existing account check tickets of your event",
            "security": BEARER,
            "parameters": EVENT_ID,
            "requestBody": _body(_object(["email"], email=EMAIL)),
            "responses": {
                "201": _answer("Assigned", {"type": "object"}),
                "404": _error("not_found"),
                "422": _error("validation_failed: no account with that email"),
            },
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This document",
            "responses": {"200": _answer("OpenAPI 3.1", {"type": "object"})},
        }
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Admit API",
            "version": "1",
            "description": "Events, registrations, tickets and check-in. Errors are "
            "`{error: {code, message, fields?}}`; lists are `{items, next_cursor}`.",
        },
        "servers": [{"url": "/"}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
