"""Promo codes: what a code is, what makes its fields valid (the organizer's form and the
JSON API alike), and the pure rules of using one: when it is valid, which items it
applies to, the discount per ticket, and which hidden types it unlocks.

Its use counter moves with the seats (invariant 6): `models.seat_rules` counts a use in
the same decision that takes seats and gives it back in the one that gives them back."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from models.domain import Event, RegistrationItem, TicketType, utcnow
from models.errors import AdmitError, Conflict, ValidationFailed
from models.event_rules import PRICE_MAX, FieldChecker, Source, minor_exponent

CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{3,40}")
MAX_USES_MAX = 1_000_000
FIELDS = (
    "code", "percent_off", "amount_off", "max_uses", "valid_from", "valid_until",
    "ticket_type_ids", "unlocks_hidden",
)  # fmt: skip
UNKNOWN_FIELD = "Not a field of a promo code."
CODE_RULE = "Use 3 to 40 letters, digits, - or _."
UNKNOWN_CODE = "This code is not valid for this event."
CODE_TAKEN = {"code": "Another code of this event is spelled the same (case does not count)."}


@dataclass(frozen=True)
class PromoCode:
    """A discount per ticket (`percent_off` or `amount_off` in minor units, or none for a
    code that only unlocks hidden types), for the types listed (all when empty). `uses`
    counts the registrations holding or having confirmed seats with it; the store moves
    it only with the seats."""

    id: str
    event_id: str
    code: str  # as the organizer wrote it
    percent_off: int | None = None
    amount_off: int | None = None
    max_uses: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    ticket_type_ids: tuple[str, ...] = ()
    unlocks_hidden: bool = False
    uses: int = 0
    created_at: datetime = field(default_factory=utcnow)

    @property
    def key(self) -> str:
        return code_key(self.code)

    def valid_at(self, now: datetime) -> bool:
        if self.valid_from is not None and now < self.valid_from:
            return False
        return self.valid_until is None or now < self.valid_until

    @property
    def used_up(self) -> bool:
        return self.max_uses is not None and self.uses >= self.max_uses

    def applies_to(self, type_id: str) -> bool:
        return not self.ticket_type_ids or type_id in self.ticket_type_ids

    def discount_on(self, unit_price: int) -> int:
        """The discount on one ticket of this price: never more than the price."""
        if self.percent_off is not None:
            return min(unit_price, (unit_price * self.percent_off + 50) // 100)
        if self.amount_off is not None:
            return min(unit_price, self.amount_off)
        return 0


class PromoCodeUsedUp(Conflict):
    code = "promo_code_used_up"
    message = "This code has been used as many times as it may be."


def code_key(code: str) -> str:
    """What codes are matched and kept unique by: case does not count."""
    return code.strip().casefold()


def looks_like_code(raw: str) -> bool:
    return CODE_PATTERN.fullmatch(raw.strip()) is not None


# -- using a code -----------------------------------------------------------------------


def unusable(promo: PromoCode | None, now: datetime) -> AdmitError | None:
    """Why a code cannot be used now (unknown, outside its dates: 422 on `promo_code`;
    every use taken: 409), or None."""
    if promo is None:
        return ValidationFailed({"promo_code": UNKNOWN_CODE})
    if not promo.valid_at(now):
        return ValidationFailed({"promo_code": "This code is not valid at this time."})
    if promo.used_up:
        return PromoCodeUsedUp()
    return None


def unlocked_types(promo: PromoCode | None, types: Iterable[TicketType]) -> frozenset[str]:
    """The hidden types a code lets its holder buy."""
    if promo is None or not promo.unlocks_hidden:
        return frozenset()
    return frozenset(t.id for t in types if t.hidden and promo.applies_to(t.id))


def discounted(
    items: Sequence[RegistrationItem], promo: PromoCode | None
) -> tuple[RegistrationItem, ...]:
    """The items with the code's discount per ticket on those it applies to. A code that
    applies to none of them is refused (422 on `promo_code`): it would take a use for
    nothing."""
    if promo is None:
        return tuple(items)
    if not any(promo.applies_to(item.ticket_type_id) for item in items):
        raise ValidationFailed({"promo_code": "This code does not apply to the tickets chosen."})
    return tuple(
        replace(
            item,
            discount=(
                promo.discount_on(item.unit_price) if promo.applies_to(item.ticket_type_id) else 0
            ),
        )
        for item in items
    )


# -- the organizer's fields -------------------------------------------------------------


@dataclass(frozen=True)
class PromoFields:
    code: str
    percent_off: int | None
    amount_off: int | None
    max_uses: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    ticket_type_ids: tuple[str, ...]
    unlocks_hidden: bool


def fields_of(promo: PromoCode) -> dict[str, Any]:
    """A code's current values, as `parse_promo_fields(source="json")` takes them."""
    return {
        "code": promo.code,
        "percent_off": promo.percent_off,
        "amount_off": promo.amount_off,
        "max_uses": promo.max_uses,
        "valid_from": promo.valid_from.isoformat() if promo.valid_from else None,
        "valid_until": promo.valid_until.isoformat() if promo.valid_until else None,
        "ticket_type_ids": list(promo.ticket_type_ids),
        "unlocks_hidden": promo.unlocks_hidden,
    }


def form_values_of(promo: PromoCode, event: Event) -> dict[str, Any]:
    """A code's values as the organizer's form shows them (local times, major units)."""
    zone = ZoneInfo(event.timezone)
    exponent = minor_exponent(event.currency)

    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if moment else ""

    kind, off = "none", ""
    if promo.percent_off is not None:
        kind, off = "percent", str(promo.percent_off)
    elif promo.amount_off is not None:
        kind, off = "amount", f"{Decimal(promo.amount_off).scaleb(-exponent):.{exponent}f}"
    return {
        "code": promo.code,
        "kind": kind,
        "off": off,
        "max_uses": "" if promo.max_uses is None else str(promo.max_uses),
        "valid_from": local(promo.valid_from),
        "valid_until": local(promo.valid_until),
        "ticket_type_ids": list(promo.ticket_type_ids),
        "unlocks_hidden": "on" if promo.unlocks_hidden else "",
    }


def form_to_raw(form: Mapping[str, Any], type_ids: list[str]) -> dict[str, Any]:
    """The organizer's form (a kind, an amount, checkboxes) as the fields it means."""
    kind = form.get("kind", "percent")
    off = form.get("off", "")
    return {
        "code": form.get("code", ""),
        "percent_off": off if kind == "percent" else None,
        "amount_off": off if kind == "amount" else None,
        "max_uses": form.get("max_uses", ""),
        "valid_from": form.get("valid_from", ""),
        "valid_until": form.get("valid_until", ""),
        "ticket_type_ids": type_ids,
        "unlocks_hidden": form.get("unlocks_hidden", ""),
    }


def unknown_fields(raw: Mapping[str, Any]) -> dict[str, str]:
    return {name: UNKNOWN_FIELD for name in raw if name not in FIELDS}


def parse_promo_fields(
    raw: Mapping[str, Any], source: Source, event: Event, type_ids: Sequence[str]
) -> PromoFields:
    """Every problem at once, keyed by field (`ValidationFailed`). Forms send amounts in
    major units and local times; JSON, minor units and RFC 3339 with an offset."""
    check = FieldChecker(raw, source)
    code = raw.get("code")
    if not isinstance(code, str) or not looks_like_code(code):
        check.fail("code", CODE_RULE if isinstance(code, str) and code.strip() else "Enter a code.")
        code = ""
    code = code.strip()
    percent = _optional(check, raw, "percent_off", 1, 100)
    amount = _amount_off(check, raw, event.currency)
    if percent is not None and amount is not None:
        check.fail("amount_off", "Give either percent_off or amount_off, not both.")
    max_uses = _optional(check, raw, "max_uses", 1, MAX_USES_MAX)
    zone = ZoneInfo(event.timezone)
    valid_from = check.moment("valid_from", zone, "the code is valid from", required=False)
    valid_until = check.moment("valid_until", zone, "the code is valid until", required=False)
    if valid_from and valid_until and valid_until <= valid_from:
        check.fail("valid_until", "The code must stop being valid after it starts.")
    chosen = raw.get("ticket_type_ids") or []
    if not isinstance(chosen, list) or not all(isinstance(t, str) for t in chosen):
        check.fail("ticket_type_ids", "Give a list of ticket type ids.")
        chosen = []
    elif any(t not in type_ids for t in chosen):
        check.fail("ticket_type_ids", "Choose among this event's ticket types.")
    unlocks = raw.get("unlocks_hidden", False)
    if source == "form":
        unlocks = unlocks in ("on", "true", "1", True)
    elif unlocks is None:
        unlocks = False
    elif not isinstance(unlocks, bool):
        check.fail("unlocks_hidden", "Use true or false.")
    if percent is None and amount is None and not unlocks and not check.problems:
        check.fail("percent_off", "Give percent_off or amount_off (or let it unlock hidden types).")
    if check.problems:
        raise ValidationFailed(check.problems)
    return PromoFields(
        code=code,
        percent_off=percent,
        amount_off=amount,
        max_uses=max_uses,
        valid_from=valid_from,
        valid_until=valid_until,
        ticket_type_ids=tuple(dict.fromkeys(chosen)),
        unlocks_hidden=bool(unlocks),
    )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _optional(
    check: FieldChecker, raw: Mapping[str, Any], name: str, low: int, high: int
) -> int | None:
    if _blank(raw.get(name)):
        return None
    return check.integer(name, low, high)


def _amount_off(check: FieldChecker, raw: Mapping[str, Any], currency: str) -> int | None:
    value = raw.get("amount_off")
    if _blank(value):
        return None
    exponent = minor_exponent(currency)
    if check.source == "form" and isinstance(value, str):
        try:
            major = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            check.fail("amount_off", "Enter an amount like 5.00.")
            return None
        if not major.is_finite() or major != major.quantize(Decimal(1).scaleb(-exponent)):
            check.fail("amount_off", f"Use at most {exponent} decimal places.")
            return None
        value = int(major.scaleb(exponent))
    if isinstance(value, bool) or not isinstance(value, int):
        check.fail("amount_off", "Must be a whole number of minor units (cents).")
        return None
    if not 1 <= value <= PRICE_MAX:
        check.fail("amount_off", "The amount off must be more than 0, and at most a price.")
        return None
    return value


def below_uses(promo: PromoCode) -> None:
    """A limit may not drop below the uses taken: the invariant would not hold."""
    if promo.max_uses is not None and promo.max_uses < promo.uses:
        raise ValidationFailed(
            {"max_uses": f"{promo.uses} registrations use this code: the limit cannot be lower."}
        )
