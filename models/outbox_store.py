"""The Store's part for delivery jobs (the transactional outbox, invariant 8).

Jobs are written by the confirming operations themselves (`Store.hold_seats` of a
confirmed registration, `Store.confirm_payment`), inside their transaction; nothing
else creates one. These operations are what a worker needs to drain them. The rules
(backoff, dead after N attempts, who may claim) are `models/outbox.py`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime, timedelta

from models.outbox import DeliveryJob, JobState


class OutboxStore(ABC):
    @abstractmethod
    async def get_job(self, job_id: str) -> DeliveryJob | None: ...

    @abstractmethod
    async def due_jobs(self, now: datetime, limit: int) -> list[DeliveryJob]:
        """Jobs a worker may claim now (`DeliveryJob.claimable`), the longest waiting
        first."""

    @abstractmethod
    async def claim_job(
        self, job_id: str, owner: str, now: datetime, lease: timedelta
    ) -> DeliveryJob | None:
        """Take the job for `owner` until `now + lease`, atomically: of any number of
        concurrent claims one wins; None when it is not claimable (done, dead, not due,
        or another owner's lease runs)."""

    @abstractmethod
    async def mark_job_sending(self, job_id: str, owner: str, now: datetime) -> bool:
        """Record that the mail is about to be handed over (False: `owner` lost the
        lease, and must not send)."""

    @abstractmethod
    async def mark_job_sent(self, job_id: str, owner: str, now: datetime) -> bool:
        """Record the job done and give back the lease (False: `owner` lost it)."""

    @abstractmethod
    async def fail_job(
        self,
        job_id: str,
        owner: str,
        now: datetime,
        error: str,
        max_attempts: int,
        permanent: bool = False,
    ) -> DeliveryJob | None:
        """Record a failed run as `models.outbox.after_failure` says (backoff, or dead);
        None when `owner` lost the lease."""

    @abstractmethod
    async def list_jobs(self, state: JobState, limit: int) -> list[DeliveryJob]:
        """Jobs in `state` (not `sent`), oldest `next_try_at` first: the dead letters."""

    @abstractmethod
    async def retry_job(self, job_id: str, now: datetime) -> DeliveryJob | None:
        """Put a dead job back, due now with its attempts counted afresh
        (`models.outbox.retried`); None when there is no dead job of that id."""

    @abstractmethod
    async def job_counts(self) -> dict[JobState, int]:
        """How many jobs are pending, sending and dead (for monitoring; sent jobs are not
        counted)."""
