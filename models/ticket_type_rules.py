"""What makes ticket type fields valid (the organizer's form and the JSON API alike),
and the rules that tie an event's types together: unique names, the event's `price`
(its lowest visible type's), and which types a registration may name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from models.domain import (
    TICKET_TYPE_NAME_MAX,
    Event,
    RegistrationItem,
    TicketType,
)
from models.errors import ValidationFailed
from models.event_rules import (
    CAPACITY_MAX,
    DESCRIPTION_MAX,
    PER_REGISTRATION_MAX,
    FieldChecker,
    Source,
    minor_exponent,
)

FIELDS = (
    "name", "description", "price", "capacity", "sales_start", "sales_end",
    "max_per_registration", "hidden",
)  # fmt: skip
UNKNOWN_FIELD = "Not a field of a ticket type."


@dataclass(frozen=True)
class TicketTypeFields:
    name: str
    description: str
    price: int
    capacity: int | None
    sales_start: datetime | None
    sales_end: datetime | None
    max_per_registration: int | None
    hidden: bool


def fields_of(kind: TicketType) -> dict[str, Any]:
    """A type's current values, as `parse_ticket_type_fields(source="json")` takes them."""
    return {
        "name": kind.name,
        "description": kind.description,
        "price": kind.price,
        "capacity": kind.capacity,
        "sales_start": kind.sales_start.isoformat() if kind.sales_start else None,
        "sales_end": kind.sales_end.isoformat() if kind.sales_end else None,
        "max_per_registration": kind.max_per_registration,
        "hidden": kind.hidden,
    }


def form_values_of(kind: TicketType, event: Event) -> dict[str, str]:
    """A type's current values as the organizer's form shows them (local times)."""
    zone = ZoneInfo(event.timezone)
    exponent = minor_exponent(event.currency)

    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if moment else ""

    return {
        "name": kind.name,
        "description": kind.description,
        "price": f"{Decimal(kind.price).scaleb(-exponent):.{exponent}f}",
        "capacity": "" if kind.capacity is None else str(kind.capacity),
        "sales_start": local(kind.sales_start),
        "sales_end": local(kind.sales_end),
        "max_per_registration": (
            "" if kind.max_per_registration is None else str(kind.max_per_registration)
        ),
        "hidden": "on" if kind.hidden else "",
    }


def unknown_fields(raw: Mapping[str, Any]) -> dict[str, str]:
    return {name: UNKNOWN_FIELD for name in raw if name not in FIELDS}


def parse_ticket_type_fields(
    raw: Mapping[str, Any], source: Source, event: Event
) -> TicketTypeFields:
    """Every problem at once, keyed by field (`ValidationFailed`). Forms send prices in
    major units and local times; JSON, minor units and RFC 3339 with an offset. An empty
    capacity or maximum means none of its own."""
    check = FieldChecker(raw, source)
    name = check.text("name", 1, TICKET_TYPE_NAME_MAX, "a name")
    description = check.text("description", 0, DESCRIPTION_MAX, "a description", one_line=False)
    price = check.price(event.currency)
    capacity = _optional_integer(check, raw, "capacity", CAPACITY_MAX)
    per_registration = _optional_integer(check, raw, "max_per_registration", PER_REGISTRATION_MAX)
    zone = ZoneInfo(event.timezone)
    sales_start = check.moment("sales_start", zone, "sales start", required=False)
    sales_end = check.moment("sales_end", zone, "sales end", required=False)
    if sales_start and sales_end and sales_end <= sales_start:
        check.fail("sales_end", "Sales must end after they start.")
    hidden = raw.get("hidden", False)
    if source == "form":
        hidden = hidden in ("on", "true", "1", True)
    elif hidden is None:
        hidden = False
    elif not isinstance(hidden, bool):
        check.fail("hidden", "Use true or false.")
    if check.problems:
        raise ValidationFailed(check.problems)
    return TicketTypeFields(
        name=name,
        description=description,
        price=price,
        capacity=capacity,
        sales_start=sales_start,
        sales_end=sales_end,
        max_per_registration=per_registration,
        hidden=bool(hidden),
    )


def _optional_integer(
    check: FieldChecker, raw: Mapping[str, Any], name: str, high: int
) -> int | None:
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check.integer(name, 1, high)


def name_taken(types: Sequence[TicketType], name: str, besides: str = "") -> bool:
    """Names are unique within an event, without regard to case."""
    folded = name.casefold()
    return any(t.name.casefold() == folded and t.id != besides for t in types)


NAME_TAKEN = {"name": "Another ticket type of this event has this name."}


def price_follower(types: Sequence[TicketType], old_price: int, new_price: int) -> str | None:
    """When an event's own `price` is edited (the old way of setting it): the id of the
    type whose price follows it (its only type), or None when it does not change. With
    several types a different price is refused: each type has its own."""
    if new_price == old_price:
        return None
    if len(types) == 1:
        return types[0].id
    raise ValidationFailed(
        {"price": "This event has several ticket types: change the price of each type."}
    )


def order_total(types: Sequence[TicketType], lines: Sequence[tuple[str, int]]) -> tuple[int, int]:
    """(amount, seats) of the quantities chosen, over the types offered; unknown types and
    quantities below 0 count nothing (the page's running total, not a decision)."""
    prices = {t.id: t.price for t in types}
    chosen = [(prices[type_id], count) for type_id, count in lines if type_id in prices]
    return (
        sum(price * max(0, count) for price, count in chosen),
        sum(max(0, count) for _, count in chosen),
    )


def requested_items(
    event: Event,
    types: Sequence[TicketType],
    lines: Sequence[tuple[str, int]] | None,
    quantity: int | None,
    unlocked: frozenset[str] = frozenset(),
) -> tuple[RegistrationItem, ...]:
    """The items of a new registration from what was asked: `lines` of (type id,
    quantity), or a bare `quantity` while the event has one visible type. An unknown or
    hidden type, a quantity out of range, or a bare quantity with several types to
    choose from is a 422 on `items` (or `quantity`). Lines of one type are added up;
    lines of 0 are dropped (a form sends every type). Items keep the order asked in.
    Hidden types in `unlocked` (a promo code unlocks them) may be named too."""
    visible = [t for t in types if not t.hidden]
    field = "items" if lines is not None else "quantity"
    if lines is None:
        if len(visible) != 1:
            raise ValidationFailed(
                {"items": "This event has several ticket types: choose a quantity of each."}
            )
        lines = [(visible[0].id, quantity or 0)]
    by_id = {t.id: t for t in types if not t.hidden or t.id in unlocked}
    wanted: dict[str, int] = {}
    for type_id, count in lines:
        if type_id not in by_id:
            raise ValidationFailed({"items": "Choose one of this event's ticket types."})
        if count < 0:
            raise ValidationFailed({field: "Choose at least 1 ticket."})
        wanted[type_id] = wanted.get(type_id, 0) + count
    total = sum(wanted.values())
    if total < 1:
        raise ValidationFailed({field: "Choose at least 1 ticket."})
    if total > event.max_per_registration:
        raise ValidationFailed(
            {field: f"You can book at most {event.max_per_registration} tickets at a time."}
        )
    for type_id, count in wanted.items():
        most = by_id[type_id].per_registration(event)
        if count > most:
            raise ValidationFailed(
                {field: f"You can book at most {most} tickets of {by_id[type_id].name} at a time."}
            )
    # In the order asked: the attendees' names follow it.
    return tuple(
        RegistrationItem(type_id, by_id[type_id].name, count, by_id[type_id].price)
        for type_id, count in wanted.items()
        if count
    )
