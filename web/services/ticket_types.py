"""Ticket type use cases: the organizer adds, edits, reorders, hides and deletes an
event's types; everyone sees the visible ones (hidden ones only their organizer)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from models.domain import Event, TicketType, User, new_id, utcnow
from models.errors import ValidationFailed
from models.event_rules import Source
from models.promo_codes import PromoCodeUsedUp, unlocked_types
from models.store import Store
from models.ticket_type_rules import fields_of, parse_ticket_type_fields, unknown_fields
from web.services.events import Events
from web.services.promo_codes import lookup_code


def sellable(kind: TicketType, event: Event, now: datetime) -> bool:
    """On sale now: the event is, and the type is inside its sales window."""
    return event.is_on_sale(now) and kind.on_sale(now)


class TicketTypes:
    def __init__(self, store: Store, events: Events) -> None:
        self.store = store
        self.events = events

    async def of(self, event: Event, viewer: User | None) -> list[TicketType]:
        """An event's types in order; hidden ones only for its organizer."""
        types = await self.store.list_ticket_types(event.id)
        if viewer is not None and viewer.id == event.organizer_id:
            return types
        return [kind for kind in types if not kind.hidden]

    async def offered(
        self, event: Event, viewer: User | None, code: str | None
    ) -> list[TicketType]:
        """The types the event page lets `viewer` choose from: those of `of`, and the
        hidden ones the promo code typed unlocks, in the event's order. A code that is
        unknown, out of its dates or used up unlocks nothing (the page says why next to
        the field); registering decides again with the same rules."""
        types = await self.store.list_ticket_types(event.id)
        if viewer is not None and viewer.id == event.organizer_id:
            return types
        promo = None
        if code and code.strip() and any(kind.hidden for kind in types):
            try:
                promo = await lookup_code(self.store, event.id, code, utcnow())
            except (ValidationFailed, PromoCodeUsedUp):
                promo = None
        unlocked = unlocked_types(promo, types)
        return [kind for kind in types if not kind.hidden or kind.id in unlocked]

    async def create(
        self, organizer: User, event_id: str, raw: Mapping[str, Any], source: Source
    ) -> TicketType:
        event = await self.events.editable(organizer, event_id)
        if source == "json" and (unknown := unknown_fields(raw)):
            raise ValidationFailed(unknown)
        fields = parse_ticket_type_fields(raw, source, event)
        kind = TicketType(
            id=new_id(), event_id=event.id, currency=event.currency, **fields.__dict__
        )
        return await self.store.add_ticket_type(kind)

    async def edit(
        self,
        organizer: User,
        event_id: str,
        type_id: str,
        raw: Mapping[str, Any],
        source: Source,
    ) -> TicketType:
        """JSON may send only what changes; a form sends every field. The merge with the
        current values happens inside the store's atomic step."""
        event = await self.events.editable(organizer, event_id)
        if source == "json" and (unknown := unknown_fields(raw)):
            raise ValidationFailed(unknown)

        def change(current: TicketType) -> TicketType:
            merged = {**fields_of(current), **raw} if source == "json" else raw
            return replace(current, **parse_ticket_type_fields(merged, source, event).__dict__)

        return await self.store.update_ticket_type(event.id, type_id, change, utcnow())

    async def delete(self, organizer: User, event_id: str, type_id: str) -> None:
        event = await self.events.editable(organizer, event_id)
        await self.store.delete_ticket_type(event.id, type_id)

    async def move(self, organizer: User, event_id: str, type_id: str, by: int) -> None:
        event = await self.events.editable(organizer, event_id)
        await self.store.move_ticket_type(event.id, type_id, by)
