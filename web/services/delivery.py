"""Getting a confirmed registration's tickets to its buyer.

`Deliverer.deliver` is the work of one `tickets` job: render and store every PDF, then
mail them. It runs once per try; the job (models/outbox.py), written in the confirming
transaction, carries the retries. `OutboxWorker` (outbox_worker.py) claims and runs jobs.

`Delivery` is what routes call after an answer: with `ADMIT_DELIVERY=in-app` it hands
back a background task that runs the registration's job right after the answer (tests
and single-process use); with `worker` or `stream` the job is drained elsewhere (a
worker process, the `deliverer` function) and the answer schedules nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from starlette.background import BackgroundTask

from models.domain import Registration, RegistrationStatus
from models.outbox import DeliveryJob, JobKind, job_id
from models.store import Store
from web.adapters.mail.port import Attachment, Mailer, MailNotBuilt
from web.calendar_file import event_ics
from web.mails import registration_mail
from web.services.outbox_worker import OutboxWorker
from web.services.tickets import TicketNotRendered, Tickets

log = logging.getLogger("admit")

BeforeMail = Callable[[], Awaitable[None]]


class UndeliverableTickets(Exception):
    """A registration's ticket mail can never be sent as things stand (it cannot be
    built, or a ticket cannot be rendered): trying again will not help, a person must
    look. Its job dies at once (logged at ERROR)."""

    def __init__(self, registration_id: str, reason: str) -> None:
        super().__init__(f"tickets of registration {registration_id} cannot be mailed: {reason}")
        self.registration_id = registration_id
        self.reason = reason


class Deliverer:
    def __init__(self, store: Store, tickets: Tickets, mailer: Mailer, base_url: str) -> None:
        self.store = store
        self.tickets = tickets
        self.mailer = mailer
        self.base_url = base_url

    async def deliver(self, registration_id: str, before_mail: BeforeMail | None = None) -> None:
        """Render and store every PDF of the registration, then mail them to the buyer;
        `before_mail` runs just before the mail is handed over (the job records
        `sending`). One try: a file or mail service that fails raises `FileStoreFailed` /
        `MailDeliveryFailed` (the job tries again later); a mail that cannot be built or
        a ticket that cannot be rendered raises `UndeliverableTickets`. A registration no
        longer confirmed (cancelled meanwhile) is not mailed."""
        try:
            await self._deliver(registration_id, before_mail)
        except (MailNotBuilt, TicketNotRendered) as exc:
            log.error("tickets of registration %s cannot be mailed: %s", registration_id, exc)
            raise UndeliverableTickets(registration_id, str(exc)) from exc

    async def run_job(self, job: DeliveryJob, before_mail: BeforeMail) -> None:
        """The `tickets` job's handler (models/outbox.py): its subject is the registration."""
        await self.deliver(job.subject, before_mail)

    async def _deliver(self, registration_id: str, before_mail: BeforeMail | None) -> None:
        registration = await self.store.get_registration(registration_id)
        if registration is None or registration.status is not RegistrationStatus.CONFIRMED:
            return
        event = await self.store.get_event(registration.event_id)
        assert event is not None
        attachments = []
        for ticket in await self.store.list_registration_tickets(registration.id):
            if ticket.user_id != registration.user_id:
                continue  # passed on since: its new holder was mailed it (transfers)
            view = self.tickets.view(ticket, event)
            rendered = await self.tickets.ensure_pdf(view)
            attachments.append(Attachment(rendered.filename, rendered.content_type, rendered.data))
        attachments.append(event_ics(event, registration, self.base_url))
        mail = replace(
            registration_mail(registration, event, self.base_url), attachments=tuple(attachments)
        )
        if before_mail is not None:
            await before_mail()
        await self.mailer.send(mail)


class Delivery:
    """What an answer does about the delivery it made due: the one place routes ask."""

    def __init__(self, worker: OutboxWorker, after_answers: bool, on_clock: bool) -> None:
        self.worker = worker
        self.after_answers = after_answers  # ADMIT_DELIVERY=in-app
        self.on_clock = on_clock  # in-app and stream: the clock retries due jobs

    def after_answer(self, registration_id: str | None) -> BackgroundTask | None:
        """In-app: the task that runs this registration's job once the answer has gone
        (the buyer does not wait for PDFs and mail). None when nothing is due, or when a
        worker elsewhere drains the outbox (the job is already written)."""
        if registration_id is None:
            return None
        # Counted by a metric filter into the operator's dashboard (infra/dashboard.yml).
        log.info("sale confirmed: registration %s", registration_id)
        if not self.after_answers:
            return None
        return BackgroundTask(self.worker.run, job_id(JobKind.TICKETS, registration_id))

    def after_queueing(self) -> BackgroundTask | None:
        """In-app: the task that runs every job due once the answer has gone (a message's
        fan-out makes more jobs as it runs, so it drains until none is left). None when a
        worker elsewhere drains the outbox."""
        if not self.after_answers:
            return None
        return BackgroundTask(self._drain_all)

    async def _drain_all(self) -> None:
        while await self.worker.drain():
            pass

    def after_registering(self, registration: Registration) -> BackgroundTask | None:
        """A registration just made is due when it is confirmed already (free); a held
        one waits for its payment, whose confirmation says so (`Applied.to_deliver`)."""
        due = registration.status is RegistrationStatus.CONFIRMED
        return self.after_answer(registration.id if due else None)

    async def retry_due(self) -> int:
        """The clock's part: run the jobs due again (retries whose time came, jobs whose
        stream record or background task was lost); the number run."""
        if not self.on_clock:
            return 0
        return await self.worker.drain()
