"""S3Files on moto in server mode: objects, their encryption, and pre-signed links that
a plain HTTP client can fetch; then the app itself keeping PDFs in S3 and mailing
through SES.

moto does not check the signature of a pre-signed URL (an altered X-Amz-Signature still
gets the object) nor its expiry, so these tests check what the URL asks for, not that
S3 enforces it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.api_helpers import API, create_event, registered, sign_up
from tests.aws_fixtures import make_bucket, ses_sent_messages, verify_sender
from web.adapters.aws_clients import AwsClients
from web.adapters.files.port import FileStoreFailed
from web.adapters.files.s3 import S3Files, content_disposition
from web.settings import Settings, SettingsError

REGION = "eu-west-1"
BUCKET = "admit-test-tickets"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"
KEY = "tickets/event-1/ticket-1.pdf"


@pytest.fixture
async def aws(moto: str, aws_credentials: None) -> AsyncIterator[AwsClients]:
    clients = AwsClients(REGION, moto)
    yield clients
    await clients.close()


@pytest.fixture
async def files(aws: AwsClients, moto: str) -> S3Files:
    await make_bucket(moto, REGION, BUCKET)
    return S3Files(aws, BUCKET)


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


async def test_put_get_exists_round_trip(files: S3Files) -> None:
    assert not await files.exists(KEY)
    assert await files.get(KEY) is None
    await files.put(KEY, PDF, "application/pdf")
    assert await files.exists(KEY)
    assert await files.get(KEY) == PDF


async def test_objects_are_encrypted_private_and_typed(files: S3Files, aws: AwsClients) -> None:
    await files.put(KEY, PDF, "application/pdf")
    head = await (await aws.client("s3")).head_object(Bucket=BUCKET, Key=KEY)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "application/pdf"
    assert head["CacheControl"] == "private, no-store"


async def test_a_presigned_link_downloads_the_exact_bytes(files: S3Files) -> None:
    await files.put(KEY, PDF, "application/pdf")
    link = await files.download_link(KEY, "ticket-1.pdf", 300)
    assert link.url.startswith(f"{files.aws.endpoint_url}/")
    response = httpx.get(link.url)  # no credentials: the URL is the permission
    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="ticket-1.pdf"'


@pytest.mark.parametrize(("asked", "signed"), [(3600, 900), (900, 900), (60, 60)])
async def test_a_link_lives_at_most_15_minutes(files: S3Files, asked: int, signed: int) -> None:
    link = await files.download_link(KEY, "ticket-1.pdf", asked)
    params = query(link.url)
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert int(params["X-Amz-Expires"]) == signed
    assert params["X-Amz-Credential"].endswith(f"/{REGION}/s3/aws4_request")
    signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs((link.expires_at - signed_at).total_seconds() - signed) <= 1


def test_content_disposition_has_an_ascii_fallback() -> None:
    assert content_disposition("ticket-1.pdf") == 'attachment; filename="ticket-1.pdf"'
    assert content_disposition('Zoë "VIP".pdf') == (
        "attachment; filename=\"Zoe _VIP_.pdf\"; filename*=UTF-8''Zo%C3%AB%20%22VIP%22.pdf"
    )
    assert content_disposition("票.pdf") == (
        "attachment; filename=\".pdf\"; filename*=UTF-8''%E7%A5%A8.pdf"
    )


async def test_a_non_ascii_filename_reaches_the_browser(files: S3Files) -> None:
    await files.put(KEY, PDF, "application/pdf")
    link = await files.download_link(KEY, "Zoë's ticket.pdf", 300)
    response = httpx.get(link.url)
    assert response.headers["content-disposition"] == content_disposition("Zoë's ticket.pdf")
    assert "filename*=UTF-8''Zo%C3%AB%27s%20ticket.pdf" in response.headers["content-disposition"]


async def test_a_missing_bucket_is_a_store_failure(aws: AwsClients) -> None:
    files = S3Files(aws, "admit-no-such-bucket")
    with pytest.raises(FileStoreFailed, match="NoSuchBucket"):
        await files.put(KEY, PDF, "application/pdf")
    with pytest.raises(FileStoreFailed, match="NoSuchBucket"):
        await files.get(KEY)


def test_s3_files_need_a_bucket(tmp_path: Path) -> None:
    from web.keys import load_or_create_keys
    from web.wiring import build_files

    settings = Settings(data_dir=tmp_path, files="s3")
    with pytest.raises(SettingsError, match="ADMIT_S3_BUCKET"):
        build_files(settings, load_or_create_keys(settings), AwsClients(REGION))


# -- the app on S3 and SES ---------------------------------------------------------------


@pytest.fixture
async def settings(  # replaces the settings of tests/conftest.py
    tmp_path: Path,
    template_db: Path,
    moto: str,
    aws_credentials: None,
) -> Settings:
    from tests.conftest import fresh_settings

    await make_bucket(moto, REGION, BUCKET)
    await verify_sender(moto, REGION, "tickets@admit.example")
    return fresh_settings(
        tmp_path / "data",
        template_db,
        files="s3",
        s3_bucket=BUCKET,
        mail="ses",
        mail_from="Admit <tickets@admit.example>",
        aws_region=REGION,
        aws_endpoint_url=moto,
        require_email_verification=False,
        sweep_interval=0,
    )


async def test_the_app_keeps_pdfs_in_s3_and_mails_them_through_ses(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    organizer = await sign_up(client, "org@example.com", role="organizer")
    buyer = await sign_up(client, "buyer@example.com")
    event = await create_event(client, organizer, capacity=5)
    registration = await registered(client, buyer, event["id"], 2, attendee_names=["Ana"])
    assert registration["status"] == "confirmed"

    [mail] = [m for m in ses_sent_messages(REGION) if m["To"] == "buyer@example.com"]
    pdfs = [a for a in mail.iter_attachments() if a.get_content_type() == "application/pdf"]
    assert len(pdfs) == 2

    ticket_id = registration["tickets"][0]
    ticket = await client.get(f"{API}/tickets/{ticket_id}", headers=buyer.headers)
    url = ticket.json()["download_url"]
    assert url.startswith(f"{settings.aws_endpoint_url}/{BUCKET}/tickets/")
    pdf = httpx.get(url)
    assert pdf.status_code == 200
    mailed = next(a for a in pdfs if a.get_filename() == f"ticket-{ticket_id}.pdf")
    assert pdf.content == mailed.get_payload(decode=True)

    page = await client.get(f"/tickets/{ticket_id}/pdf", headers=buyer.headers)
    assert page.status_code == 303
    assert page.headers["location"].startswith(f"{settings.aws_endpoint_url}/{BUCKET}/")
    local_link = await client.get(f"/files/tickets/{event['id']}/{ticket_id}.pdf")
    assert local_link.status_code == 404  # LocalFiles' route has nothing to serve


class DeniedS3:
    """S3 refusing the role (a missing grant, a bucket policy)."""

    def __init__(self, code: str) -> None:
        self.code = code

    async def client(self, service: str) -> DeniedS3:
        return self

    async def _denied(self, **params: object) -> None:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": self.code, "Message": "Denied"}}, "Operation")

    head_object = get_object = put_object = _denied


@pytest.mark.parametrize("code", ["403", "AccessDenied"])
async def test_a_refusal_is_a_failure_not_a_missing_file(code: str) -> None:
    # The role may list the bucket, so S3 says 404 for a missing PDF; a 403 is a refusal
    # that re-rendering would not mend.
    files = S3Files(DeniedS3(code), BUCKET)  # type: ignore[arg-type]
    with pytest.raises(FileStoreFailed, match=code):
        await files.exists(KEY)
    with pytest.raises(FileStoreFailed, match=code):
        await files.get(KEY)
    with pytest.raises(FileStoreFailed, match=code):
        await files.put(KEY, PDF, "application/pdf")
