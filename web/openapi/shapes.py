"""Building blocks of the OpenAPI document: small constructors and the shared schemas."""

from __future__ import annotations

from typing import Any

from models.event_rules import CATEGORIES

JSON = "application/json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema}}}


def answer(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if schema is not None:
        answer["content"] = {JSON: {"schema": schema}}
    return answer


def error(description: str) -> dict[str, Any]:
    return answer(description, ref("Error"))


def obj(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


STRING = {"type": "string"}
EMAIL = {"type": "string", "format": "email", "maxLength": 254}
PASSWORD = {
    "type": "string",
    "minLength": 8,
    "maxLength": 256,
    "description": "At least 8 characters with a digit and an upper-case letter.",
}
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]

SCHEMAS: dict[str, Any] = {
    "Error": obj(
        ["error"],
        error=obj(
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
    "User": obj(
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
        "before the start, and never after doors_open_at",
    },
    "max_per_account": {
        "type": "integer",
        "minimum": 1,
        "maximum": 1000,
        "default": 10,
        "description": "the most seats one account may hold and have confirmed for the event, "
        "over all its registrations",
    },
    "waitlist_enabled": {
        "type": "boolean",
        "default": True,
        "description": "people may join the waiting list when sold out, and seats that come "
        "back are offered to it by themselves",
    },
    "waitlist_offer_hours": {
        "type": "integer",
        "minimum": 1,
        "maximum": 336,
        "default": 24,
        "description": "how long a waiting-list offer lasts (never past the start)",
    },
    "transfers_allowed": {
        "type": "boolean",
        "default": True,
        "description": "attendees may pass their tickets on to someone else (false: locked)",
    },
}
REQUIRED_EVENT_FIELDS = [
    "title", "venue", "starts_at", "ends_at", "timezone", "capacity",
    "price", "currency",
]  # fmt: skip

TICKET_TYPE_FIELDS: dict[str, Any] = {
    "name": {
        "type": "string",
        "minLength": 1,
        "maxLength": 100,
        "description": "unique in the event",
    },
    "description": {"type": "string", "maxLength": 10000},
    "price": EVENT_FIELDS["price"],
    "capacity": {
        "type": ["integer", "null"],
        "minimum": 1,
        "maximum": 100000,
        "description": "null: only the event's capacity limits it",
    },
    "sales_start": {"type": ["string", "null"], "format": "date-time"},
    "sales_end": {"type": ["string", "null"], "format": "date-time"},
    "max_per_registration": {
        "type": ["integer", "null"],
        "minimum": 1,
        "maximum": 100,
        "description": "null: the event's",
    },
    "hidden": {"type": "boolean", "description": "sold only with a code that unlocks it"},
}
SCHEMAS["TicketType"] = obj(
    ["id", "name", "description", "price", "currency", "capacity", "seats_left", "sales_start",
     "sales_end", "max_per_registration", "hidden", "on_sale"],
    id=STRING,
    **TICKET_TYPE_FIELDS,
    currency=STRING,
    seats_left={"type": "integer", "description": "the smaller of its own and the event's"},
    on_sale={"type": "boolean"},
)  # fmt: skip

QUESTION_FIELDS: dict[str, Any] = {
    "label": {"type": "string", "minLength": 1, "maxLength": 200},
    "kind": {"type": "string", "enum": ["text", "choice", "checkbox"]},
    "options": {
        "type": "array",
        "items": {"type": "string", "minLength": 1, "maxLength": 100},
        "maxItems": 30,
        "description": "choice: 2-30 distinct options; other kinds: none",
    },
    "required": {
        "type": "boolean",
        "description": "a required checkbox must be ticked (true)",
    },
    "per": {
        "type": "string",
        "enum": ["registration", "ticket"],
        "description": "asked once (answers) or for each seat (attendees[i].answers)",
    },
    "position": {
        "type": "integer",
        "minimum": 0,
        "description": "its place among the event's questions, from 0; beyond the end: last",
    },
}
# Built by hand: a property named "required" cannot go through obj()'s keywords.
SCHEMAS["Question"] = {
    "type": "object",
    "required": ["id", "label", "kind", "options", "required", "per", "position"],
    "properties": {"id": STRING, **QUESTION_FIELDS},
}
ANSWERS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": ["string", "boolean"]},
    "description": "{question id: answer}: text (up to 1,000 characters), one of the "
    "options (choice) or true/false (checkbox)",
}

SCHEMAS["Event"] = obj(
    [*REQUIRED_EVENT_FIELDS, "id", "seats_left", "status", "organizer_id", "category",
     "max_per_registration", "doors_open_at", "cancellation_hours", "max_per_account"],
    id=STRING,
    **EVENT_FIELDS,
    seats_left={"type": "integer"},
    status={"type": "string", "enum": ["draft", "published", "cancelled", "ended"]},
    organizer_id=STRING,
    ticket_types={
        "type": "array",
        "items": ref("TicketType"),
        "description": "hidden ones only to its organizer; price is the lowest visible one's",
    },
    questions={"type": "array", "items": ref("Question"), "description": "in order"},
)  # fmt: skip
SCHEMAS["Registration"] = obj(
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
    items={
        "type": "array",
        "items": obj(
            ["ticket_type_id", "name", "quantity", "unit_price", "discount"],
            ticket_type_id=STRING,
            name=STRING,
            quantity={"type": "integer", "minimum": 1},
            unit_price={"type": "integer", "description": "minor units"},
            discount={"type": "integer", "description": "per ticket, minor units"},
        ),
    },
    attendees={
        "type": "array",
        "items": obj(["name"], name=STRING, answers=ANSWERS),
        "description": "one per seat, in the order of items, with its per-ticket answers",
    },
    answers=ANSWERS,
    promo_code={
        "type": ["string", "null"],
        "description": "the code used, as its organizer wrote it; amount is after its discount",
    },
    created_at=DATETIME,
    hold_expires_at={"type": ["string", "null"], "format": "date-time"},
    payment={
        "type": ["object", "null"],
        "description": "null for free events",
        "properties": {
            "provider": {"type": "string", "enum": ["simulator", "stripe"]},
            "status": STRING,
            "amount_refunded": {
                "type": "integer",
                "description": "minor units given back: part of the amount after a partial "
                "refund (the registration stays confirmed), all of it once refunded",
            },
            "client_secret": {
                "type": "string",
                "description": "to pay a held registration; only ever to its attendee",
            },
            "publishable_key": STRING,
        },
    },
    tickets={"type": "array", "items": STRING},
)  # fmt: skip
SCHEMAS["Ticket"] = obj(
    ["id", "event_id", "registration_id", "attendee_name", "status", "code", "download_url",
     "download_expires_at", "checked_in_at"],
    id=STRING,
    event_id=STRING,
    registration_id=STRING,
    attendee_name=STRING,
    ticket_type_id=STRING,
    ticket_type_name=STRING,
    status={"type": "string", "enum": ["valid", "used", "void"]},
    code={"type": "string", "description": "exactly the text in the QR code"},
    download_url={
        "type": ["string", "null"],
        "description": "signed PDF link, at most 15 minutes (null in a transfer's answer: "
        "the former holder may no longer fetch it)",
    },
    download_expires_at={"type": ["string", "null"], "format": "date-time"},
    checked_in_at={"type": ["string", "null"], "format": "date-time"},
)  # fmt: skip
SCHEMAS["Validation"] = obj(
    ["result", "ticket", "first_checked_in_at", "first_gate", "progress"],
    result={
        "type": "string",
        "enum": ["admitted", "already_used", "wrong_event", "void", "invalid",
                 "not_yet_open", "event_over"],
    },
    ticket={"type": ["object", "null"]},
    first_checked_in_at={"type": ["string", "null"], "format": "date-time"},
    first_gate={"type": ["string", "null"]},
    progress=obj(["admitted", "total"], admitted={"type": "integer"},
                     total={"type": "integer"}),
)  # fmt: skip
SCHEMAS["Stats"] = obj(
    ["capacity", "seats_taken", "seats_held", "seats_left", "registrations", "revenue",
     "currency", "checked_in", "by_ticket_type", "sales_by_day", "checkins_by_quarter_hour",
     "checkins_by_gate", "waitlist"],
    capacity={"type": "integer"},
    seats_taken={"type": "integer", "description": "confirmed + held"},
    seats_held={"type": "integer"},
    seats_left={"type": "integer"},
    registrations={"type": "integer", "description": "confirmed registrations"},
    revenue={"type": "integer", "description": "minor units, confirmed registrations"},
    currency=STRING,
    checked_in={"type": "integer"},
    by_ticket_type={
        "type": "array",
        "items": obj(
            ["ticket_type_id", "name", "capacity", "sold", "held", "revenue"],
            ticket_type_id=STRING,
            name=STRING,
            capacity={"type": ["integer", "null"]},
            sold={"type": "integer"},
            held={"type": "integer"},
            revenue={"type": "integer", "description": "minor units, before partial refunds"},
        ),
    },
    sales_by_day={
        "type": "array",
        "description": "tickets and revenue per day in the event's time zone, net of what "
        "was given back that day",
        "items": obj(
            ["date", "tickets", "revenue"],
            date={"type": "string", "format": "date"},
            tickets={"type": "integer"},
            revenue={"type": "integer"},
        ),
    },
    checkins_by_quarter_hour={
        "type": "array",
        "items": obj(
            ["at", "count"], at={"type": "string", "format": "date-time"}, count={"type": "integer"}
        ),
    },
    checkins_by_gate={
        "type": "array",
        "description": "admissions per gate as the door named it, busiest first",
        "items": obj(["gate", "count"], gate=STRING, count={"type": "integer"}),
    },
    waitlist={"type": "integer", "description": "people waiting"},
)  # fmt: skip


def page_of(item: str) -> dict[str, Any]:
    return obj(
        ["items", "next_cursor"],
        items={"type": "array", "items": ref(item)},
        next_cursor={"type": ["string", "null"]},
    )


def query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema or STRING}


def path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": STRING}


PAGING = [
    query("cursor", "next_cursor of the previous page"),
    query("limit", "1-100, default 20", {"type": "integer", "minimum": 1, "maximum": 100}),
]
EVENT_ID = [path_param("event_id")]
REGISTRATION_ID = [path_param("registration_id")]
