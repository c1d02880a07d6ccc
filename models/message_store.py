"""The Store's part for organizers' messages and unsubscribes (a part of
`models.store.Store`; the rules are `models/messages.py`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

from models.messages import Message
from models.outbox import DeliveryJob


class MessageStore(ABC):
    @abstractmethod
    async def queue_message(self, message: Message, job: DeliveryJob, limit: int) -> Message | None:
        """Store the message and its first fan-out job in one atomic step, when fewer
        than `limit` messages of its event are stored for its `day`; None (nothing
        stored) when the day's messages are spent. Concurrent senders never pass it."""

    @abstractmethod
    async def get_message(self, message_id: str) -> Message | None: ...

    @abstractmethod
    async def list_event_messages(self, event_id: str, limit: int) -> list[Message]:
        """An event's latest messages, newest first (strongly consistent)."""

    @abstractmethod
    async def add_jobs(self, jobs: Sequence[DeliveryJob]) -> int:
        """Write each job whose id is not stored yet (one already there is kept, in
        whatever state); how many were new."""

    @abstractmethod
    async def advance_message(
        self,
        message_id: str,
        step: int,
        cursor: str | None,
        queued: int,
        next_job: DeliveryJob | None,
    ) -> bool:
        """In one atomic step, when the message's fan-out is at `step`: move it to
        `step + 1` reading on at `cursor`, count `queued` more mails, and write
        `next_job` (None: the fan-out is done). False when another run moved it first."""

    @abstractmethod
    async def count_message_mail(self, message_id: str, sent: bool) -> None:
        """One more mail of the message sent (or, `sent=False`, skipped)."""

    @abstractmethod
    async def unsubscribe(self, organizer_id: str, user_id: str, now: datetime) -> None:
        """The person takes no more messages from this organizer (idempotent)."""

    @abstractmethod
    async def unsubscribed_among(self, organizer_id: str, user_ids: Sequence[str]) -> set[str]:
        """Those of `user_ids` who unsubscribed from this organizer's messages."""

    @abstractmethod
    async def list_waitlist_user_ids(self, event_id: str) -> list[str]:
        """The accounts waiting for the event. The waiting list is not stored yet (it is
        being built in parallel): both stores answer none until it is."""
