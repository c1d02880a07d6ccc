"""SES mail: each message goes out whole through SES v1 `SendRawEmail`.

The raw call (not `SendEmail`) carries the attachments: ticket PDFs and the .ics file.
The MIME message is the outbox's own (`web.adapters.mail.mime`), so what a developer
reads in the outbox is what SES sends. botocore is imported only when a mail is sent.
"""

from __future__ import annotations

import asyncio

from web.adapters.aws_clients import AwsClients, error_code
from web.adapters.mail.mime import address_header, message_bytes
from web.adapters.mail.port import Mail, MailDeliveryFailed, Mailer, MailNotBuilt


class SesMailer(Mailer):
    def __init__(self, aws: AwsClients, sender: str) -> None:
        self.aws = aws
        self.sender = address_header(sender)

    async def send(self, mail: Mail) -> None:
        from botocore.exceptions import BotoCoreError, ClientError  # late: Lambda cold start

        # Building and serialising a MIME message costs CPU (base64 of the PDFs): done in
        # a worker thread, not on the event loop.
        _, raw = await asyncio.to_thread(message_bytes, mail, self.sender)
        try:
            destination = address_header(mail.to)
        except ValueError as exc:
            raise MailNotBuilt(f"the address {mail.to!r} cannot be encoded: {exc}") from exc
        try:
            ses = await self.aws.client("ses")
            await ses.send_raw_email(
                Source=self.sender,
                Destinations=[destination],
                RawMessage={"Data": raw},
            )
        except ClientError as exc:
            # MessageRejected, MailFromDomainNotVerified, Throttling (after the client's
            # retries), AccountSendingPausedException...
            raise MailDeliveryFailed(
                f"SES refused the mail to {mail.to} ({error_code(exc)}): {exc}"
            ) from exc
        except BotoCoreError as exc:
            raise MailDeliveryFailed(f"Could not reach SES to mail {mail.to}: {exc}") from exc
