"""Delivery jobs: the transactional outbox (invariant 8), as plain data and rules.

A job is written in the same transaction that confirms a registration (the stores'
`hold_seats` for a free registration, `confirm_payment` for a paid one), so a confirmed
registration without its job, or a job without its confirmation, cannot exist. A worker
claims a job with a lease, runs it, and marks it; these rules decide what a failure does.

Its id is `<kind>:<subject>` (`tickets:<registration id>`): a confirmation repeated or
raced writes the same id, and the stores keep the first, so there is never a second job.
Later kinds (a transfer's tickets, an organizer's message) are new `JobKind` values.

States: `pending` (due at `next_try_at`) -> `sending` (the mail is being handed over:
after a crash here whether it left is unknown, so a retry may send it again; this is the
only case that may mail twice) -> `sent`. A failure puts the job back to `pending` with
one attempt more and an exponential backoff; after `max_attempts` (or at once, when the
job can never succeed) it is `dead`: logged at ERROR for a person, retried only by hand
(`admit outbox retry`). A lease (`lease_owner`, `lease_until`) makes the claim exclusive
until it runs out; a worker that dies leaves a lease that runs out, and the job is
claimed again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

RETRY_FIRST = timedelta(seconds=30)
RETRY_LONGEST = timedelta(hours=1)
ERROR_LENGTH = 500  # the last error kept on the job, for a person to read


class JobKind(StrEnum):
    TICKETS = "tickets"  # render a confirmed registration's PDFs, mail them
    # An organizer's message (models/messages.py): one page of its fan-out, then one
    # mail per recipient.
    MESSAGE = "message"
    MESSAGE_MAIL = "message_mail"
    # A waiting-list offer's mail (models/waitlist_rules.py): one per offer, by entry.
    WAITLIST_OFFER = "waitlist_offer"
    # A ticket passed on (models/transfers.py): mail it to its new holder, by transfer.
    TRANSFER = "transfer"


class JobState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


OPEN_STATES = (JobState.PENDING, JobState.SENDING)  # a worker may claim these


@dataclass(frozen=True)
class DeliveryJob:
    id: str
    kind: JobKind
    subject: str  # what the job is about: a registration id for `tickets`
    state: JobState
    attempts: int
    next_try_at: datetime
    created_at: datetime
    updated_at: datetime
    lease_owner: str | None = None
    lease_until: datetime | None = None
    last_error: str = ""

    def claimable(self, now: datetime) -> bool:
        """Open, its lease free (or run out), and due: a new job (no attempt yet) at
        once, whatever the clocks of the machine that wrote it and this one say."""
        return (
            self.state in OPEN_STATES
            and (self.lease_until is None or self.lease_until <= now)
            and (self.attempts == 0 or self.next_try_at <= now)
        )


def job_id(kind: JobKind, subject: str) -> str:
    return f"{kind.value}:{subject}"


def new_job(kind: JobKind, subject: str, now: datetime) -> DeliveryJob:
    """A pending job of `kind` about `subject`, due now; its id is one per (kind,
    subject), so writing it again never makes a second."""
    return DeliveryJob(
        id=job_id(kind, subject),
        kind=kind,
        subject=subject,
        state=JobState.PENDING,
        attempts=0,
        next_try_at=now,
        created_at=now,
        updated_at=now,
    )


def tickets_job(registration_id: str, now: datetime) -> DeliveryJob:
    """The job a confirmation writes in its transaction."""
    return new_job(JobKind.TICKETS, registration_id, now)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 30 s, 1 min, 2 min, ... at most 1 hour."""
    return min(RETRY_LONGEST, RETRY_FIRST * 2 ** max(0, attempts - 1))


def after_failure(
    job: DeliveryJob, now: datetime, error: str, max_attempts: int, permanent: bool
) -> DeliveryJob:
    """The job after a failed run: due again after the backoff, or dead after its last
    attempt (or at once when it can never succeed). The lease is given back."""
    attempts = job.attempts + 1
    dead = permanent or attempts >= max_attempts
    return replace(
        job,
        state=JobState.DEAD if dead else JobState.PENDING,
        attempts=attempts,
        next_try_at=now if dead else now + backoff(attempts),
        updated_at=now,
        lease_owner=None,
        lease_until=None,
        last_error=error[:ERROR_LENGTH],
    )


def retried(job: DeliveryJob, now: datetime) -> DeliveryJob:
    """A dead job put back by a person: due now, with its attempts counted afresh."""
    return replace(
        job,
        state=JobState.PENDING,
        attempts=0,
        next_try_at=now,
        updated_at=now,
        lease_owner=None,
        lease_until=None,
    )
