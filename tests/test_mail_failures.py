"""A ticket mail that cannot be built is an error with an alert, never a retry loop
(issue 10): permanent failures (the message cannot be made) are told apart from
transient ones (the mail service is down), and only the transient ones are retried."""

from __future__ import annotations

import logging

import pytest

from models.domain import Registration, RegistrationStatus, new_id, utcnow
from models.outbox import JobState
from models.tickets import tickets_for
from tests.store_contract import make_event, make_user
from web.adapters.mail.mime import message_bytes
from web.adapters.mail.outbox import OutboxMailer
from web.adapters.mail.port import Mail, MailNotBuilt
from web.services.container import Services
from web.services.delivery import UndeliverableTickets
from web.services.outbox_worker import Outcome

pytestmark = pytest.mark.local_adapters  # the outbox mailer; SES builds the same message


async def _confirmed(services: Services, email: str, title: str = "Jazz Night") -> str:
    """A confirmed free registration with its tickets, as the store keeps it (older data
    may predate today's field rules, so this goes around them)."""
    buyer = make_user(email, email_verified=True)
    await services.store.create_user(buyer, None)
    event = make_event(days=1, title=title, price=0)
    await services.store.create_event(event)
    now = utcnow()
    registration = Registration(
        id=new_id(),
        event_id=event.id,
        user_id=buyer.id,
        buyer_name=buyer.name,
        buyer_email=buyer.email,
        quantity=1,
        amount=0,
        currency="EUR",
        status=RegistrationStatus.CONFIRMED,
        created_at=now,
    )
    await services.store.hold_seats(registration, now, tickets_for(registration, now))
    return registration.id


@pytest.mark.parametrize(
    ("email", "title"),
    [
        ("zoë@example.com", "Jazz Night"),  # an address SES and the outbox cannot encode
        ("ana@example.com", "Gig\nBcc: x@example.com"),  # a title from before the rule
    ],
)
async def test_a_mail_that_cannot_be_built_fails_once_with_an_error(
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    email: str,
    title: str,
) -> None:
    """Fails before issue 10: UnicodeEncodeError / HeaderParseError escaped unnamed and
    unlogged, and the SQS deliverer handed the message back to be retried."""
    registration_id = await _confirmed(services, email, title)
    tries: list[str] = []
    send = OutboxMailer.send

    async def counted(self: OutboxMailer, mail: Mail) -> None:
        tries.append(mail.to)
        await send(self, mail)

    monkeypatch.setattr(OutboxMailer, "send", counted)
    with caplog.at_level(logging.ERROR, logger="admit"), pytest.raises(UndeliverableTickets):
        await services.deliverer.deliver(registration_id)
    assert len(tries) == 1  # not retried
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert registration_id in errors[0].getMessage()
    assert "cannot be mailed" in errors[0].getMessage()


def test_building_tells_permanent_failures_apart() -> None:
    with pytest.raises(MailNotBuilt):
        message_bytes(Mail(to="zoë@example.com", subject="Hi", text="x"), "Admit <a@b.example>")
    with pytest.raises(MailNotBuilt):
        message_bytes(Mail(to="a@b.example", subject="A\nBcc: c@d", text="x"), "a@b.example")
    message_id, raw = message_bytes(
        Mail(to="Zoë Ñ <zoe@example.com>", subject="Olá ünïcode", text="é"), "a@b.example"
    )
    assert b"MIME-Version" in raw
    assert message_id.startswith("<")


async def test_an_outage_is_still_retried(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Transient failures keep their retries (the outbox folder unwritable, then back):
    the job is due again after its backoff."""
    from web.adapters.mail.port import MailDeliveryFailed

    registration_id = await _confirmed(services, "ana@example.com")
    tries: list[str] = []
    send = OutboxMailer.send

    async def flaky(self: OutboxMailer, mail: Mail) -> None:
        tries.append(mail.to)
        if len(tries) == 1:
            raise MailDeliveryFailed("Could not write to the outbox: disk full")
        await send(self, mail)

    monkeypatch.setattr(OutboxMailer, "send", flaky)
    worker = services.delivery.worker
    job_id = f"tickets:{registration_id}"
    assert await worker.run(job_id) is Outcome.RETRY
    job = await services.store.get_job(job_id)
    assert job is not None
    assert await worker.run(job_id, now=job.next_try_at) is Outcome.SENT
    assert len(tries) == 2


async def test_a_mail_that_cannot_be_built_ends_its_job_dead_at_once(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    registration_id = await _confirmed(services, "zoë@example.com")
    with caplog.at_level(logging.ERROR, logger="admit"):
        outcome = await services.delivery.worker.run(f"tickets:{registration_id}")
    assert outcome is Outcome.DEAD
    job = await services.store.get_job(f"tickets:{registration_id}")
    assert job is not None
    assert (job.state, job.attempts) == (JobState.DEAD, 1)
    assert any("is dead after 1 attempt(s)" in r.getMessage() for r in caplog.records)
