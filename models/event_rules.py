"""What makes event fields valid, for the organizer's form and the JSON API alike.

Forms send text (times as the event's local wall-clock time, prices in major units);
the API sends JSON (RFC 3339 times with an offset, prices in minor units). Both end in
the same checked `EventFields`, or a `ValidationFailed` naming every bad field at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from models.domain import (
    DEFAULT_CANCELLATION_HOURS,
    DEFAULT_MAX_PER_ACCOUNT,
    DEFAULT_MAX_PER_REGISTRATION,
    DEFAULT_WAITLIST_OFFER_HOURS,
    Event,
    EventStatus,
    one_line_problem,
)
from models.errors import ValidationFailed

Source = Literal["form", "json"]

TITLE_MAX = 200
VENUE_MAX = 300
DESCRIPTION_MAX = 10_000
CAPACITY_MAX = 100_000
PRICE_MAX = 100_000_000
PER_REGISTRATION_MAX = 100
PER_ACCOUNT_MAX = 1_000
CANCELLATION_HOURS_MAX = 720
WAITLIST_OFFER_HOURS_MAX = 336  # two weeks
# Far enough for any real event, and far from datetime's limits (doors open two hours
# before the start: year 1 would overflow).
YEARS = (2000, 2999)

CATEGORIES = (
    "music",
    "tech",
    "film",
    "food",
    "sports",
    "arts",
    "wellness",
    "business",
    "community",
    "market",
    "other",
)

# ISO 4217 codes in use, with their minor-unit exponent where it is not 2.
CURRENCIES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD
    BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR
    FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
    JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
    MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
    QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS
    TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR
    ZMW ZWL""".split()  # noqa: SIM905 (a list literal of 160 codes reads worse)
)
ZERO_DECIMAL = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
THREE_DECIMAL = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})

FIELDS = (
    "title", "description", "venue", "starts_at", "ends_at", "timezone", "capacity",
    "price", "currency", "category", "max_per_registration", "doors_open_at",
    "cancellation_hours", "max_per_account", "waitlist_enabled", "waitlist_offer_hours",
    "transfers_allowed",
)  # fmt: skip


def minor_exponent(currency: str) -> int:
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


@cache
def timezones() -> tuple[str, ...]:
    return tuple(sorted(zone for zone in available_timezones() if "/" in zone or zone == "UTC"))


@dataclass(frozen=True)
class EventFields:
    title: str
    description: str
    venue: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    capacity: int
    price: int
    currency: str
    category: str
    max_per_registration: int
    doors_open_at: datetime | None
    cancellation_hours: int = DEFAULT_CANCELLATION_HOURS
    max_per_account: int = DEFAULT_MAX_PER_ACCOUNT
    waitlist_enabled: bool = True
    waitlist_offer_hours: int = DEFAULT_WAITLIST_OFFER_HOURS
    transfers_allowed: bool = True


def fields_of(event: Event) -> dict[str, Any]:
    """An event's current values, as parse_event_fields(source="json") accepts them."""
    return {
        "title": event.title,
        "description": event.description,
        "venue": event.venue,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "timezone": event.timezone,
        "capacity": event.capacity,
        "price": event.price,
        "currency": event.currency,
        "category": event.category,
        "max_per_registration": event.max_per_registration,
        "doors_open_at": event.doors_open_at.isoformat() if event.doors_open_at else None,
        "cancellation_hours": event.cancellation_hours,
        "max_per_account": event.max_per_account,
        "waitlist_enabled": event.waitlist_enabled,
        "waitlist_offer_hours": event.waitlist_offer_hours,
        "transfers_allowed": event.transfers_allowed,
    }


def form_values_of(event: Event) -> dict[str, str]:
    """An event's current values as the organizer's form shows them (local times)."""
    zone = ZoneInfo(event.timezone)
    exponent = minor_exponent(event.currency)
    price = Decimal(event.price).scaleb(-exponent)
    return {
        "title": event.title,
        "description": event.description,
        "venue": event.venue,
        "starts_at": event.starts_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": event.ends_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "timezone": event.timezone,
        "capacity": str(event.capacity),
        "price": f"{price:.{exponent}f}",
        "currency": event.currency,
        "category": event.category,
        "max_per_registration": str(event.max_per_registration),
        "doors_open_at": (
            event.doors_open_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
            if event.doors_open_at
            else ""
        ),
        "cancellation_hours": str(event.cancellation_hours),
        "max_per_account": str(event.max_per_account),
        "waitlist_enabled": "on" if event.waitlist_enabled else "",
        "waitlist_offer_hours": str(event.waitlist_offer_hours),
        "transfers_allowed": "on" if event.transfers_allowed else "",
    }


class _Checker:
    def __init__(self, raw: Mapping[str, Any], source: Source) -> None:
        self.raw = raw
        self.source = source
        self.problems: dict[str, str] = {}

    def fail(self, name: str, message: str) -> None:
        self.problems.setdefault(name, message)

    def text(self, name: str, low: int, high: int, label: str, one_line: bool = True) -> str:
        value = self.raw.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(name, "Must be text.")
            return ""
        if one_line and (problem := one_line_problem(value)):
            self.fail(name, problem)
            return ""
        value = value.strip().replace("\r\n", "\n")
        if len(value) < low:
            self.fail(name, f"Enter {label}.")
        elif len(value) > high:
            self.fail(name, f"Use at most {high:,} characters (this has {len(value):,}).")
        return value

    def integer(self, name: str, low: int, high: int, default: int | None = None) -> int:
        value = self.raw.get(name)
        if value is None or value == "":
            if default is not None:
                return default
            self.fail(name, "Enter a whole number.")
            return low
        if self.source == "form" and isinstance(value, str):
            try:
                value = int(value.strip().replace(",", "").replace("_", ""))
            except ValueError:
                self.fail(name, "Enter a whole number.")
                return low
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, "Must be a whole number.")
            return low
        if not low <= value <= high:
            self.fail(name, f"Enter a number from {low:,} to {high:,}.")
        return value

    def flag(self, name: str, default: bool) -> bool:
        """A box: JSON true/false (absent: `default`); a form's box is sent only ticked."""
        value = self.raw.get(name)
        if self.source == "form":
            return isinstance(value, str) and value.strip().lower() in ("on", "true", "1")
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(name, "Must be true or false.")
            return default
        return value

    def zone(self) -> ZoneInfo | None:
        name = self.raw.get("timezone")
        if not isinstance(name, str) or not name.strip():
            self.fail("timezone", "Choose the event's time zone.")
            return None
        try:
            if name.strip() not in available_timezones():
                raise ZoneInfoNotFoundError(name)
            return ZoneInfo(name.strip())
        except (ZoneInfoNotFoundError, ValueError):
            self.fail("timezone", "Choose a time zone from the list, like Europe/Lisbon.")
            return None

    def moment(
        self, name: str, zone: ZoneInfo | None, label: str, required: bool = True
    ) -> datetime | None:
        value = self.raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(name, f"Enter the date and time {label}.")
            return None
        if not isinstance(value, str):
            self.fail(name, "Must be a date-time string.")
            return None
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            example = "2026-12-31T20:00:00+01:00" if self.source == "json" else "31/12/2026 20:00"
            self.fail(name, f"Enter the date and time {label}, like {example}.")
            return None
        if parsed.tzinfo is None:
            if self.source == "json":
                self.fail(name, "Include the offset, as in 2026-12-31T20:00:00+01:00.")
                return None
            if zone is None:
                return None
            parsed = parsed.replace(tzinfo=zone)
        if not YEARS[0] <= parsed.year <= YEARS[1]:
            self.fail(name, f"Choose a date between the years {YEARS[0]} and {YEARS[1]}.")
            return None
        return parsed.astimezone(UTC)

    def price(self, currency: str) -> int:
        value = self.raw.get("price")
        exponent = minor_exponent(currency) if currency in CURRENCIES else 2
        if value is None or value == "":
            self.fail("price", "Enter a price (0 for a free event).")
            return 0
        if self.source == "form" and isinstance(value, str):
            try:
                amount = Decimal(value.strip().replace(",", ""))
            except InvalidOperation:
                self.fail("price", "Enter a price like 25.00 (0 for free).")
                return 0
            if not amount.is_finite() or amount != amount.quantize(Decimal(1).scaleb(-exponent)):
                self.fail("price", f"Use at most {exponent} decimal places.")
                return 0
            value = int(amount.scaleb(exponent))
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail("price", "Must be a whole number of minor units (cents).")
            return 0
        if not 0 <= value <= PRICE_MAX:
            most = Decimal(PRICE_MAX).scaleb(-exponent)
            self.fail("price", f"The price must be 0 or more, and at most {most:,.{exponent}f}.")
        return value


# Ticket types' fields are checked the same way (models/ticket_type_rules.py).
FieldChecker = _Checker


def parse_event_fields(
    raw: Mapping[str, Any], source: Source, *, now: datetime, is_new: bool
) -> EventFields:
    check = _Checker(raw, source)
    title = check.text("title", 1, TITLE_MAX, "a title")
    description = check.text("description", 0, DESCRIPTION_MAX, "a description", one_line=False)
    venue = check.text("venue", 1, VENUE_MAX, "the venue")
    zone = check.zone()
    starts_at = check.moment("starts_at", zone, "it starts")
    ends_at = check.moment("ends_at", zone, "it ends")
    doors_open_at = check.moment("doors_open_at", zone, "doors open", required=False)
    capacity = check.integer("capacity", 1, CAPACITY_MAX)
    currency_raw = raw.get("currency")
    currency = currency_raw.strip().upper() if isinstance(currency_raw, str) else ""
    if currency not in CURRENCIES:
        check.fail("currency", "Use a three-letter currency code such as EUR or USD.")
    price = check.price(currency)
    category_raw = raw.get("category") or "other"
    category = category_raw.strip().lower() if isinstance(category_raw, str) else ""
    if isinstance(category_raw, str) and (problem := one_line_problem(category_raw)):
        check.fail("category", problem)
    elif category not in CATEGORIES:
        check.fail("category", f"Choose one of: {', '.join(CATEGORIES)}.")
    per_registration = check.integer(
        "max_per_registration", 1, PER_REGISTRATION_MAX, default=DEFAULT_MAX_PER_REGISTRATION
    )
    cancellation_hours = check.integer(
        "cancellation_hours", 0, CANCELLATION_HOURS_MAX, default=DEFAULT_CANCELLATION_HOURS
    )
    per_account = check.integer(
        "max_per_account", 1, PER_ACCOUNT_MAX, default=DEFAULT_MAX_PER_ACCOUNT
    )
    waitlist_enabled = check.flag("waitlist_enabled", True)
    transfers_allowed = check.flag("transfers_allowed", True)
    offer_hours = check.integer(
        "waitlist_offer_hours", 1, WAITLIST_OFFER_HOURS_MAX, default=DEFAULT_WAITLIST_OFFER_HOURS
    )
    if starts_at and ends_at and ends_at <= starts_at:
        check.fail("ends_at", "The end must be after the start.")
    if is_new and starts_at and starts_at <= now:
        check.fail("starts_at", "The start must be in the future.")
    if doors_open_at and ends_at and doors_open_at >= ends_at:
        check.fail("doors_open_at", "Doors must open before the event ends.")
    if check.problems:
        raise ValidationFailed(check.problems)
    assert zone is not None
    assert starts_at is not None
    assert ends_at is not None
    return EventFields(
        title=title,
        description=description,
        venue=venue,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=zone.key,
        capacity=capacity,
        price=price,
        currency=currency,
        category=category,
        max_per_registration=per_registration,
        doors_open_at=doors_open_at,
        cancellation_hours=cancellation_hours,
        max_per_account=per_account,
        waitlist_enabled=waitlist_enabled,
        waitlist_offer_hours=offer_hours,
        transfers_allowed=transfers_allowed,
    )


UNKNOWN_FIELD = "Not a field of an event."


def unknown_fields(raw: Mapping[str, Any]) -> dict[str, str]:
    return {name: UNKNOWN_FIELD for name in raw if name not in FIELDS}


def editable(event: Event) -> bool:
    """Whether the organizer may still change the event, its ticket types, questions and
    promo codes: a cancelled or ended event stays as it was (its tickets, exports and
    figures refer to it)."""
    return event.status in (EventStatus.DRAFT, EventStatus.PUBLISHED)
