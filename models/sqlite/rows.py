"""Turning table rows into domain objects and back, and opaque keyset cursors."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from models.domain import (
    Event,
    EventStatus,
    Registration,
    RegistrationItem,
    RegistrationStatus,
    Role,
    TicketType,
    User,
)
from models.errors import ValidationFailed
from models.tickets import Ticket, TicketStatus


def utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_or_none(value: datetime | None) -> datetime | None:
    return utc(value) if value else None


def roles_to_text(roles: frozenset[Role] | set[Role]) -> str:
    return ",".join(sorted(role.value for role in roles))


def roles_from_text(text: str) -> set[Role]:
    return {Role(part) for part in text.split(",") if part}


def user_from_row(row: dict[str, Any]) -> User:
    return User(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        roles=frozenset(roles_from_text(row["roles"])),
        email_verified=bool(row["email_verified"]),
        created_at=utc(row["created_at"]),
        token_generation=row.get("token_generation") or 0,
        tokens_valid_after=utc_or_none(row.get("tokens_valid_after")),
    )


def event_columns(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "organizer_id": event.organizer_id,
        "title": event.title,
        "description": event.description,
        "venue": event.venue,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "timezone": event.timezone,
        "capacity": event.capacity,
        "price": event.price,
        "currency": event.currency,
        "category": event.category,
        "status": event.status.value,
        "max_per_registration": event.max_per_registration,
        "doors_open_at": event.doors_open_at,
        "cancellation_hours": event.cancellation_hours,
        "max_per_account": event.max_per_account,
        "waitlist_enabled": event.waitlist_enabled,
        "waitlist_offer_hours": event.waitlist_offer_hours,
        "transfers_allowed": event.transfers_allowed,
        "waitlist_seats": event.waitlist_seats,
        "waitlist_entries": event.waitlist_entries,
        "seats_confirmed": event.seats_confirmed,
        "seats_held": event.seats_held,
        "registrations": event.registrations,
        "revenue": event.revenue,
        "holds_expire_next": event.holds_expire_next,
        "checked_in": event.checked_in,
        "created_at": event.created_at,
    }


def event_from_row(row: dict[str, Any]) -> Event:
    return Event(
        id=row["id"],
        organizer_id=row["organizer_id"],
        title=row["title"],
        description=row["description"],
        venue=row["venue"],
        starts_at=utc(row["starts_at"]),
        ends_at=utc(row["ends_at"]),
        timezone=row["timezone"],
        capacity=row["capacity"],
        price=row["price"],
        currency=row["currency"],
        category=row["category"],
        status=EventStatus(row["status"]),
        max_per_registration=row["max_per_registration"],
        doors_open_at=utc_or_none(row["doors_open_at"]),
        cancellation_hours=row["cancellation_hours"],
        max_per_account=row["max_per_account"],
        waitlist_enabled=bool(row["waitlist_enabled"]),
        waitlist_offer_hours=row["waitlist_offer_hours"],
        transfers_allowed=bool(row["transfers_allowed"]),
        waitlist_seats=row["waitlist_seats"],
        waitlist_entries=row["waitlist_entries"],
        seats_confirmed=row["seats_confirmed"],
        seats_held=row["seats_held"],
        registrations=row["registrations"],
        revenue=row["revenue"],
        holds_expire_next=utc_or_none(row["holds_expire_next"]),
        checked_in=row["checked_in"],
        created_at=utc(row["created_at"]),
    )


def registration_columns(registration: Registration) -> dict[str, Any]:
    return {
        "id": registration.id,
        "event_id": registration.event_id,
        "user_id": registration.user_id,
        "buyer_name": registration.buyer_name,
        "buyer_email": registration.buyer_email,
        "quantity": registration.quantity,
        "amount": registration.amount,
        "currency": registration.currency,
        "status": registration.status.value,
        "attendee_names": json.dumps(list(registration.attendee_names)),
        "created_at": registration.created_at,
        "hold_expires_at": registration.hold_expires_at,
        "updated_at": registration.updated_at,
        "payment_ref": registration.payment_ref,
        "refunded_amount": registration.refunded_amount,
        "items": items_to_text(registration.items),
        "answers": json.dumps(dict(registration.answers)),
        "seat_answers": json.dumps([dict(seat) for seat in registration.seat_answers]),
        "promo_code_id": registration.promo_code_id,
        "promo_code": registration.promo_code,
    }


def items_to_text(items: tuple[RegistrationItem, ...]) -> str:
    return json.dumps([item.__dict__ for item in items])


def items_from_text(text: str | None) -> tuple[RegistrationItem, ...]:
    return tuple(RegistrationItem(**item) for item in json.loads(text or "[]"))


def registration_from_row(row: dict[str, Any]) -> Registration:
    return Registration(
        id=row["id"],
        event_id=row["event_id"],
        user_id=row["user_id"],
        buyer_name=row["buyer_name"],
        buyer_email=row["buyer_email"],
        quantity=row["quantity"],
        amount=row["amount"],
        currency=row["currency"],
        status=RegistrationStatus(row["status"]),
        attendee_names=tuple(json.loads(row["attendee_names"] or "[]")),
        created_at=utc(row["created_at"]),
        hold_expires_at=utc_or_none(row["hold_expires_at"]),
        updated_at=utc_or_none(row["updated_at"]),
        payment_ref=row["payment_ref"],
        refunded_amount=row["refunded_amount"],
        items=items_from_text(row.get("items")),
        answers=json.loads(row.get("answers") or "{}"),
        seat_answers=tuple(json.loads(row.get("seat_answers") or "[]")),
        promo_code_id=row.get("promo_code_id"),
        promo_code=row.get("promo_code"),
    )


TYPE_DEFINITION = (
    "name", "description", "price", "capacity", "sales_start", "sales_end",
    "max_per_registration", "hidden", "position",
)  # fmt: skip


def ticket_type_columns(kind: TicketType) -> dict[str, Any]:
    """The row of a new type (its counters start at 0; currency is the event's)."""
    return {
        "id": kind.id,
        "event_id": kind.event_id,
        **{name: getattr(kind, name) for name in TYPE_DEFINITION},
        "seats_confirmed": kind.seats_confirmed,
        "seats_held": kind.seats_held,
        "revenue": kind.revenue,
        "in_use": kind.in_use or kind.seats_taken > 0,
    }


def ticket_type_from_row(row: dict[str, Any], currency: str) -> TicketType:
    return TicketType(
        id=row["id"],
        event_id=row["event_id"],
        name=row["name"],
        description=row["description"] or "",
        price=row["price"],
        currency=currency,
        capacity=row["capacity"],
        sales_start=utc_or_none(_moment(row["sales_start"])),
        sales_end=utc_or_none(_moment(row["sales_end"])),
        max_per_registration=row["max_per_registration"],
        hidden=bool(row["hidden"]),
        position=row["position"],
        seats_confirmed=row["seats_confirmed"],
        seats_held=row["seats_held"],
        revenue=row["revenue"],
        in_use=bool(row["in_use"]),
        waitlist_seats=row["waitlist_seats"],
    )


def _moment(value: datetime | str | None) -> datetime | None:
    """Piccolo converts timestamps; a raw sqlite3 read gives the stored text."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def encode_cursor(moment: datetime, row_id: str) -> str:
    raw = json.dumps([moment.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, row_id = json.loads(base64.urlsafe_b64decode(padded))
        return utc(datetime.fromisoformat(moment)), str(row_id)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValidationFailed({"cursor": "This cursor was not issued by Admit."}) from exc


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def ticket_columns(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "event_id": ticket.event_id,
        "registration_id": ticket.registration_id,
        "user_id": ticket.user_id,
        "attendee_name": ticket.attendee_name,
        "buyer_name": ticket.buyer_name,
        "seat_no": ticket.seat_no,
        "seats": ticket.seats,
        "status": ticket.status.value,
        "created_at": ticket.created_at,
        "checked_in_at": ticket.checked_in_at,
        "checked_in_gate": ticket.checked_in_gate,
        "ticket_type_id": ticket.ticket_type_id,
        "ticket_type_name": ticket.ticket_type_name,
        "code_generation": ticket.code_generation,
    }


def ticket_from_row(row: dict[str, Any]) -> Ticket:
    return Ticket(
        id=row["id"],
        event_id=row["event_id"],
        registration_id=row["registration_id"],
        user_id=row["user_id"],
        attendee_name=row["attendee_name"],
        buyer_name=row["buyer_name"],
        seat_no=row["seat_no"],
        seats=row["seats"],
        status=TicketStatus(row["status"]),
        created_at=utc(row["created_at"]),
        checked_in_at=utc_or_none(row["checked_in_at"]),
        checked_in_gate=row["checked_in_gate"],
        ticket_type_id=row.get("ticket_type_id") or "",
        ticket_type_name=row.get("ticket_type_name") or "",
        code_generation=row.get("code_generation") or 0,
    )


def insert_sql(table: str, columns: dict[str, Any]) -> str:
    """INSERT with named parameters; the column names are ours, never user input."""
    names = ", ".join(columns)
    marks = ", ".join(f":{name}" for name in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
