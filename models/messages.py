"""An organizer's message to an event's attendees (issue 15), as plain data and rules.

A message goes through the transactional outbox (models/outbox.py) in two kinds of job:

- `message:<message id>#<step>` fans out: each run reads ONE page of the event's
  registrations (`FANOUT_PAGE`) and writes a `message_mail` job for each recipient on it
  (written only when absent, so a retried page writes nothing twice), then, in one
  atomic step, moves the message's cursor on and writes the job of the next step. A run
  is bounded by one page however large the event (a Lambda never runs out of time), and
  a crash anywhere repeats at most one page of idempotent writes.
- `message_mail:<message id>/<user id>` mails one person, with the `sending` / `sent`
  marks every delivery job has: exactly once in effect, as a ticket mail is. Its id names
  the person, so someone with several registrations gets the message once.

Why not one job per message that mails everyone: a run would grow with the event and a
retry after a crash would mail again everyone already mailed. Why not every recipient's
job at once when the organizer sends: on DynamoDB one transaction holds 100 items, and
the send must be one atomic step with the daily limit.

The daily limit (`ADMIT_MESSAGES_PER_EVENT_DAY`) counts the messages of an event on one
day of the event's own calendar; the count is checked and taken in the same atomic step
that stores the message and its first job, so concurrent sends cannot pass it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from models.domain import Registration, RegistrationStatus
from models.errors import TooManyAttempts, ValidationFailed
from models.event_rules import FieldChecker, Source
from models.outbox import DeliveryJob, JobKind, new_job
from models.tickets import Ticket, TicketStatus

SUBJECT_MAX = 150
BODY_MAX = 5_000
FANOUT_PAGE = 90  # registrations read by one fan-out run
FIELDS = ("subject", "body", "to")
UNKNOWN_FIELD = "Not a field of a message."


class Audience(StrEnum):
    CONFIRMED = "confirmed"  # every confirmed registration's buyer
    CHECKED_IN = "checked_in"  # ... with at least one ticket admitted
    NOT_CHECKED_IN = "not_checked_in"  # ... with none admitted (no-shows, after the day)
    WAITLIST = "waitlist"  # people on the waiting list


AUDIENCE_LABELS = {
    Audience.CONFIRMED: "Everyone with a confirmed registration",
    Audience.CHECKED_IN: "Those who checked in",
    Audience.NOT_CHECKED_IN: "Those who have not checked in",
    Audience.WAITLIST: "The waiting list",
}


class MessageState(StrEnum):
    QUEUED = "queued"  # recipients are still being listed
    SENDING = "sending"  # listed; mails still going
    SENT = "sent"


class MessageLimit(TooManyAttempts):
    status = 429
    code = "message_limit"
    message = "This event has had its messages for today. Try again tomorrow."


@dataclass(frozen=True)
class Message:
    id: str
    event_id: str
    author_id: str
    subject: str
    body: str
    audience: Audience
    recipients: int  # counted when it was sent
    day: str  # YYYY-MM-DD in the event's time zone: what the daily limit counts
    created_at: datetime
    fanout_step: int = 0  # the fan-out job due next
    fanout_cursor: str | None = None  # where that job reads on
    fanout_done: bool = False
    queued: int = 0  # mails written as jobs
    sent: int = 0
    skipped: int = 0  # unsubscribed (or gone) by the time their mail was due

    @property
    def state(self) -> MessageState:
        if not self.fanout_done:
            return MessageState.QUEUED
        if self.sent + self.skipped < self.queued:
            return MessageState.SENDING
        return MessageState.SENT


@dataclass(frozen=True)
class MessageFields:
    subject: str
    body: str
    audience: Audience


def parse_message_fields(raw: Mapping[str, Any], source: Source) -> MessageFields:
    """Every problem at once, keyed by field (`ValidationFailed`)."""
    check = FieldChecker(raw, source)
    for name in raw:
        if name not in FIELDS and source == "json":
            check.fail(name, UNKNOWN_FIELD)
    subject = check.text("subject", 1, SUBJECT_MAX, "a subject")
    body = check.text("body", 1, BODY_MAX, "the message", one_line=False)
    to = raw.get("to")
    try:
        audience = Audience(to) if isinstance(to, str) else None
    except ValueError:
        audience = None
    if audience is None:
        check.fail("to", "Choose one of: " + ", ".join(a.value for a in Audience) + ".")
    if check.problems or audience is None:
        raise ValidationFailed(check.problems)
    return MessageFields(subject, body, audience)


def message_day(now: datetime, zone: ZoneInfo) -> str:
    return now.astimezone(zone).date().isoformat()


def seconds_to_next_day(now: datetime, zone: ZoneInfo) -> int:
    """How long until the limit's day ends (the 429's Retry-After)."""
    local = now.astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
    return max(1, int((midnight - local).total_seconds()) + 1)


def receives(audience: Audience, registration: Registration, tickets: Sequence[Ticket]) -> bool:
    """Whether this registration's buyer is among the message's recipients: by the
    tickets the buyer still holds (one passed on counts for its holder,
    `holders_receiving`)."""
    if registration.status is not RegistrationStatus.CONFIRMED:
        return False
    if audience is Audience.CONFIRMED:
        return True
    own = [t for t in tickets if t.user_id == registration.user_id]
    admitted = any(t.status is TicketStatus.USED for t in own)
    if audience is Audience.CHECKED_IN:
        return admitted
    if audience is Audience.NOT_CHECKED_IN:
        return bool(own) and not admitted
    return False


def holders_receiving(
    audience: Audience, registration: Registration, tickets: Sequence[Ticket]
) -> list[str]:
    """The accounts holding a ticket of this registration passed on to them
    (models/transfers.py) that are among the recipients, each by its own ticket: checked
    in when it was used, not checked in while it is valid."""
    if registration.status is not RegistrationStatus.CONFIRMED or audience is Audience.WAITLIST:
        return []
    found = []
    for ticket in tickets:
        if not ticket.user_id or ticket.user_id == registration.user_id:
            continue
        if ticket.status is TicketStatus.VOID:
            continue
        used = ticket.status is TicketStatus.USED
        if audience is Audience.CONFIRMED or used == (audience is Audience.CHECKED_IN):
            found.append(ticket.user_id)
    return found


def fanout_job(message_id: str, step: int, now: datetime) -> DeliveryJob:
    return new_job(JobKind.MESSAGE, f"{message_id}#{step}", now)


def parse_fanout_subject(subject: str) -> tuple[str, int]:
    message_id, _, step = subject.partition("#")
    return message_id, int(step or 0)


def mail_job(message_id: str, user_id: str, now: datetime) -> DeliveryJob:
    return new_job(JobKind.MESSAGE_MAIL, f"{message_id}/{user_id}", now)


def parse_mail_subject(subject: str) -> tuple[str, str]:
    message_id, _, user_id = subject.partition("/")
    return message_id, user_id
