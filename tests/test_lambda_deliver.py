"""The `deliverer` Lambda function (`web.lambda.deliver`), invoked in-process with
DynamoDB stream records as Lambda's event source mapping sends them for the outbox
table: the web function's confirmation writes the job, the deliverer runs the job its
record names, a failure is kept on the job (not handed back to the stream), and the
sweeper runs the retries.

Synchronous, as in tests/test_lambda.py: each entry point runs its own event loop. The
store is SQLite here (the records are what the stream carries: the job's key); the
stream itself on DynamoDB is checked in tests/test_store_dynamo.py.

Fails before issue 12: the deliverer read SQS messages sent after the commit.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.helpers import outbox_messages
from tests.test_lambda import account, api, aws, data_dir, published_event  # noqa: F401
from web.adapters.mail.outbox import OutboxMailer
from web.adapters.mail.port import Mail, MailDeliveryFailed
from web.settings import Settings

REGION = "eu-west-1"
STREAM = (
    f"arn:aws:dynamodb:{REGION}:123456789012:table/admit-test-outbox/stream/2026-01-01T00:00:00.000"
)


@pytest.fixture
def stream(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """The functions' environment as serverless.yml sets it (deliveries through the
    outbox's stream), but on SQLite, local files and the outbox folder."""
    monkeypatch.setenv("ADMIT_DELIVERY", "stream")
    monkeypatch.setenv("ADMIT_REQUIRE_EMAIL_VERIFICATION", "false")


def stream_event(job_ids: list[str], first_sequence: int = 100) -> dict[str, Any]:
    """The event Lambda's DynamoDB stream source hands the function for new jobs."""
    now = int(time.time())
    return {
        "Records": [
            {
                "eventID": f"e{n}",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": REGION,
                "dynamodb": {
                    "ApproximateCreationDateTime": now,
                    "Keys": {"id": {"S": job_id}},
                    "NewImage": {"id": {"S": job_id}, "state": {"S": "pending"}},
                    "SequenceNumber": str(first_sequence + n),
                    "SizeBytes": 100,
                    "StreamViewType": "NEW_IMAGE",
                },
                "eventSourceARN": STREAM,
            }
            for n, job_id in enumerate(job_ids)
        ]
    }


def ticket_mails(data_dir: Path, email: str) -> list[Any]:  # noqa: F811
    return [
        mail
        for mail in outbox_messages(Settings(data_dir=data_dir), email)
        if any(part.get_filename().endswith(".pdf") for part in mail.iter_attachments())
    ]


def job_state(data_dir: Path, job_id: str) -> tuple[str, int]:  # noqa: F811
    with closing(sqlite3.connect(data_dir / "admit.sqlite3")) as db:
        row = db.execute(
            "SELECT state, attempts FROM delivery_jobs WHERE id = ?", (job_id,)
        ).fetchone()
    return row[0], row[1]


def confirmed_registration(aws: ModuleType, organizer: str, email: str, quantity: int) -> str:  # noqa: F811
    """A free registration made through the web function: confirmed, its job written."""
    attendee = account(aws, email, "attendee")
    event = published_event(aws, organizer, price=0, capacity=10)
    status, registration = api(
        aws,
        "POST",
        "/registrations",
        {"event_id": event["id"], "quantity": quantity},
        attendee,
    )
    assert status == 201, registration
    assert registration["status"] == "confirmed"
    return f"tickets:{registration['id']}"


def test_the_deliverer_runs_the_job_the_stream_names_once(
    aws: ModuleType,  # noqa: F811
    stream: None,
    data_dir: Path,  # noqa: F811
) -> None:
    organizer = account(aws, "org@example.com", "organizer")
    job = confirmed_registration(aws, organizer, "ana@example.com", 2)
    aws.shutdown()  # the deliverer runs in containers of its own
    assert ticket_mails(data_dir, "ana@example.com") == []  # not mailed in the answer
    assert job_state(data_dir, job) == ("pending", 0)

    assert aws.deliver(stream_event([job]), None) == {"batchItemFailures": []}

    (mail,) = ticket_mails(data_dir, "ana@example.com")
    names = [part.get_filename() for part in mail.iter_attachments()]
    assert sum(name.endswith(".pdf") for name in names) == 2
    assert sum(name.endswith(".ics") for name in names) == 1
    assert job_state(data_dir, job) == ("sent", 0)
    # The stream delivers a record at least once: a repeat mails nothing more.
    assert aws.deliver(stream_event([job]), None) == {"batchItemFailures": []}
    assert len(ticket_mails(data_dir, "ana@example.com")) == 1


def test_a_failed_job_stays_in_the_outbox_and_the_sweeper_retries_it(
    aws: ModuleType,  # noqa: F811
    stream: None,
    data_dir: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    organizer = account(aws, "org@example.com", "organizer")
    good = confirmed_registration(aws, organizer, "good@example.com", 1)
    bad = confirmed_registration(aws, organizer, "bad@example.com", 1)
    aws.shutdown()
    send = OutboxMailer.send

    async def refusing(self: OutboxMailer, mail: Mail) -> None:
        if mail.to == "bad@example.com":
            raise MailDeliveryFailed("Throttling: Maximum sending rate exceeded.")
        await send(self, mail)

    monkeypatch.setattr(OutboxMailer, "send", refusing)
    malformed = {"eventID": "x", "eventName": "INSERT", "dynamodb": {"SequenceNumber": "1"}}
    event = stream_event([bad, good])
    event["Records"].insert(1, malformed)

    with caplog.at_level(logging.WARNING, logger="admit"):
        result = aws.deliver(event, None)

    # Kept on the job, not handed back: the stream's shard does not wait behind it.
    assert result == {"batchItemFailures": []}
    assert len(ticket_mails(data_dir, "good@example.com")) == 1
    assert ticket_mails(data_dir, "bad@example.com") == []
    assert job_state(data_dir, bad) == ("pending", 1)
    assert any("names no delivery job" in r.getMessage() for r in caplog.records)

    # The mail service is back and the backoff has passed: the scheduled sweeper runs it.
    monkeypatch.setattr(OutboxMailer, "send", send)
    with closing(sqlite3.connect(data_dir / "admit.sqlite3")) as db, db:
        db.execute("UPDATE delivery_jobs SET next_try_at = created_at WHERE id = ?", (bad,))
    assert aws.sweep({}, None)["ok"] is True
    assert len(ticket_mails(data_dir, "bad@example.com")) == 1
    assert job_state(data_dir, bad) == ("sent", 1)
    assert len(ticket_mails(data_dir, "good@example.com")) == 1


def test_a_mail_that_cannot_be_built_ends_dead_at_once_with_an_error(
    aws: ModuleType,  # noqa: F811
    stream: None,
    data_dir: Path,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Its job is dead after one try, with the ERROR line the alarm's metric filter
    counts (infra/alarms.yml), and the record is not retried."""
    organizer = account(aws, "org@example.com", "organizer")
    # A valid address (internationalised), but not one a mail header can carry. Sign-up
    # refuses it since issue 10, so it is one stored before the rule (written in directly).
    unbuildable = confirmed_registration(aws, organizer, "zoe@example.com", 1)
    with closing(sqlite3.connect(data_dir / "admit.sqlite3")) as db, db:
        db.execute(
            "UPDATE registrations SET buyer_email = ? WHERE id = ?",
            ("zoë@example.com", unbuildable.removeprefix("tickets:")),
        )
    aws.shutdown()

    with caplog.at_level(logging.ERROR, logger="admit"):
        result = aws.deliver(stream_event([unbuildable]), None)

    assert result == {"batchItemFailures": []}
    assert job_state(data_dir, unbuildable) == ("dead", 1)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(f"delivery job {unbuildable} is dead" in m for m in errors)
    assert aws.sweep({}, None)["ok"] is True  # the sweeper leaves the dead alone
    assert job_state(data_dir, unbuildable) == ("dead", 1)
