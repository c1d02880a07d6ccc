"""Mailing the tickets after a confirmation: brief outages of the mail or file service are
ridden out, a lasting one is logged with the registration (Deliverer.deliver)."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.api_helpers import create_event, registered, sign_up
from tests.helpers import outbox_messages
from web.adapters.mail.port import Mail, MailDeliveryFailed, Mailer
from web.services.container import Services
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


async def _confirmed(client: httpx.AsyncClient) -> tuple[str, str]:
    organizer = await sign_up(client, "org@example.com", "organizer")
    buyer = await sign_up(client, "buyer@example.com")
    event = await create_event(client, organizer, capacity=5, price=0)
    registration = await registered(client, buyer, event["id"], 2, attendee_names=["Ana"])
    assert registration["status"] == "confirmed"
    return registration["id"], buyer.email


async def test_a_brief_mail_outage_is_ridden_out(
    client: httpx.AsyncClient, services: Services, settings: Settings
) -> None:
    registration_id, email = await _confirmed(client)
    before = len(outbox_messages(settings, email))
    flaky = FailingFirst(services.deliverer.mailer, failures=2)
    services.deliverer.mailer = flaky
    services.deliverer.retry_delay = 0.01

    await services.deliverer.deliver(registration_id)

    assert flaky.attempts == 3
    mails = outbox_messages(settings, email)
    assert len(mails) == before + 1
    pdfs = [part for part in mails[-1].iter_attachments() if part.get_filename().endswith(".pdf")]
    assert len(pdfs) == 2


async def test_a_lasting_outage_is_logged_with_the_registration(
    client: httpx.AsyncClient,
    services: Services,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    registration_id, email = await _confirmed(client)
    before = len(outbox_messages(settings, email))
    down = FailingFirst(services.deliverer.mailer, failures=99)
    services.deliverer.mailer = down
    services.deliverer.retry_delay = 0.01

    with caplog.at_level(logging.ERROR, logger="admit"), pytest.raises(MailDeliveryFailed):
        await services.deliverer.deliver(registration_id)

    assert down.attempts == 3
    assert len(outbox_messages(settings, email)) == before
    [record] = [r for r in caplog.records if registration_id in r.getMessage()]
    assert "not mailed after 3 attempts" in record.getMessage()
