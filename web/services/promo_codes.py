"""Promo code use cases: the organizer adds, edits and deletes an event's codes and sees
their uses; a buyer's code is looked up and turned into discounted items (the rules are
`models.promo_codes`; the use itself is taken by the store with the seats)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from models.domain import (
    Event,
    RegistrationItem,
    TicketType,
    User,
    new_id,
    utcnow,
)
from models.errors import NotFound, ValidationFailed
from models.event_rules import Source
from models.promo_codes import (
    PromoCode,
    PromoCodeUsedUp,
    discounted,
    fields_of,
    looks_like_code,
    parse_promo_fields,
    unknown_fields,
    unlocked_types,
    unusable,
)
from models.store import Store
from models.ticket_type_rules import requested_items
from web.services.events import Events


@dataclass(frozen=True)
class Priced:
    """What a buyer's order comes to with a code: the items with their discounts."""

    items: tuple[RegistrationItem, ...]
    promo: PromoCode | None

    @property
    def amount(self) -> int:
        return sum(item.amount for item in self.items)

    @property
    def before_discount(self) -> int:
        return sum(item.unit_price * item.quantity for item in self.items)


async def lookup_code(
    store: Store, event_id: str, raw: str | None, now: datetime
) -> PromoCode | None:
    """The event's code a buyer typed (None for none typed). Unknown, or outside its
    dates: 422 on `promo_code`; every use taken: 409 `promo_code_used_up` (the store
    decides again in the step that takes the use)."""
    if raw is None or not raw.strip():
        return None
    promo = await store.find_promo_code(event_id, raw.strip()) if looks_like_code(raw) else None
    if refusal := unusable(promo, now):
        raise refusal
    return promo


@dataclass(frozen=True)
class Quote:
    """What the event page shows after "Apply": the code as its organizer wrote it and,
    once tickets are chosen, the order before and after its discount; or why not."""

    code: str | None = None
    before: int = 0
    discount: int = 0
    seats: int = 0
    error: str | None = None
    unlocks: tuple[str, ...] = ()  # the hidden types' names it lets the buyer choose

    @property
    def total(self) -> int:
        return self.before - self.discount


class PromoCodes:
    def __init__(self, store: Store, events: Events) -> None:
        self.store = store
        self.events = events

    # -- the organizer ------------------------------------------------------------------

    async def of(self, organizer: User, event_id: str) -> list[PromoCode]:
        event = await self.events.owned(organizer, event_id)
        return await self.store.list_promo_codes(event.id)

    async def get(self, organizer: User, event_id: str, promo_id: str) -> PromoCode:
        event = await self.events.owned(organizer, event_id)
        promo = await self.store.get_promo_code(event.id, promo_id)
        if promo is None:
            raise NotFound("This promo code does not exist.")
        return promo

    async def _event_and_types(self, organizer: User, event_id: str) -> tuple[Event, list[str]]:
        """The event, when it may still be changed, and its ticket types' ids."""
        event = await self.events.editable(organizer, event_id)
        types = await self.store.list_ticket_types(event.id)
        return event, [kind.id for kind in types]

    async def create(
        self, organizer: User, event_id: str, raw: Mapping[str, Any], source: Source
    ) -> PromoCode:
        event, type_ids = await self._event_and_types(organizer, event_id)
        if source == "json" and (unknown := unknown_fields(raw)):
            raise ValidationFailed(unknown)
        fields = parse_promo_fields(raw, source, event, type_ids)
        promo = PromoCode(id=new_id(), event_id=event.id, **fields.__dict__)
        return await self.store.add_promo_code(promo)

    async def edit(
        self,
        organizer: User,
        event_id: str,
        promo_id: str,
        raw: Mapping[str, Any],
        source: Source,
    ) -> PromoCode:
        """JSON may send only what changes; a form sends every field. The merge with the
        current values happens inside the store's atomic step."""
        event, type_ids = await self._event_and_types(organizer, event_id)
        if source == "json" and (unknown := unknown_fields(raw)):
            raise ValidationFailed(unknown)

        def change(current: PromoCode) -> PromoCode:
            merged = dict(raw)
            if source == "json":
                # One kind of discount replaces the other.
                current_fields = fields_of(current)
                if "percent_off" in raw and "amount_off" not in raw:
                    current_fields["amount_off"] = None
                if "amount_off" in raw and "percent_off" not in raw:
                    current_fields["percent_off"] = None
                merged = {**current_fields, **raw}
            fields = parse_promo_fields(merged, source, event, type_ids)
            return replace(current, **fields.__dict__)

        return await self.store.update_promo_code(event.id, promo_id, change)

    async def delete(self, organizer: User, event_id: str, promo_id: str) -> None:
        event = await self.events.owned(organizer, event_id)
        await self.store.delete_promo_code(event.id, promo_id)

    # -- the buyer ----------------------------------------------------------------------

    async def lookup(self, event_id: str, raw: str | None, now: datetime) -> PromoCode | None:
        return await lookup_code(self.store, event_id, raw, now)

    async def quote(
        self,
        event: Event,
        types: Sequence[TicketType],
        lines: list[tuple[str, int]] | None,
        quantity: int | None,
        raw: str | None,
    ) -> Quote | None:
        """The page's preview of a code on the tickets chosen (None: no code typed). The
        same rules as registering; the use is only taken when seats are."""
        if raw is None or not raw.strip():
            return None
        try:
            promo = await lookup_code(self.store, event.id, raw, utcnow())
        except ValidationFailed as exc:
            return Quote(error=exc.fields.get("promo_code", exc.message))
        except PromoCodeUsedUp as exc:
            return Quote(error=exc.message)
        assert promo is not None
        unlocked = unlocked_types(promo, types)
        unlocks = tuple(kind.name for kind in types if kind.id in unlocked)
        try:
            chosen = requested_items(event, types, lines, quantity, unlocked)
            items = discounted(chosen, promo)
        except ValidationFailed as exc:
            # Nothing chosen yet, or only what it does not apply to while it unlocks types
            # to choose: the code itself is good.
            error = None if unlocks else exc.fields.get("promo_code")
            return Quote(code=promo.code, error=error, unlocks=unlocks)
        before = sum(item.unit_price * item.quantity for item in items)
        return Quote(
            code=promo.code,
            before=before,
            discount=before - sum(item.amount for item in items),
            seats=sum(item.quantity for item in items),
            unlocks=unlocks,
        )

    @staticmethod
    def unlocked(promo: PromoCode | None, types: Sequence[TicketType]) -> frozenset[str]:
        return unlocked_types(promo, types)

    @staticmethod
    def price(items: Sequence[RegistrationItem], promo: PromoCode | None) -> Priced:
        return Priced(discounted(items, promo), promo)
