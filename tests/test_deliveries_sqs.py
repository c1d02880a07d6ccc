"""Ticket deliveries through SQS (`ADMIT_DELIVERY=sqs`), on a queue in moto's server: the
routes queue a confirmed registration instead of mailing it in the answer, and a queue that
cannot take the message makes the adapter deliver inline instead of losing the mail.

The app is the standard one (`client`), with only the delivery settings changed, so these
tests run on the local adapters and, with `--adapters=aws`, on the AWS ones.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from tests.api_helpers import create_event, registered, sign_up
from tests.cognito_pool import REGION
from tests.helpers import outbox_messages
from tests.moto_server import refused_port
from web.adapters.aws_clients import AwsClients
from web.adapters.deliveries.sqs import SqsDeliveries
from web.services.container import Services
from web.settings import Settings, SettingsError

pytestmark = pytest.mark.settings(require_email_verification=False)

QUEUE = "admit-test-deliveries"


@pytest.fixture
def sqs(moto: str, aws_credentials: None) -> Any:
    """A boto3 SQS client on moto, for arranging and reading the queue."""
    return boto3.client(
        "sqs",
        endpoint_url=moto,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@pytest.fixture
def queue_url(sqs: Any) -> str:
    return sqs.create_queue(QueueName=QUEUE)["QueueUrl"]


@pytest.fixture
def settings(settings: Settings, moto: str, queue_url: str) -> Settings:
    """conftest's settings (local or AWS adapters), delivering through the queue."""
    return settings.with_changes(
        delivery="sqs", delivery_queue_url=queue_url, aws_endpoint_url=moto, aws_region=REGION
    )


def queued(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every message on the queue now (received, so hidden from a second look)."""
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
    ).get("Messages"):
        messages += batch
    return messages


def ticket_mails(settings: Settings, email: str) -> list[Any]:
    return [
        mail
        for mail in outbox_messages(settings, email)
        if any(part.get_filename().endswith(".pdf") for part in mail.iter_attachments())
    ]


async def _free_registration(client: httpx.AsyncClient) -> tuple[dict[str, Any], str]:
    organizer = await sign_up(client, "org@example.com", "organizer")
    buyer = await sign_up(client, "buyer@example.com")
    event = await create_event(client, organizer, capacity=5, price=0)
    registration = await registered(client, buyer, event["id"], 2, attendee_names=["Ana"])
    return registration, buyer.email


async def test_a_confirmed_registration_is_queued_not_mailed(
    client: httpx.AsyncClient, settings: Settings, sqs: Any, queue_url: str
) -> None:
    registration, email = await _free_registration(client)

    assert registration["status"] == "confirmed"
    (message,) = queued(sqs, queue_url)
    assert json.loads(message["Body"]) == {"registration_id": registration["id"]}
    assert ticket_mails(settings, email) == []  # the deliverer mails it, not the answer


async def test_request_sends_one_message_naming_the_registration(
    services: Services, sqs: Any, queue_url: str
) -> None:
    assert isinstance(services.deliveries, SqsDeliveries)

    await services.deliveries.request("0b9f3c1e-registration")

    (message,) = queued(sqs, queue_url)
    assert json.loads(message["Body"]) == {"registration_id": "0b9f3c1e-registration"}


@pytest.mark.parametrize("fault", ["missing queue", "unreachable"])
async def test_a_queue_that_fails_means_delivering_inline(
    fault: str,
    client: httpx.AsyncClient,
    services: Services,
    settings: Settings,
    sqs: Any,
    queue_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    registration, email = await _free_registration(client)
    assert len(queued(sqs, queue_url)) == 1
    with refused_port() as port:
        if fault == "missing queue":
            aws = services.aws
            target = queue_url.rsplit("/", 1)[0] + "/no-such-queue"
        else:
            aws = AwsClients(REGION, f"http://127.0.0.1:{port}")  # refuses every connection
            target = queue_url
        deliveries = SqsDeliveries(aws, target, services.deliverer.deliver)
        try:
            with caplog.at_level(logging.WARNING, logger="admit.deliveries"):
                await deliveries.request(registration["id"])
        finally:
            if aws is not services.aws:
                await aws.close()

    (mail,) = ticket_mails(settings, email)
    pdfs = [p for p in mail.iter_attachments() if p.get_filename().endswith(".pdf")]
    assert len(pdfs) == 2
    [warning] = [r for r in caplog.records if registration["id"] in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert "delivering it inline" in warning.getMessage()


def test_the_delivery_settings() -> None:
    assert Settings.from_env({}, env_file=None).delivery == "inline"
    chosen = Settings.from_env(
        {"ADMIT_DELIVERY": "SQS", "ADMIT_DELIVERY_QUEUE_URL": " https://sqs.example/q "},
        env_file=None,
    )
    assert (chosen.delivery, chosen.delivery_queue_url) == ("sqs", "https://sqs.example/q")
    with pytest.raises(SettingsError, match="ADMIT_DELIVERY must be one of inline, sqs"):
        Settings.from_env({"ADMIT_DELIVERY": "kafka"}, env_file=None)


def test_sqs_deliveries_need_a_queue(tmp_path: Path) -> None:
    from web.wiring import build_deliveries

    settings = Settings(data_dir=tmp_path, delivery="sqs")
    with pytest.raises(SettingsError, match="ADMIT_DELIVERY=sqs needs ADMIT_DELIVERY_QUEUE_URL"):
        build_deliveries(settings, AwsClients(REGION), None)  # type: ignore[arg-type]
