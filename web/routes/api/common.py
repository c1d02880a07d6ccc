"""Shared pieces of the JSON API: body parsing and the shapes of our objects."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse

from models.domain import Event, Registration, RegistrationStatus, TicketType, User, utcnow
from models.errors import AdmitError, ValidationFailed
from web.services.container import services_of

Part = TypeVar("Part")


class InvalidJSON(AdmitError):
    status = 400
    code = "invalid_json"
    message = "The request body must be a JSON object."


async def json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"null")
    # ValueError covers malformed JSON and numbers past Python's digit limit;
    # RecursionError, absurdly deep nesting.
    except (ValueError, RecursionError) as exc:
        raise InvalidJSON() from exc
    if not isinstance(body, dict) or not _encodable(body):
        raise InvalidJSON()
    return body


def _encodable(value: Any) -> bool:
    """False when a string holds a lone surrogate (JSON allows "\ud800"; UTF-8 does not,
    so it could be neither stored nor sent back)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_encodable(k) and _encodable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_encodable(item) for item in value)
    return True


def strings(body: dict[str, Any], *names: str, optional: tuple[str, ...] = ()) -> dict[str, str]:
    """Pick string fields; a missing required field or a non-string is a 422 naming it."""
    values: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name in (*names, *optional):
        value = body.get(name)
        if value is None:
            if name in names:
                problems[name] = "This field is required."
            continue
        if not isinstance(value, str):
            problems[name] = "Must be a string."
            continue
        values[name] = value
    if problems:
        raise ValidationFailed(problems)
    return values


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "roles": sorted(role.value for role in user.roles),
    }


def page_params(request: Request) -> tuple[int, str | None]:
    """`limit` (1-100, default 20) and the opaque `cursor` of a list request."""
    raw = request.query_params.get("limit", "20")
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise ValidationFailed({"limit": "Use a whole number from 1 to 100."})
    return limit, request.query_params.get("cursor") or None


def list_json(items: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}


def rfc3339(moment: datetime | None, zone: str | None = None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(zone)).isoformat() if zone else moment.isoformat()


async def event_part_json(
    request: Request,
    organizer: User,
    part: Part,
    to_json: Callable[[Part, Event], dict[str, Any]],
    status_code: int = 200,
) -> JSONResponse:
    """A part of the event in the path (a ticket type, a promo code) just changed, as
    JSON: its times and amounts are shown in the event's zone and currency, so the event
    is read after the change."""
    event = await services_of(request).events.owned(organizer, request.path_params["event_id"])
    return JSONResponse(to_json(part, event), status_code=status_code)


def ticket_type_json(kind: TicketType, event: Event) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": kind.id,
        "name": kind.name,
        "description": kind.description,
        "price": kind.price,
        "currency": event.currency,
        "capacity": kind.capacity,
        "seats_left": kind.seats_left(event),
        "sales_start": rfc3339(kind.sales_start, event.timezone),
        "sales_end": rfc3339(kind.sales_end, event.timezone),
        "max_per_registration": kind.per_registration(event),
        "hidden": kind.hidden,
        "on_sale": event.is_on_sale(now) and kind.on_sale(now),
    }


def event_json(event: Event, types: list[TicketType] | None = None) -> dict[str, Any]:
    """`types`: those the viewer may see (hidden ones only to the organizer)."""
    zone = event.timezone
    return {
        "id": event.id,
        "title": event.title,
        "description": event.description,
        "venue": event.venue,
        "starts_at": rfc3339(event.starts_at, zone),
        "ends_at": rfc3339(event.ends_at, zone),
        "timezone": zone,
        "capacity": event.capacity,
        "seats_left": event.seats_left,
        "price": event.price,
        "currency": event.currency,
        "category": event.category,
        "status": event.status.value,
        "organizer_id": event.organizer_id,
        "max_per_registration": event.max_per_registration,
        "doors_open_at": rfc3339(event.effective_doors_open_at, zone),
        "cancellation_hours": event.cancellation_hours,
        "max_per_account": event.max_per_account,
        "waitlist_enabled": event.waitlist_enabled,
        "waitlist_offer_hours": event.waitlist_offer_hours,
        "transfers_allowed": event.transfers_allowed,
        "ticket_types": [ticket_type_json(kind, event) for kind in types or ()],
    }


def registration_json(
    registration: Registration, payments: str, ticket_ids: list[str] | None = None
) -> dict[str, Any]:
    payment = None
    if not registration.is_free:
        payment = {
            "provider": payments,
            "status": payment_status(registration),
            "amount_refunded": (
                registration.amount
                if registration.status is RegistrationStatus.REFUNDED
                else registration.refunded_amount
            ),
        }
    return {
        "id": registration.id,
        "event_id": registration.event_id,
        "user_id": registration.user_id,
        "quantity": registration.quantity,
        "amount": registration.amount,
        "currency": registration.currency,
        "status": registration.status.value,
        "attendee_names": list(registration.attendee_names),
        "items": [
            {
                "ticket_type_id": item.ticket_type_id,
                "name": item.name,
                "quantity": item.quantity,
                "unit_price": item.unit_price,
                "discount": item.discount,
            }
            for item in registration.seat_items
        ],
        "attendees": [
            {"name": name, "answers": _seat_answers(registration, seat)}
            for seat, name in enumerate(_seat_names(registration))
        ],
        "answers": dict(registration.answers),
        "promo_code": registration.promo_code,
        "created_at": rfc3339(registration.created_at),
        "hold_expires_at": rfc3339(registration.hold_expires_at),
        "payment": payment,
        "tickets": ticket_ids or [],
    }


def _seat_names(registration: Registration) -> list[str]:
    names = list(registration.attendee_names)
    return [
        (names[seat] if seat < len(names) else "") or registration.buyer_name
        for seat in range(registration.quantity)
    ]


def _seat_answers(registration: Registration, seat: int) -> dict[str, Any]:
    answers = registration.seat_answers
    return dict(answers[seat]) if seat < len(answers) else {}


def payment_status(registration: Registration) -> str:
    return {
        RegistrationStatus.HELD: "requires_payment",
        RegistrationStatus.CONFIRMED: "succeeded",
        RegistrationStatus.REFUNDED: "refunded",
    }.get(registration.status, "canceled")
