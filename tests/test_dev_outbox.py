"""`/dev/outbox` shows reset codes: only in local mode, only to this machine's browser."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from tests.helpers import sign_up_verified
from web.client_address import is_loopback
from web.settings import Settings

LOCAL_URL = "http://127.0.0.1:8000"


def _client(app: Starlette, address: str, base_url: str = LOCAL_URL) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app.state.asgi, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url=base_url)


@pytest.fixture
async def local_client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(app, "127.0.0.1") as client:
        yield client


@pytest.mark.local_adapters  # the outbox is the local mailer
async def test_dev_outbox_lists_mail_to_this_machine(
    local_client: httpx.AsyncClient, settings: Settings
) -> None:
    assert "No mail yet" in (await local_client.get("/dev/outbox")).text
    await sign_up_verified(local_client, settings, "mail@example.com")
    page = (await local_client.get("/dev/outbox")).text
    assert "Your Admit code" in page
    assert "mail@example.com" in page


@pytest.mark.local_adapters
@pytest.mark.parametrize("address", ["203.0.113.7", "10.0.0.5", "192.168.1.20", "2001:db8::1"])
async def test_dev_outbox_is_404_to_other_machines(app: Starlette, address: str) -> None:
    """Issue 10: /dev/outbox (reset codes) answered any client without a log-in."""
    async with _client(app, address) as client:
        answer = await client.get("/dev/outbox")
    assert answer.status_code == 404
    assert "Your Admit code" not in answer.text


@pytest.mark.local_adapters
@pytest.mark.parametrize(
    ("base_url", "headers"),
    [
        # A page of evil.example whose name was rebound to 127.0.0.1 (DNS rebinding).
        ("http://evil.example:8000", {}),
        # A tunnel or proxy on this machine passes on a stranger's request.
        (LOCAL_URL, {"X-Forwarded-For": "198.51.100.4"}),
        (LOCAL_URL, {"Forwarded": "for=198.51.100.4"}),
        (LOCAL_URL, {"X-Real-IP": "198.51.100.4"}),
    ],
)
async def test_dev_outbox_is_404_to_strangers_that_reach_loopback(
    app: Starlette, base_url: str, headers: dict[str, str]
) -> None:
    """Issue 10: a loopback connection alone does not prove the reader is on this machine."""
    async with _client(app, "127.0.0.1", base_url) as client:
        assert (await client.get("/dev/outbox", headers=headers)).status_code == 404


@pytest.mark.local_adapters
@pytest.mark.settings(
    env="production",
    payments="stripe",
    stripe_secret_key="sk_test_x",
    stripe_publishable_key="pk_test_x",
    stripe_webhook_secret="whsec_x",
)
async def test_dev_outbox_is_404_in_production(local_client: httpx.AsyncClient) -> None:
    """Issue 10: the outbox must not be served outside local mode, even to loopback."""
    assert (await local_client.get("/dev/outbox")).status_code == 404


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("203.0.113.7", False),
        ("::ffff:203.0.113.7", False),
        ("localhost.evil.example", False),
        ("testclient", False),
        ("unknown", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected
