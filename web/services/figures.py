"""An organizer's figures (issue 15): one event's dashboard, the overview of all their
events, and the version a live dashboard compares.

Every figure comes from counters the selling and scanning transactions keep
(`models/figures.py`, the event's and its types' seat counters, the promo codes' uses):
a dashboard read is a few item reads, never a scan of the registrations.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from models.domain import Event, EventStatus, User, utcnow
from models.figures import EventFigures
from models.promo_codes import PromoCode
from models.store import Store
from web.services.events import Events, EventStats

OVERVIEW_PAGE = 100


@dataclass(frozen=True)
class Dashboard:
    event: Event
    stats: EventStats
    figures: EventFigures
    waitlist: int
    promo_codes: list[PromoCode]

    @property
    def etag(self) -> str:
        return etag_of(self.event.id, self.figures.version)

    @property
    def cumulative(self) -> list[int]:
        """Tickets sold up to the end of each day of sales."""
        total, out = 0, []
        for day in self.figures.days:
            total += day.tickets
            out.append(total)
        return out


@dataclass(frozen=True)
class Totals:
    """An organizer's figures over all their events (`GET /me/events/stats`)."""

    events: int
    upcoming: int
    tickets_sold: int
    revenue: list[dict[str, Any]]
    checked_in: int


@dataclass(frozen=True)
class Line:
    """One event of the overview, with its cumulative sales for a sparkline."""

    event: Event
    cumulative: list[int]


def etag_of(event_id: str, version: int) -> str:
    return f'W/"{event_id}-{version}"'


def stats_json(dashboard: Dashboard) -> dict[str, Any]:
    body = asdict(dashboard.stats)
    body["sales_by_day"] = [
        {"date": d.day.isoformat(), "tickets": d.tickets, "revenue": d.revenue}
        for d in dashboard.figures.days
    ]
    body["checkins_by_quarter_hour"] = [
        {"at": q.at.isoformat().replace("+00:00", "Z"), "count": q.count}
        for q in dashboard.figures.quarters
    ]
    body["checkins_by_gate"] = [{"gate": g.gate, "count": g.count} for g in dashboard.figures.gates]
    body["waitlist"] = dashboard.waitlist
    return body


def totals_of(events: list[Event], now: datetime) -> Totals:
    revenue: dict[str, int] = {}
    for e in events:
        if e.revenue:
            revenue[e.currency] = revenue.get(e.currency, 0) + e.revenue
    return Totals(
        events=len(events),
        upcoming=sum(1 for e in events if e.status is EventStatus.PUBLISHED and e.starts_at > now),
        tickets_sold=sum(e.seats_confirmed for e in events),
        revenue=[{"currency": c, "amount": a} for c, a in sorted(revenue.items())],
        checked_in=sum(e.checked_in for e in events),
    )


class Figures:
    def __init__(self, store: Store, events: Events) -> None:
        self.store = store
        self.events = events

    async def dashboard(self, organizer: User, event_id: str) -> Dashboard:
        event = await self.events.owned(organizer, event_id)
        stats, figures, waitlist, codes = await asyncio.gather(
            self.events.stats_of(event),
            self.store.event_figures(event.id),
            self.store.waitlist_size(event.id),
            self.store.list_promo_codes(event.id),
        )
        return Dashboard(event, stats, figures, waitlist, codes)

    async def etag(self, organizer: User, event_id: str) -> str:
        """The dashboard's ETag: the event's read (who may see it) and one cheap read of
        its figures version."""
        event = await self.events.owned(organizer, event_id)
        return etag_of(event.id, await self.store.figures_version(event.id))

    async def changes(
        self, organizer: User, event_id: str, every: float, lasting: float
    ) -> AsyncGenerator[str, None]:
        """The ETag now, then each new one as the figures change, looking every `every`
        seconds for `lasting` seconds (0: the first only)."""
        event = await self.events.owned(organizer, event_id)
        seen = ""
        loop = asyncio.get_running_loop()
        until = loop.time() + lasting
        while True:
            tag = etag_of(event.id, await self.store.figures_version(event.id))
            if tag != seen:
                seen = tag
                yield tag
            if loop.time() >= until:
                return
            await asyncio.sleep(every)

    async def _all_events(self, organizer: User) -> list[Event]:
        found: list[Event] = []
        cursor = None
        while True:
            page = await self.store.list_organizer_events(organizer.id, OVERVIEW_PAGE, cursor)
            found += page.items
            cursor = page.next_cursor
            if not cursor:
                return found

    async def totals(self, organizer: User) -> Totals:
        return totals_of(await self._all_events(organizer), utcnow())

    async def lines(self, events: list[Event]) -> list[Line]:
        """The events of one page of the overview with their sales so far (one read of
        counters each)."""
        all_figures = await asyncio.gather(*(self.store.event_figures(e.id) for e in events))
        lines = []
        for event, figures in zip(events, all_figures, strict=True):
            total, cumulative = 0, []
            for day in figures.days:
                total += day.tickets
                cumulative.append(total)
            lines.append(Line(event, cumulative))
        return lines
