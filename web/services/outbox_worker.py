"""The outbox's drain: claim a due delivery job, run it, record what happened.

One `OutboxWorker` per process. `admit worker` (and the child process `admit serve`
starts) loops on `drain`; with `ADMIT_DELIVERY=in-app` the app runs each new job after
its answer; on AWS the `deliverer` function runs the jobs its stream records name, and
the sweeper calls `drain` for the retries. A claim is a lease (models/outbox.py): two
workers never run one job at once, and a worker that dies leaves a lease that runs out.

Each run records `sending` just before the mail is handed over and `sent` after it, so
the only run that may mail twice is one that follows a crash between those two writes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime, timedelta
from enum import StrEnum

from models.domain import new_id, utcnow
from models.outbox import DeliveryJob, JobKind, JobState
from models.store import Store
from web.adapters.files.port import FileStoreFailed
from web.adapters.mail.port import MailDeliveryFailed

log = logging.getLogger("admit.outbox")

DRAIN_BATCH = 50

# What runs one job of a kind: (job, before_mail) -> None; raises `Permanent` errors
# (as named by the handler) or anything else for a failure worth retrying.
Handler = Callable[[DeliveryJob, Callable[[], Awaitable[None]]], Awaitable[None]]


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # failed, due again after its backoff
    DEAD = "dead"
    SKIPPED = "skipped"  # not claimable here: done, dead, not due, or leased elsewhere


class LeaseLost(Exception):
    """This worker's lease ran out and another worker has the job: it must not mail."""


class OutboxWorker:
    def __init__(
        self,
        store: Store,
        handlers: dict[JobKind, Handler],
        permanent: tuple[type[Exception], ...],
        *,
        lease: timedelta,
        max_attempts: int,
        pause_before_mail: float = 0.0,
    ) -> None:
        self.store = store
        self.handlers = handlers
        self.permanent = permanent
        self.lease = lease
        self.max_attempts = max_attempts
        self.pause_before_mail = pause_before_mail
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{new_id()[:8]}"

    async def run(self, job_id: str, now: datetime | None = None) -> Outcome:
        """Claim the job and run it once; what became of it."""
        claimed_at = now or utcnow()
        job = await self.store.claim_job(job_id, self.owner, claimed_at, self.lease)
        if job is None:
            return Outcome.SKIPPED
        if job.state is JobState.SENDING:
            log.warning(
                "delivery job %s was being mailed when its worker stopped; mailing it again "
                "(whether the first mail left is unknown)",
                job.id,
            )

        async def before_mail() -> None:
            if self.pause_before_mail:
                await asyncio.sleep(self.pause_before_mail)  # ADMIT_OUTBOX_TEST_PAUSE
            if not await self.store.mark_job_sending(job.id, self.owner, utcnow()):
                raise LeaseLost(job.id)

        try:
            await self.handlers[job.kind](job, before_mail)
        except LeaseLost:
            log.warning("delivery job %s: lease lost to another worker; left to it", job.id)
            return Outcome.SKIPPED
        except self.permanent as exc:
            return await self._failed(job, exc, permanent=True)
        except Exception as exc:
            # Any other failure (an outage, or a bug) is recorded on the job and retried
            # after its backoff; one failing job never stops the others.
            return await self._failed(job, exc, permanent=False)
        if not await self.store.mark_job_sent(job.id, self.owner, utcnow()):
            log.warning("delivery job %s was done, but its lease had run out", job.id)
        return Outcome.SENT

    async def _failed(self, job: DeliveryJob, exc: Exception, permanent: bool) -> Outcome:
        error = f"{type(exc).__name__}: {exc}"
        failed = await self.store.fail_job(
            job.id, self.owner, utcnow(), error, self.max_attempts, permanent
        )
        if failed is None:
            log.warning("delivery job %s failed after its lease ran out: %s", job.id, error)
            return Outcome.SKIPPED
        if failed.state is JobState.DEAD:
            # The alert: a metric filter on "delivery job" "is dead" (infra/alarms.yml).
            log.error(
                "delivery job %s is dead after %d attempt(s): %s (admit outbox retry %s)",
                job.id,
                failed.attempts,
                error,
                job.id,
            )
            return Outcome.DEAD
        log.warning(
            "delivery job %s failed (attempt %d of %d), next try at %s: %s",
            job.id,
            failed.attempts,
            self.max_attempts,
            failed.next_try_at.isoformat(timespec="seconds"),
            error,
            # An outage of the mail or file service says enough; anything else is a bug.
            exc_info=not isinstance(exc, MailDeliveryFailed | FileStoreFailed),
        )
        return Outcome.RETRY

    async def drain(self, now: datetime | None = None, limit: int = DRAIN_BATCH) -> int:
        """Run the jobs due now, one after another; how many were run here."""
        ran = 0
        for job in await self.store.due_jobs(now or utcnow(), limit):
            if await self.run(job.id, now) is not Outcome.SKIPPED:
                ran += 1
        return ran

    async def run_forever(self, poll: float, stop: asyncio.Event) -> None:
        """Drain until `stop` is set, looking again every `poll` seconds when idle; a
        store that fails is logged and tried again (the jobs wait in the outbox)."""
        while not stop.is_set():
            try:
                ran = await self.drain()
            except Exception:
                log.exception("the delivery worker could not read the outbox; trying again")
                ran = 0
            if not ran:
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll)
