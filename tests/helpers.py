"""Helpers shared by tests: read mail from the outbox, pull tokens out of pages."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from pathlib import Path

import httpx

from web.services.container import Services
from web.settings import Settings

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
GOOD_PASSWORD = "Sup3rSecret"


def outbox_messages(settings: Settings, to: str) -> list[email.message.EmailMessage]:
    """The mails sent to `to`, oldest first: from the outbox, or from what moto's SES took."""
    if settings.mail == "ses":
        from tests.aws_fixtures import ses_sent_messages

        return [m for m in ses_sent_messages(settings.aws_region) if str(m["To"]) == to]
    folder: Path = settings.outbox_dir
    messages = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if str(message["To"]) == to:
            messages.append(message)
    return messages


def printed_code(pdf: bytes, folder: Path) -> str:
    """The text of the QR code printed on a ticket PDF, as a door phone would read it:
    rasterised at 150 dpi by pdftoppm, decoded by zxing-cpp."""
    import subprocess

    import zxingcpp
    from PIL import Image

    (folder / "ticket.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", str(folder / "ticket.pdf"), str(folder / "page")],
        check=True,
    )
    [png] = sorted(folder.glob("page*.png"))
    [decoded] = zxingcpp.read_barcodes(Image.open(png))
    return str(decoded.text)


def latest_code(settings: Settings, to: str) -> str:
    if settings.identity == "cognito":
        return _cognito_code(settings, to)
    messages = outbox_messages(settings, to)
    assert messages, f"no mail to {to} in the outbox"
    text = messages[-1].get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"^\s+(\d{6})\s*$", text, re.MULTILINE)
    assert match, text
    return match.group(1)


def _cognito_code(settings: Settings, to: str) -> str:
    """Cognito mails its own codes; on moto, tests/faithful_cognito.py keeps them."""
    from tests.cognito_pool import Pool, mailed_code

    return mailed_code(Pool(settings.aws_endpoint_url, settings.cognito_user_pool_id, ""), to)


async def csrf_token(client: httpx.AsyncClient, path: str = "/login") -> str:
    response = await client.get(path)
    match = CSRF_RE.search(response.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, str], token_page: str | None = None
) -> httpx.Response:
    token = await csrf_token(client, token_page or path)
    return await client.post(path, data={**data, "csrf_token": token})


async def sign_up_verified(
    client: httpx.AsyncClient,
    settings: Settings,
    email_address: str,
    role: str = "attendee",
    name: str = "Test Person",
    password: str = GOOD_PASSWORD,
) -> None:
    """Sign up through the pages, confirm with the mailed code; leaves the client logged in."""
    response = await post_form(
        client,
        "/signup",
        {"email": email_address, "password": password, "name": name, "role": role},
    )
    assert response.status_code == 303, response.text
    code = latest_code(settings, email_address)
    response = await post_form(
        client, "/verify", {"email": email_address, "code": code}, token_page="/verify"
    )
    assert response.status_code == 303, response.text


def move_limit_clock(services: Services, seconds: float) -> None:
    """Let the account limits (web/services/limits.py) see a later time: the waits
    between codes and the windows of the counts pass without the test waiting."""
    limiter = services.accounts.limiter
    earlier = limiter.clock
    limiter.clock = lambda: earlier() + timedelta(seconds=seconds)
