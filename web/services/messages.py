"""An organizer's messages to an event's attendees, and unsubscribing from them.

`Messages.send` checks the fields, counts the recipients (the answer's `recipients`) and
stores the message with its first fan-out job under the daily limit, in one atomic step
(`Store.queue_message`). The outbox then runs `run_fanout` one page of registrations at a
time and `run_mail` once per recipient (models/messages.py says why). Every mail carries
a signed unsubscribe link (`UnsubscribeLinks`); a person who used it is skipped, both when
the recipients are listed and when their mail is due. Ticket mails are not affected.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from html import escape
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.background import BackgroundTask

from models.domain import Event, RegistrationStatus, User, new_id, utcnow
from models.errors import NotFound
from models.event_rules import Source
from models.messages import (
    FANOUT_PAGE,
    Audience,
    Message,
    MessageLimit,
    fanout_job,
    holders_receiving,
    mail_job,
    message_day,
    parse_fanout_subject,
    parse_mail_subject,
    parse_message_fields,
    receives,
    seconds_to_next_day,
)
from models.outbox import DeliveryJob
from models.store import RegistrationQuery, Store
from models.tickets import Ticket
from web.adapters.mail.port import Mail, Mailer, MailNotBuilt
from web.services.delivery import Delivery
from web.services.events import Events

log = logging.getLogger("admit")

BeforeMail = Callable[[], Awaitable[None]]
LISTED = 20  # messages shown on the organizer's page
COUNT_PAGE = 500
CONFIRMED = RegistrationQuery(status=RegistrationStatus.CONFIRMED)


class UndeliverableMessage(Exception):
    """A message's mail to one person can never be built (an address that cannot be
    encoded): its job dies at once, counted as skipped."""


class UnsubscribeLinks:
    """Signed, never-expiring links that stop one organizer's messages to one person:
    no log-in needed, and nobody can make one for someone else."""

    def __init__(self, secret_key: str, base_url: str) -> None:
        self.serializer = URLSafeSerializer(secret_key, salt="admit.unsubscribe")
        self.base_url = base_url

    def token(self, organizer_id: str, user_id: str) -> str:
        return str(self.serializer.dumps([organizer_id, user_id]))

    def url(self, organizer_id: str, user_id: str) -> str:
        return f"{self.base_url}/unsubscribe/{self.token(organizer_id, user_id)}"

    def read(self, token: str) -> tuple[str, str]:
        """The organizer and the person a token names; `NotFound` for any other string."""
        try:
            value = self.serializer.loads(token)
        except BadSignature as exc:
            raise NotFound("This unsubscribe link is not valid.") from exc
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(part, str) for part in value)
        ):
            raise NotFound("This unsubscribe link is not valid.")
        return value[0], value[1]


def message_mail(message: Message, event: Event, user: User, unsubscribe_url: str) -> Mail:
    footer = [
        f"You get this message from the organizer of {event.title}, because you registered.",
        f"To get no more messages from this organizer: {unsubscribe_url}",
    ]
    text = message.body + "\n\n-- \n" + "\n".join(footer) + "\n"
    paragraphs = "".join(
        "<p>" + escape(part).replace("\n", "<br>") + "</p>" for part in message.body.split("\n\n")
    )
    html = (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f'{paragraphs}<hr><p style="color:#555;font-size:13px">{escape(footer[0])} '
        f'<a href="{escape(unsubscribe_url)}">Unsubscribe from this organizer\'s messages</a>.'
        "</p></body></html>"
    )
    return Mail(
        to=user.email,
        subject=message.subject,
        text=text,
        html=html,
        headers=(
            ("List-Unsubscribe", f"<{unsubscribe_url}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ),
    )


class Messages:
    def __init__(
        self,
        store: Store,
        events: Events,
        mailer: Mailer,
        delivery: Delivery,
        links: UnsubscribeLinks,
        per_day: int,
    ) -> None:
        self.store = store
        self.events = events
        self.mailer = mailer
        self.delivery = delivery
        self.links = links
        self.per_day = per_day

    # -- the organizer ------------------------------------------------------------------

    async def send(
        self, organizer: User, event_id: str, raw: Mapping[str, Any], source: Source
    ) -> Message:
        """Queue a message to the chosen attendees: 404 for another's event, 422 naming
        the fields, 429 `message_limit` when the event's messages for today are spent."""
        event = await self.events.owned(organizer, event_id)
        fields = parse_message_fields(raw, source)
        recipients = await self.recipients(event, fields.audience)
        now = utcnow()
        message = Message(
            id=new_id(),
            event_id=event.id,
            author_id=organizer.id,
            subject=fields.subject,
            body=fields.body,
            audience=fields.audience,
            recipients=len(recipients),
            day=message_day(now, event.zone),
            created_at=now,
        )
        if await self.store.queue_message(message, fanout_job(message.id, 0, now), self.per_day):
            log.info(
                "message %s of event %s queued to %s: %d recipient(s)",
                message.id,
                event.id,
                message.audience.value,
                message.recipients,
            )
            return message
        raise MessageLimit(
            seconds_to_next_day(now, event.zone),
            f"This event has sent its {self.per_day} messages for today. Try again tomorrow.",
        )

    async def of(self, organizer: User, event_id: str) -> tuple[Event, list[Message]]:
        event = await self.events.owned(organizer, event_id)
        return event, await self.store.list_event_messages(event.id, LISTED)

    async def recipients(self, event: Event, audience: Audience) -> set[str]:
        """The accounts the message goes to now (once each), less the unsubscribed."""
        if audience is Audience.WAITLIST:
            users = set(await self.store.list_waitlist_user_ids(event.id))
        else:
            tickets = await self.store.list_event_tickets(event.id)
            by_registration: dict[str, list[Ticket]] = {}
            for ticket in tickets:
                by_registration.setdefault(ticket.registration_id, []).append(ticket)
            users = set()
            cursor = None
            while True:
                page = await self.store.list_event_registrations(
                    event.id, COUNT_PAGE, cursor, CONFIRMED
                )
                for registration in page.items:
                    mine = by_registration.get(registration.id, [])
                    if receives(audience, registration, mine):
                        users.add(registration.user_id)
                    users.update(holders_receiving(audience, registration, mine))
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
        return users - await self.store.unsubscribed_among(event.organizer_id, sorted(users))

    def after_sending(self) -> BackgroundTask | None:
        """In-app delivery (tests, one process): run the fan-out and every mail it makes
        once the answer has gone. Elsewhere a worker or the stream-fed function does."""
        return self.delivery.after_queueing()

    # -- the outbox's handlers ----------------------------------------------------------

    async def run_fanout(self, job: DeliveryJob, before_mail: BeforeMail) -> None:
        """One page of the fan-out: a mail job for each recipient on it, then (one step)
        the message moved on with the next page's job. A repeated run finds the message
        moved on, or writes nothing twice."""
        message_id, step = parse_fanout_subject(job.subject)
        message = await self.store.get_message(message_id)
        if message is None or message.fanout_done or message.fanout_step != step:
            return
        event = await self.store.get_event(message.event_id)
        if event is None:
            return
        cursor: str | None = None
        if message.audience is Audience.WAITLIST:
            users = await self.store.list_waitlist_user_ids(event.id)
        else:
            page = await self.store.list_event_registrations(
                event.id, FANOUT_PAGE, message.fanout_cursor, CONFIRMED
            )
            cursor = page.next_cursor
            users = []
            for registration in page.items:
                if registration.created_at > message.created_at:
                    continue  # registered after the message was sent
                # Read for every audience: a ticket passed on reaches its holder too.
                tickets = await self.store.list_registration_tickets(registration.id)
                if receives(message.audience, registration, tickets):
                    users.append(registration.user_id)
                users += holders_receiving(message.audience, registration, tickets)
        unsubscribed = await self.store.unsubscribed_among(event.organizer_id, users)
        now = utcnow()
        jobs = [mail_job(message.id, u, now) for u in dict.fromkeys(users) if u not in unsubscribed]
        added = await self.store.add_jobs(jobs)
        following = fanout_job(message.id, step + 1, now) if cursor else None
        await self.store.advance_message(message.id, step, cursor, added, following)

    async def run_mail(self, job: DeliveryJob, before_mail: BeforeMail) -> None:
        """Mail one recipient, unless they unsubscribed (or are gone) meanwhile."""
        message_id, user_id = parse_mail_subject(job.subject)
        message = await self.store.get_message(message_id)
        if message is None:
            return
        event = await self.store.get_event(message.event_id)
        user = await self.store.get_user(user_id)
        if (
            event is None
            or user is None
            or await self.store.unsubscribed_among(event.organizer_id, [user_id])
        ):
            await self.store.count_message_mail(message.id, sent=False)
            return
        mail = message_mail(message, event, user, self.links.url(event.organizer_id, user.id))
        await before_mail()
        try:
            await self.mailer.send(mail)
        except MailNotBuilt as exc:
            await self.store.count_message_mail(message.id, sent=False)
            log.error("message %s cannot be mailed to %s: %s", message.id, user.id, exc)
            raise UndeliverableMessage(str(exc)) from exc
        await self.store.count_message_mail(message.id, sent=True)

    # -- the attendee -------------------------------------------------------------------

    async def unsubscribing(self, token: str) -> tuple[str, str]:
        """Who a link is for: the organizer's name (as shown on the page) and the
        person's id; `NotFound` for a link that is not ours."""
        organizer_id, user_id = self.links.read(token)
        organizer = await self.store.get_user(organizer_id)
        return (organizer.name if organizer else "this organizer"), user_id

    async def unsubscribe(self, token: str) -> str:
        """Stop the organizer's messages to the person the link names; the organizer's
        name."""
        organizer_id, user_id = self.links.read(token)
        await self.store.unsubscribe(organizer_id, user_id, utcnow())
        log.info("unsubscribed %s from the messages of organizer %s", user_id, organizer_id)
        organizer = await self.store.get_user(organizer_id)
        return organizer.name if organizer else "this organizer"
