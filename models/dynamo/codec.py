"""DynamoDB attribute values <-> Python values, entities <-> items, opaque cursors.

Times are ISO-8601 strings in UTC with a fixed width (microseconds, "+00:00"), so that
string order is time order; ints are numbers; None is left out of the item.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from models.domain import (
    DEFAULT_MAX_PER_ACCOUNT,
    DEFAULT_WAITLIST_OFFER_HOURS,
    GENERAL_ADMISSION,
    Event,
    EventStatus,
    Registration,
    RegistrationItem,
    RegistrationStatus,
    Role,
    TicketType,
    User,
    default_type_id,
)
from models.errors import ValidationFailed
from models.tickets import Ticket, TicketStatus

Item = dict[str, dict[str, Any]]

SEARCH_SEPARATOR = "\x1f"  # between the searchable fields, so a match cannot span two


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def encode(value: object) -> dict[str, Any]:
    """One Python value as a DynamoDB attribute value."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, datetime):
        return {"S": iso(value)}
    if isinstance(value, frozenset | set):
        return {"SS": sorted(str(v) for v in value)}
    if isinstance(value, list | tuple):
        return {"L": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {str(k): encode(v) for k, v in value.items()}}
    raise TypeError(f"Cannot store {type(value).__name__} in DynamoDB")


def decode(value: dict[str, Any]) -> Any:
    ((kind, raw),) = value.items()
    if kind == "N":
        return int(raw)
    if kind == "L":
        return [decode(v) for v in raw]
    if kind == "SS":
        return set(raw)
    if kind == "NULL":
        return None
    if kind == "M":
        return {name: decode(v) for name, v in raw.items()}
    return raw


def to_item(values: dict[str, object]) -> Item:
    return {name: encode(value) for name, value in values.items() if value is not None}


def from_item(item: Item) -> dict[str, Any]:
    return {name: decode(value) for name, value in item.items()}


def _time(values: dict[str, Any], name: str) -> datetime | None:
    text = values.get(name)
    return from_iso(text) if text else None


def searchable(*parts: str) -> str:
    """A lower-cased copy of the text fields a search may match (`contains` is
    case-sensitive in DynamoDB)."""
    return SEARCH_SEPARATOR.join(part.lower() for part in parts)


# -- users ---------------------------------------------------------------------------


def user_item(user: User, password_hash: str | None) -> Item:
    return to_item(
        {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "roles": set(user.roles) or None,
            "email_verified": user.email_verified,
            "password_hash": password_hash,
            "created_at": user.created_at,
            "token_generation": user.token_generation,
            "tokens_valid_after": user.tokens_valid_after,
        }
    )


def user_from_item(item: Item) -> User | None:
    values = from_item(item)
    if "email" not in values:  # the email guard item shares the users table
        return None
    return User(
        id=values["id"],
        email=values["email"],
        name=values["name"],
        roles=frozenset(Role(r) for r in values.get("roles", ())),
        email_verified=bool(values.get("email_verified", False)),
        created_at=from_iso(values["created_at"]),
        token_generation=int(values.get("token_generation", 0)),
        tokens_valid_after=_time(values, "tokens_valid_after"),
    )


# -- events --------------------------------------------------------------------------

EVENT_FIELDS = (
    "title", "description", "venue", "starts_at", "ends_at", "timezone", "capacity",
    "price", "currency", "category", "max_per_registration", "doors_open_at",
    "cancellation_hours", "max_per_account", "waitlist_enabled", "waitlist_offer_hours",
    "transfers_allowed",
)  # fmt: skip


def event_search_text(title: str, description: str, venue: str) -> str:
    return searchable(title, description, venue)


def event_item(event: Event, type_ids: list[str] | None = None) -> Item:
    values: dict[str, object] = {name: getattr(event, name) for name in EVENT_FIELDS}
    values.update(
        id=event.id,
        organizer_id=event.organizer_id,
        status=event.status.value,
        seats_confirmed=event.seats_confirmed,
        seats_held=event.seats_held,
        seats_taken=event.seats_confirmed + event.seats_held,
        registrations=event.registrations,
        revenue=event.revenue,
        holds_expire_next=event.holds_expire_next,
        checked_in=event.checked_in,
        created_at=event.created_at,
        version=0,
        search_text=event_search_text(event.title, event.description, event.venue),
        # The event's types in their order; an event stored before types has none
        # (models/dynamo/ticket_types.py gives it its "General admission" type lazily).
        ticket_type_ids=type_ids,
    )
    return to_item(values)


# -- ticket types ----------------------------------------------------------------------
#
# A type is an item of the events table (it has no `organizer_id` or `status`, so it
# stays out of that table's indexes), with its own seat counters.


def type_key(event_id: str, type_id: str) -> str:
    return f"type#{event_id}#{type_id}"


TYPE_DEFINITION = (
    "name", "description", "price", "capacity", "sales_start", "sales_end",
    "max_per_registration", "hidden",
)  # fmt: skip


def ticket_type_item(kind: TicketType) -> Item:
    values: dict[str, object] = {name: getattr(kind, name) for name in TYPE_DEFINITION}
    values.update(
        id=type_key(kind.event_id, kind.id),
        type_id=kind.id,
        event_id=kind.event_id,
        seats_confirmed=kind.seats_confirmed,
        seats_held=kind.seats_held,
        seats_taken=kind.seats_taken,
        revenue=kind.revenue,
        in_use=kind.in_use or kind.seats_taken > 0,
    )
    return to_item(values)


def ticket_type_from_item(item: Item, currency: str, position: int) -> TicketType:
    v = from_item(item)
    return TicketType(
        id=v["type_id"],
        event_id=v["event_id"],
        name=v["name"],
        description=v.get("description", ""),
        price=v["price"],
        currency=currency,
        capacity=v.get("capacity"),
        sales_start=_time(v, "sales_start"),
        sales_end=_time(v, "sales_end"),
        max_per_registration=v.get("max_per_registration"),
        hidden=bool(v.get("hidden", False)),
        position=position,
        seats_confirmed=v.get("seats_confirmed", 0),
        seats_held=v.get("seats_held", 0),
        revenue=v.get("revenue", 0),
        in_use=bool(v.get("in_use", False)),
        waitlist_seats=v.get("waitlist_seats", 0),
    )


def event_from_item(item: Item) -> Event:
    v = from_item(item)
    return Event(
        id=v["id"],
        organizer_id=v["organizer_id"],
        title=v["title"],
        description=v.get("description", ""),
        venue=v["venue"],
        starts_at=from_iso(v["starts_at"]),
        ends_at=from_iso(v["ends_at"]),
        timezone=v["timezone"],
        capacity=v["capacity"],
        price=v["price"],
        currency=v["currency"],
        category=v.get("category", ""),
        status=EventStatus(v["status"]),
        max_per_registration=v["max_per_registration"],
        doors_open_at=_time(v, "doors_open_at"),
        cancellation_hours=v["cancellation_hours"],
        # Events stored before the limit existed get its default.
        max_per_account=v.get("max_per_account", DEFAULT_MAX_PER_ACCOUNT),
        seats_confirmed=v["seats_confirmed"],
        seats_held=v["seats_held"],
        registrations=v["registrations"],
        revenue=v["revenue"],
        holds_expire_next=_time(v, "holds_expire_next"),
        checked_in=v["checked_in"],
        created_at=from_iso(v["created_at"]),
        seat_shards=v.get("seat_shards", 1),
        # Events stored before the waiting list get its defaults.
        waitlist_enabled=bool(v.get("waitlist_enabled", True)),
        waitlist_offer_hours=v.get("waitlist_offer_hours", DEFAULT_WAITLIST_OFFER_HOURS),
        waitlist_seats=v.get("waitlist_seats", 0),
        waitlist_entries=v.get("waitlist_entries", 0),
        transfers_allowed=bool(v.get("transfers_allowed", True)),
    )


# -- registrations ---------------------------------------------------------------------


def registration_item(registration: Registration) -> Item:
    held = registration.status is RegistrationStatus.HELD
    return to_item(
        {
            "id": registration.id,
            "event_id": registration.event_id,
            "user_id": registration.user_id,
            "buyer_name": registration.buyer_name,
            "buyer_email": registration.buyer_email,
            "quantity": registration.quantity,
            "amount": registration.amount,
            "currency": registration.currency,
            "status": registration.status.value,
            "attendee_names": list(registration.attendee_names),
            "created_at": registration.created_at,
            # The domain value, always kept; `hold_expires_at` is the sparse index key of
            # by_status_hold_expiry, present only while the registration is held.
            "hold_until": registration.hold_expires_at,
            "hold_expires_at": registration.hold_expires_at if held else None,
            "updated_at": registration.updated_at,
            "payment_ref": registration.payment_ref,
            "refunded_amount": registration.refunded_amount,
            "items": [dict(item.__dict__) for item in registration.items] or None,
            # Answers to the event's questions (models/questions.py), left out when none.
            "answers": dict(registration.answers) or None,
            "seat_answers": [dict(seat) for seat in registration.seat_answers] or None,
            "promo_code_id": registration.promo_code_id,
            "promo_code": registration.promo_code,
            "search_text": searchable(
                registration.buyer_name,
                registration.buyer_email,
                *registration.attendee_names,
            ),
        }
    )


def registration_from_item(item: Item) -> Registration:
    v = from_item(item)
    return Registration(
        id=v["id"],
        event_id=v["event_id"],
        user_id=v["user_id"],
        buyer_name=v["buyer_name"],
        buyer_email=v["buyer_email"],
        quantity=v["quantity"],
        amount=v["amount"],
        currency=v["currency"],
        status=RegistrationStatus(v["status"]),
        attendee_names=tuple(v.get("attendee_names", ())),
        created_at=from_iso(v["created_at"]),
        hold_expires_at=_time(v, "hold_until"),
        updated_at=_time(v, "updated_at"),
        payment_ref=v.get("payment_ref"),
        refunded_amount=v.get("refunded_amount", 0),
        # Stored before types: none, and `Registration.seat_items` names the default type.
        items=tuple(RegistrationItem(**each) for each in v.get("items", ())),
        answers=v.get("answers", {}),
        seat_answers=tuple(v.get("seat_answers", ())),
        promo_code_id=v.get("promo_code_id"),
        promo_code=v.get("promo_code"),
    )


# -- tickets -------------------------------------------------------------------------


def ticket_item(ticket: Ticket) -> Item:
    return to_item(
        {
            "id": ticket.id,
            "event_id": ticket.event_id,
            "registration_id": ticket.registration_id,
            "user_id": ticket.user_id or None,
            "attendee_name": ticket.attendee_name,
            "buyer_name": ticket.buyer_name,
            "seat_no": ticket.seat_no,
            "seats": ticket.seats,
            "status": ticket.status.value,
            "created_at": ticket.created_at,
            "checked_in_at": ticket.checked_in_at,
            "checked_in_gate": ticket.checked_in_gate,
            "ticket_type_id": ticket.ticket_type_id or None,
            "ticket_type_name": ticket.ticket_type_name or None,
            "search_text": searchable(ticket.attendee_name, ticket.buyer_name),
            # Absent until a transfer: the door's condition tells "never passed on" so.
            "code_generation": ticket.code_generation or None,
        }
    )


def ticket_from_item(item: Item) -> Ticket:
    v = from_item(item)
    return Ticket(
        id=v["id"],
        event_id=v["event_id"],
        registration_id=v["registration_id"],
        # No account holds a ticket passed on to an address without one (no index key).
        user_id=v.get("user_id", ""),
        attendee_name=v["attendee_name"],
        buyer_name=v["buyer_name"],
        seat_no=v["seat_no"],
        seats=v["seats"],
        status=TicketStatus(v["status"]),
        created_at=from_iso(v["created_at"]),
        checked_in_at=_time(v, "checked_in_at"),
        checked_in_gate=v.get("checked_in_gate"),
        # Issued before types: the event's default "General admission" type.
        ticket_type_id=v.get("ticket_type_id", default_type_id(v["event_id"])),
        ticket_type_name=v.get("ticket_type_name", GENERAL_ADMISSION),
        code_generation=v.get("code_generation", 0),
    )


# -- cursors ---------------------------------------------------------------------------

_CURSOR_TAG = "admit1"


def encode_cursor(last_key: Item) -> str:
    """A LastEvaluatedKey as an opaque, URL-safe string."""
    raw = json.dumps([_CURSOR_TAG, last_key], separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(
    cursor: str | None, key_names: frozenset[str], partition: tuple[str, str]
) -> Item | None:
    """The ExclusiveStartKey inside a cursor we issued for this index and this partition
    (`partition` = (hash key name, value)), else `ValidationFailed`."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        tag, key = json.loads(base64.urlsafe_b64decode(padded))
        valid = (
            tag == _CURSOR_TAG
            and isinstance(key, dict)
            and set(key) == key_names
            and all(
                isinstance(v, dict) and len(v) == 1 and set(v) <= {"S", "N"}
                and all(isinstance(x, str) for x in v.values())
                for v in key.values()
            )
            and key.get(partition[0]) == {"S": partition[1]}
        )  # fmt: skip
    except (ValueError, TypeError) as exc:
        raise ValidationFailed({"cursor": "This cursor was not issued by Admit."}) from exc
    if not valid:
        raise ValidationFailed({"cursor": "This cursor was not issued by Admit."})
    return key
