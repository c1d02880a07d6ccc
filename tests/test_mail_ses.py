"""SesMailer on moto in server mode: the raw MIME message SES takes is the outbox's, with
its text, HTML and attachments byte for byte."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.aws_fixtures import ses_sent_messages, verify_sender
from web.adapters.aws_clients import AwsClients
from web.adapters.mail.port import Attachment, Mail, MailDeliveryFailed
from web.adapters.mail.ses import SesMailer

REGION = "eu-west-1"
SENDER = "Admit <tickets@admit.example>"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Admit//EN\r\nEND:VCALENDAR\r\n"


@pytest.fixture
async def aws(moto: str, aws_credentials: None) -> AsyncIterator[AwsClients]:
    clients = AwsClients(REGION, moto)
    yield clients
    await clients.close()


def ticket_mail() -> Mail:
    return Mail(
        to="Zoë Buyer <zoe@example.com>",
        subject="Your tickets: Café night ☕",
        text="Hello Zoë,\nyour 2 tickets are attached.\n",
        html="<p>Hello Zoë,</p><p>your <b>2</b> tickets are attached.</p>",
        attachments=(
            Attachment("ticket-abc.pdf", "application/pdf", PDF),
            Attachment("event.ics", "text/calendar", ICS),
        ),
    )


async def test_sends_text_html_and_attachments_intact(aws: AwsClients, moto: str) -> None:
    await verify_sender(moto, REGION, "tickets@admit.example")
    await SesMailer(aws, SENDER).send(ticket_mail())

    [message] = ses_sent_messages(REGION)
    assert message["Subject"] == "Your tickets: Café night ☕"
    assert message["To"] == "Zoë Buyer <zoe@example.com>"
    assert message["From"] == SENDER
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert text.get_content() == "Hello Zoë,\nyour 2 tickets are attached.\n"
    assert html.get_content() == "<p>Hello Zoë,</p><p>your <b>2</b> tickets are attached.</p>"
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(attachments) == {"ticket-abc.pdf", "event.ics"}
    assert attachments["ticket-abc.pdf"].get_content_type() == "application/pdf"
    assert attachments["ticket-abc.pdf"].get_payload(decode=True) == PDF
    assert attachments["event.ics"].get_content_type() == "text/calendar"
    assert attachments["event.ics"].get_payload(decode=True) == ICS


async def test_an_unverified_sender_is_a_delivery_failure(aws: AwsClients) -> None:
    mailer = SesMailer(aws, "Admit <nobody@unverified.example>")
    with pytest.raises(MailDeliveryFailed, match="MessageRejected"):
        await mailer.send(ticket_mail())
    assert ses_sent_messages(REGION) == []


async def test_a_non_ascii_sender_name_is_encoded_not_the_address(
    aws: AwsClients,
    moto: str,
) -> None:
    await verify_sender(moto, REGION, "tickets@admit.example")
    await SesMailer(aws, "Café Admit <tickets@admit.example>").send(ticket_mail())
    [message] = ses_sent_messages(REGION)
    assert message["From"].addresses[0].display_name == "Café Admit"
    assert message["From"].addresses[0].addr_spec == "tickets@admit.example"
