"""Event use cases for browsing: what a visitor may see."""

from __future__ import annotations

from models.domain import Event, EventStatus, User, utcnow
from models.errors import NotFound
from models.store import Page, Store

PAGE_SIZE = 20


class Events:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def upcoming(self, limit: int = PAGE_SIZE, cursor: str | None = None) -> Page[Event]:
        return await self.store.list_upcoming_events(utcnow(), limit, cursor)

    async def visible(self, event_id: str, viewer: User | None) -> Event:
        """An event page: published events for everyone, drafts only for their organizer."""
        event = await self.store.get_event(event_id)
        if event is None:
            raise NotFound("This event does not exist.")
        if event.status is EventStatus.DRAFT and (
            viewer is None or viewer.id != event.organizer_id
        ):
            raise NotFound("This event does not exist.")
        return event

    async def organized_by(
        self, organizer: User, limit: int = PAGE_SIZE, cursor: str | None = None
    ) -> Page[Event]:
        return await self.store.list_organizer_events(organizer.id, limit, cursor)
