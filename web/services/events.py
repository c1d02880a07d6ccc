"""Event use cases: browse and search, and the organizer's create, edit, publish, cancel.

Only an event's own organizer sees its draft, figures and registrations; anyone else
gets `NotFound`, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from models.domain import Event, EventStatus, User, new_id, utcnow
from models.errors import InvalidTransition, NotFound, ValidationFailed
from models.event_rules import (
    CATEGORIES,
    YEARS,
    EventFields,
    Source,
    editable,
    fields_of,
    parse_event_fields,
    unknown_fields,
)
from models.store import EventQuery, Page, Store

PAGE_SIZE = 20
SEARCH_MAX = 200


@dataclass(frozen=True)
class TypeFigures:
    ticket_type_id: str
    name: str
    capacity: int | None
    sold: int
    held: int
    revenue: int


@dataclass(frozen=True)
class EventStats:
    capacity: int
    seats_taken: int
    seats_held: int
    seats_left: int
    registrations: int
    revenue: int
    currency: str
    checked_in: int
    by_ticket_type: list[TypeFigures]


def clean_search(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > SEARCH_MAX:
        raise ValidationFailed({"q": f"Search with at most {SEARCH_MAX} characters."})
    return text


class Events:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- reading ------------------------------------------------------------------------

    async def fresh(self, event: Event, now: datetime | None = None) -> Event:
        """The event with run-out holds released, so its seats-left figure is true."""
        now = now or utcnow()
        if not event.has_expired_holds(now):
            return event
        await self.store.release_expired_holds(event.id, now)
        reloaded = await self.store.get_event(event.id)
        assert reloaded is not None
        return reloaded

    async def _fresh_page(self, page: Page[Event]) -> Page[Event]:
        now = utcnow()
        return Page([await self.fresh(e, now) for e in page.items], page.next_cursor)

    async def upcoming(
        self,
        query: EventQuery | None = None,
        limit: int = PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[Event]:
        page = await self.store.list_upcoming_events(utcnow(), limit, cursor, query)
        return await self._fresh_page(page)

    async def visible(self, event_id: str, viewer: User | None) -> Event:
        """An event page: drafts only for their organizer."""
        event = await self.store.get_event(event_id)
        if event is None or (
            event.status is EventStatus.DRAFT
            and (viewer is None or viewer.id != event.organizer_id)
        ):
            raise NotFound("This event does not exist.")
        return await self.fresh(event)

    async def organized_by(
        self, organizer: User, limit: int = PAGE_SIZE, cursor: str | None = None
    ) -> Page[Event]:
        page = await self.store.list_organizer_events(organizer.id, limit, cursor)
        return await self._fresh_page(page)

    async def owned(self, organizer: User, event_id: str) -> Event:
        event = await self.store.get_event(event_id)
        if event is None or event.organizer_id != organizer.id:
            raise NotFound("This event does not exist.")
        return await self.fresh(event)

    async def editable(self, organizer: User, event_id: str) -> Event:
        """The organizer's event, when it may still be changed (`editable`); a cancelled
        or ended one: InvalidTransition."""
        event = await self.owned(organizer, event_id)
        if not editable(event):
            raise InvalidTransition(f"A {event.status.value} event cannot be changed.")
        return event

    async def stats(self, organizer: User, event_id: str) -> EventStats:
        return await self.stats_of(await self.owned(organizer, event_id))

    async def stats_of(self, event: Event) -> EventStats:
        """The figures of an event the caller owns (read fresh)."""
        types = await self.store.list_ticket_types(event.id)
        return EventStats(
            capacity=event.capacity,
            seats_taken=event.seats_taken,
            seats_held=event.seats_held,
            seats_left=event.seats_left,
            registrations=event.registrations,
            revenue=event.revenue,
            currency=event.currency,
            checked_in=event.checked_in,
            by_ticket_type=[
                TypeFigures(t.id, t.name, t.capacity, t.seats_confirmed, t.seats_held, t.revenue)
                for t in types
            ],
        )

    # -- changing -----------------------------------------------------------------------

    async def create(self, organizer: User, raw: Mapping[str, Any], source: Source) -> Event:
        if source == "json" and (unknown := unknown_fields(raw)):
            raise ValidationFailed(unknown)
        now = utcnow()
        fields = parse_event_fields(raw, source, now=now, is_new=True)
        event = Event(
            id=new_id(),
            organizer_id=organizer.id,
            status=EventStatus.DRAFT,
            created_at=now,
            **fields.__dict__,
        )
        await self.store.create_event(event)
        return event

    async def edit(
        self, organizer: User, event_id: str, raw: Mapping[str, Any], source: Source
    ) -> Event:
        """Change an event. JSON may send only the fields that change; a form sends all.

        The merge with the current values happens inside the store's transaction, so
        concurrent edits of different fields do not undo each other.
        """
        event = await self.editable(organizer, event_id)
        if source == "json" and (unknown := unknown_fields(raw)):
            raise ValidationFailed(unknown)
        now = utcnow()

        def change(current: Event) -> EventFields:
            merged = {**fields_of(current), **raw} if source == "json" else raw
            fields = parse_event_fields(merged, source, now=now, is_new=False)
            # Amounts are stored per registration in the event's currency; switching it
            # after sales would add euros to dollars in the revenue.
            if fields.currency != current.currency and (current.seats_taken or current.revenue):
                raise ValidationFailed(
                    {"currency": "The currency cannot change once seats are taken."}
                )
            return fields

        return await self.store.update_event(event.id, change, now)

    async def publish(self, organizer: User, event_id: str) -> Event:
        event = await self.owned(organizer, event_id)
        if event.ends_at <= utcnow():
            raise ValidationFailed(
                {"ends_at": "This event has already ended; change its dates first."},
                "An event that has ended cannot be published.",
            )
        return await self.store.set_event_status(
            event.id, frozenset({EventStatus.DRAFT}), EventStatus.PUBLISHED
        )


def _moment(name: str, raw: str, *, end_of_day: bool) -> datetime:
    text = raw.strip()
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationFailed({name: "Use a date like 2026-12-31."}) from exc
    if moment.tzinfo is None:
        raise ValidationFailed({name: "Include the offset, as in 2026-12-31T20:00:00+01:00."})
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise ValidationFailed({name: f"Use a date between the years {YEARS[0]} and {YEARS[1]}."})
    moment = moment.astimezone(UTC)
    return moment + timedelta(days=1) if end_of_day and len(text) == 10 else moment


def parse_event_query(
    text: str = "",
    category: str = "",
    starts_from: str = "",
    starts_to: str = "",
    free: str = "",
) -> EventQuery:
    """Filters from a query string (page or API); a bad one is a 422 naming the parameter.

    Dates (YYYY-MM-DD) are whole UTC days, and `to` includes its day.
    """
    category = category.strip().lower()
    if category and category not in CATEGORIES:
        raise ValidationFailed({"category": f"Choose one of: {', '.join(CATEGORIES)}."})
    free_flag = {"": None, "true": True, "1": True, "false": False, "0": False}.get(
        free.strip().lower(), "bad"
    )
    if free_flag == "bad":
        raise ValidationFailed({"free": "Use true or false."})
    return EventQuery(
        text=clean_search(text),
        category=category or None,
        starts_from=_moment("from", starts_from, end_of_day=False) if starts_from.strip() else None,
        starts_before=_moment("to", starts_to, end_of_day=True) if starts_to.strip() else None,
        free=free_flag,  # type: ignore[arg-type]
    )
