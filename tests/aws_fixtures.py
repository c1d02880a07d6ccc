"""Arranging S3 and SES on the moto server (tests/moto_server.py), and reading what SES
"sent" straight from moto's in-process backend."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from typing import cast

from models.aws_session import shared_session

CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def _client(service: str, endpoint_url: str, region: str):
    return shared_session().create_client(
        service, endpoint_url=endpoint_url, region_name=region, **CREDENTIALS
    )


async def make_bucket(endpoint_url: str, region: str, name: str) -> None:
    async with _client("s3", endpoint_url, region) as s3:
        await s3.create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": region}
        )


async def verify_sender(endpoint_url: str, region: str, address: str) -> None:
    """moto refuses to send from an address (or its domain) that is not verified."""
    async with _client("ses", endpoint_url, region) as ses:
        await ses.verify_email_identity(EmailAddress=address)


def ses_sent_messages(region: str) -> list[EmailMessage]:
    """Every raw message SES accepted in `region`, oldest first, parsed."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import RawMessage, ses_backends

    sent = ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages
    return [
        cast(EmailMessage, email.message_from_string(m.raw_data, policy=email.policy.default))
        for m in sent
        if isinstance(m, RawMessage)
    ]
