"""The Store's figures operations (a part of `models.store.Store`), issue 15.

Definitions only: the counters move inside the seat and door operations
(`hold_seats`, `confirm_payment`, `cancel_registration`, `refund_registration`,
`record_partial_refund`, `release_expired_holds`, `check_in`), in the same atomic step
(`models/figures.py` decides what each adds)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from models.figures import EventFigures


class FigureStore(ABC):
    @abstractmethod
    async def event_figures(self, event_id: str) -> EventFigures:
        """The event's sales per day, admissions per quarter hour, refunds and version,
        in one read of its few counter records (strongly consistent)."""

    @abstractmethod
    async def figures_version(self, event_id: str) -> int:
        """The event's figures version alone: one cheap read, for a poll's ETag."""

    async def waitlist_size(self, event_id: str) -> int:
        """People waiting for the event; 0 until the waiting list keeps a count."""
        return 0
