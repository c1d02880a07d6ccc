"""The Store's waiting-list operations (issue 14): each one atomic, with the decision of
`models.waitlist_rules` made on what it read inside its step (invariant 7)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from models.domain import Registration
from models.waitlist import WaitlistEntry


class WaitlistStore(ABC):
    @abstractmethod
    async def join_waitlist(self, entry: WaitlistEntry, now: datetime) -> WaitlistEntry:
        """Store a waiting entry and count its seats waited for on the event and its type,
        in one step with `models.waitlist_rules.join_refusal` on the counters read there
        (`SeatsAvailable` while the public can buy, `WaitlistClosed`, `EventNotOpen`,
        `ValidationFailed`, `NotFound`). Seats that were free already go to the list
        at once (`offer_waitlist`)."""

    @abstractmethod
    async def leave_waitlist(self, entry_id: str, user_id: str, now: datetime) -> WaitlistEntry:
        """A waiting entry of `user_id` becomes `left`, its seats waited for given back
        (`NotFound` for someone else's, `InvalidTransition` unless waiting)."""

    @abstractmethod
    async def get_waitlist_entry(self, entry_id: str) -> WaitlistEntry | None: ...

    @abstractmethod
    async def list_event_waitlist(self, event_id: str) -> list[WaitlistEntry]:
        """Every entry of an event, in the order they joined."""

    @abstractmethod
    async def list_user_waitlist(self, user_id: str) -> list[WaitlistEntry]:
        """Every entry of one account, newest first."""

    @abstractmethod
    async def offer_waitlist(
        self, event_id: str, now: datetime, entry_id: str | None = None
    ) -> list[Registration]:
        """Offer the seats free now to the waiting entries, oldest first among those that
        fit (`models.waitlist_rules.choose_offers`), or to `entry_id` alone
        (`chosen_offer`: `NotEnoughSeats`, `InvalidTransition`): each offer is one atomic
        step that turns the entry's seats waited for into a held registration of its
        own and writes the offer's mail job. Returns the registrations made. The stores
        also run it after every step that gives seats back (a cancellation, a refund, a
        run-out hold, a raised capacity)."""
