"""Deliveries through SQS: one `SendMessage` per confirmed registration; the `deliverer`
Lambda function (`web/lambda.py`, `deliver`) renders and mails the tickets.

The message body is `{"registration_id": "..."}` and nothing else: the deliverer reads
the registration from the Store, so a message never carries personal data. When SQS
itself fails (refused, throttled after the client's retries, unreachable), the tickets
are delivered here and now instead, with a warning in the log: a ticket mail is never
lost because the queue hiccuped; the buyer only waits longer for this one answer.
"""

from __future__ import annotations

import json
import logging

from web.adapters.aws_clients import AwsClients, error_code
from web.adapters.deliveries.port import Deliver, Deliveries

log = logging.getLogger("admit.deliveries")


class SqsDeliveries(Deliveries):
    def __init__(
        self, aws: AwsClients, queue_url: str, deliver: Deliver, dead_letter_url: str = ""
    ) -> None:
        self.aws = aws
        self.queue_url = queue_url
        self.deliver = deliver  # the fallback when the queue fails
        self.dead_letter_url = dead_letter_url

    async def set_aside(self, registration_id: str, reason: str) -> bool:
        """Send the delivery straight to the dead-letter queue (its alarm mails a person),
        with the reason as a message attribute; False when that fails or no dead-letter
        queue is configured (then SQS retries it and moves it after five receives)."""
        from botocore.exceptions import BotoCoreError, ClientError  # late: Lambda cold start

        if not self.dead_letter_url:
            return False
        try:
            sqs = await self.aws.client("sqs")
            await sqs.send_message(
                QueueUrl=self.dead_letter_url,
                MessageBody=json.dumps({"registration_id": registration_id}),
                MessageAttributes={
                    "reason": {"DataType": "String", "StringValue": reason[:1000] or "unknown"}
                },
            )
        except (ClientError, BotoCoreError) as exc:
            log.error(
                "could not move registration %s to the dead-letter queue (%s)",
                registration_id,
                error_code(exc) or exc,
            )
            return False
        return True

    async def request(self, registration_id: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError  # late: Lambda cold start

        body = json.dumps({"registration_id": registration_id})
        try:
            sqs = await self.aws.client("sqs")
            await sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)
        except (ClientError, BotoCoreError) as exc:
            reason = error_code(exc) or type(exc).__name__
            log.warning(
                "delivery queue refused registration %s (%s: %s); delivering it inline",
                registration_id,
                reason,
                exc,
            )
            await self.deliver(registration_id)
