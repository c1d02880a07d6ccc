"""Mailing the tickets after a confirmation, through the outbox (invariant 8): the job is
written with the confirmation, an outage is retried after a backoff, a lasting one ends
the job dead with an ERROR, and a worker elsewhere leaves the answer free of any of it.

Fails before issue 12: the delivery ran in the answer's background task with three quick
tries, and a failure after them was lost (nothing kept the job)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from models.outbox import JobState
from tests.api_helpers import create_event, registered, sign_up
from tests.helpers import outbox_messages
from web.adapters.mail.port import Mail, MailDeliveryFailed, Mailer
from web.services.container import Services
from web.services.outbox_worker import Outcome
from web.services.tickets import pdf_key
from web.settings import Settings

pytestmark = pytest.mark.settings(require_email_verification=False)


class FailingFirst(Mailer):
    """The app's own mailer, refusing the first `failures` mails as SES does when throttled."""

    def __init__(self, mailer: Mailer, failures: int) -> None:
        self.mailer = mailer
        self.failures = failures
        self.attempts = 0

    async def send(self, mail: Mail) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise MailDeliveryFailed("Throttling: Maximum sending rate exceeded.")
        await self.mailer.send(mail)


def ticket_mails(settings: Settings, email: str) -> list[Any]:
    return [
        mail
        for mail in outbox_messages(settings, email)
        if any(part.get_filename().endswith(".pdf") for part in mail.iter_attachments())
    ]


async def _confirmed(client: httpx.AsyncClient) -> tuple[str, str]:
    organizer = await sign_up(client, "org@example.com", "organizer")
    buyer = await sign_up(client, "buyer@example.com")
    event = await create_event(client, organizer, capacity=5, price=0)
    registration = await registered(client, buyer, event["id"], 2, attendee_names=["Ana"])
    assert registration["status"] == "confirmed"
    return registration["id"], buyer.email


async def test_the_job_is_run_right_after_the_answer_in_app(
    client: httpx.AsyncClient, services: Services, settings: Settings
) -> None:
    registration_id, email = await _confirmed(client)
    job = await services.store.get_job(f"tickets:{registration_id}")
    assert job is not None
    assert job.state is JobState.SENT
    assert len(ticket_mails(settings, email)) == 1


async def test_a_brief_mail_outage_is_retried_after_its_backoff(
    client: httpx.AsyncClient, services: Services, settings: Settings
) -> None:
    flaky = FailingFirst(services.deliverer.mailer, failures=1)
    services.deliverer.mailer = flaky
    registration_id, email = await _confirmed(client)

    job = await services.store.get_job(f"tickets:{registration_id}")
    assert job is not None
    assert (job.state, job.attempts) == (JobState.PENDING, 1)
    assert "Throttling" in job.last_error
    assert ticket_mails(settings, email) == []
    worker = services.delivery.worker
    assert await worker.drain() == 0  # not before its time
    assert await worker.drain(now=job.next_try_at) == 1

    assert flaky.attempts == 2
    (mail,) = ticket_mails(settings, email)
    pdfs = [part for part in mail.iter_attachments() if part.get_filename().endswith(".pdf")]
    assert len(pdfs) == 2
    done = await services.store.get_job(job.id)
    assert done is not None
    assert done.state is JobState.SENT


@pytest.mark.settings(require_email_verification=False, outbox_attempts=3)
async def test_a_lasting_outage_ends_the_job_dead_with_an_error(
    client: httpx.AsyncClient,
    services: Services,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = FailingFirst(services.deliverer.mailer, failures=99)
    services.deliverer.mailer = down
    registration_id, email = await _confirmed(client)
    worker = services.delivery.worker
    job_id = f"tickets:{registration_id}"

    with caplog.at_level(logging.WARNING, logger="admit"):
        for _ in range(2):
            job = await services.store.get_job(job_id)
            assert job is not None
            assert await worker.run(job_id, now=job.next_try_at) in (Outcome.RETRY, Outcome.DEAD)

    dead = await services.store.get_job(job_id)
    assert dead is not None
    assert (dead.state, dead.attempts) == (JobState.DEAD, 3)
    assert down.attempts == 3
    assert ticket_mails(settings, email) == []
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert f"delivery job {job_id} is dead after 3 attempt(s)" in errors[0]
    # Put back by a person (`admit outbox retry`), once the mail service is back.
    services.deliverer.mailer = down.mailer
    assert await services.store.retry_job(job_id, dead.next_try_at) is not None
    assert await worker.drain() == 1
    assert len(ticket_mails(settings, email)) == 1


@pytest.mark.settings(require_email_verification=False, delivery="worker")
async def test_with_a_worker_elsewhere_the_answer_delivers_nothing(
    client: httpx.AsyncClient, services: Services, settings: Settings
) -> None:
    """The confirmation answers before any PDF is made; the job waits for the worker."""
    registration_id, email = await _confirmed(client)
    job = await services.store.get_job(f"tickets:{registration_id}")
    assert job is not None
    assert job.state is JobState.PENDING
    assert ticket_mails(settings, email) == []
    assert await services.delivery.retry_due() == 0  # the clock leaves it to the worker
    assert await services.delivery.worker.drain() == 1
    assert len(ticket_mails(settings, email)) == 1


@pytest.mark.settings(require_email_verification=False, delivery="worker")
async def test_tickets_work_before_any_pdf_and_the_first_download_renders_it(
    client: httpx.AsyncClient, services: Services, settings: Settings
) -> None:
    """The ticket page and its QR need no PDF; a PDF not rendered yet is rendered on its
    first download and stored, and the delivery then mails that same stored file."""
    organizer = await sign_up(client, "org@example.com", "organizer")
    buyer = await sign_up(client, "buyer@example.com")
    event = await create_event(client, organizer, capacity=5, price=0)
    registration = await registered(client, buyer, event["id"], 1)
    (ticket_id,) = registration["tickets"]
    ticket = await services.store.get_ticket(ticket_id)
    assert ticket is not None
    key = pdf_key(ticket)
    assert not await services.files.exists(key)  # no delivery has run

    page = await client.get(f"/tickets/{ticket_id}", headers=buyer.headers)
    assert page.status_code == 200
    assert "<svg" in page.text
    assert not await services.files.exists(key)

    download = await client.get(f"/tickets/{ticket_id}/pdf", headers=buyer.headers)
    assert download.status_code in (302, 303, 307)
    stored = await services.files.get(key)
    assert stored is not None
    assert stored.startswith(b"%PDF")

    assert await services.delivery.worker.drain() == 1
    (mail,) = ticket_mails(settings, buyer.email)
    (pdf,) = [p for p in mail.iter_attachments() if p.get_filename().endswith(".pdf")]
    assert pdf.get_content() == stored
