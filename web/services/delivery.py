"""Getting a confirmed registration's tickets to its buyer.

`Deliverer.deliver` is the job itself: render and store every PDF, then mail them. The
Deliveries adapters run it (at once in this process, or in the `deliverer` Lambda fed by
SQS); they are handed it as a callable, so no adapter imports a service.

`Delivery` is the one place that asks for a delivery: a use case says what is due (a
free registration just made, a payment just confirmed) and the route hands that to
`Delivery.after_answer`, which asks the Deliveries port once the answer has gone.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from starlette.background import BackgroundTask

from models.domain import Registration, RegistrationStatus
from models.store import Store
from web.adapters.deliveries.port import Deliveries
from web.adapters.files.port import FileStoreFailed
from web.adapters.mail.port import Attachment, MailDeliveryFailed, Mailer, MailNotBuilt
from web.calendar_file import event_ics
from web.mails import registration_mail
from web.services.tickets import TicketNotRendered, Tickets

DELIVERY_ATTEMPTS = 3
log = logging.getLogger("admit")


class UndeliverableTickets(Exception):
    """A registration's ticket mail can never be sent as things stand (it cannot be
    built, or a ticket cannot be rendered): trying again will not help, a person must look.
    Logged at ERROR with the registration when raised; the SQS deliverer moves its message
    to the dead-letter queue (and its alarm) instead of letting it come back."""

    def __init__(self, registration_id: str, reason: str) -> None:
        super().__init__(f"tickets of registration {registration_id} cannot be mailed: {reason}")
        self.registration_id = registration_id
        self.reason = reason


class Deliverer:
    def __init__(
        self,
        store: Store,
        tickets: Tickets,
        mailer: Mailer,
        base_url: str,
        retry_delay: float = 0.5,
    ) -> None:
        self.store = store
        self.tickets = tickets
        self.mailer = mailer
        self.base_url = base_url
        self.retry_delay = retry_delay

    async def deliver(self, registration_id: str) -> None:
        """After confirmation: render and store every PDF, then mail them to the buyer.

        Runs after the answer has gone (a background task). A file or mail service that
        fails (transient: an outage, throttling) is tried again twice, after 0.5 and 1 s;
        then the failure is logged with the registration and raised. A mail that cannot be
        built or a ticket that cannot be rendered (permanent) is not retried: it is logged
        at ERROR and raised as `UndeliverableTickets`. The tickets themselves are already
        issued and on "My tickets" either way."""
        for attempt in range(1, DELIVERY_ATTEMPTS + 1):
            try:
                await self._deliver_once(registration_id)
                return
            except (MailNotBuilt, TicketNotRendered) as exc:
                log.error(
                    "tickets of registration %s cannot be mailed, not retried: %s",
                    registration_id,
                    exc,
                )
                raise UndeliverableTickets(registration_id, str(exc)) from exc
            except (MailDeliveryFailed, FileStoreFailed) as exc:
                if attempt == DELIVERY_ATTEMPTS:
                    log.error(
                        "tickets of registration %s not mailed after %d attempts: %s",
                        registration_id,
                        attempt,
                        exc,
                    )
                    raise
                await asyncio.sleep(self.retry_delay * 2 ** (attempt - 1))

    async def _deliver_once(self, registration_id: str) -> None:
        registration = await self.store.get_registration(registration_id)
        if registration is None or registration.status is not RegistrationStatus.CONFIRMED:
            return
        event = await self.store.get_event(registration.event_id)
        assert event is not None
        attachments = []
        for ticket in await self.store.list_registration_tickets(registration.id):
            view = self.tickets.view(ticket, event)
            rendered = await self.tickets.ensure_pdf(view)
            attachments.append(Attachment(rendered.filename, rendered.content_type, rendered.data))
        attachments.append(event_ics(event, registration, self.base_url))
        mail = registration_mail(registration, event, self.base_url)
        await self.mailer.send(replace(mail, attachments=tuple(attachments)))


class Delivery:
    """The one caller of the Deliveries port."""

    def __init__(self, deliveries: Deliveries) -> None:
        self.deliveries = deliveries

    def after_answer(self, registration_id: str | None) -> BackgroundTask | None:
        """The task that asks for this registration's tickets once the answer has gone
        (the buyer does not wait for PDFs and mail); None when nothing is due."""
        if registration_id is None:
            return None
        return BackgroundTask(self.deliveries.request, registration_id)

    def after_registering(self, registration: Registration) -> BackgroundTask | None:
        """A registration just made is due when it is confirmed already (free); a held
        one waits for its payment, whose confirmation says so (`Applied.to_deliver`)."""
        due = registration.status is RegistrationStatus.CONFIRMED
        return self.after_answer(registration.id if due else None)
