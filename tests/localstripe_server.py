"""localstripe (a Stripe API emulator, an aiohttp app) run in-process for the tests.

Not its command line: that binds every interface on a fixed port and keeps its objects in
/tmp/localstripe.pickle. Here its app runs on 127.0.0.1 and a free port, in a thread with
its own event loop, and its store never touches the disk (it lives in memory only, for
the test session). `localstripe_url` is the session's one, for any test module.

The helpers below act as the payer and as Stripe's dashboard would: they talk to
localstripe's HTTP API directly, never through the app.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import importlib
import json
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

SECRET_KEY = "sk_test_admit_localstripe"
PUBLISHABLE_KEY = "pk_test_admit_localstripe"
WEBHOOK_SECRET = "whsec_admit_localstripe_tests"

GOOD_CARD = "4242424242424242"
# Stripe test card that attaches but whose charges are declined (localstripe knows it).
DECLINED_CARD = "4000000000000341"


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """One localstripe for the session (a plugin of tests/conftest.py): its store is a
    module global, so a second one in the same process would share and clear it."""
    with running_localstripe() as url:
        yield url


@contextmanager
def running_localstripe() -> Iterator[str]:
    """Serve localstripe on 127.0.0.1:<free port>; yields its base URL."""
    from aiohttp import web

    with warnings.catch_warnings():
        # localstripe registers plain functions as aiohttp handlers, which aiohttp
        # deprecates (and this suite turns warnings into errors).
        warnings.simplefilter("ignore", DeprecationWarning)
        from localstripe import server
        from localstripe.resources import store

        # Its aiohttp app is made at import and binds to the first loop that runs it: a
        # second start in this process needs a fresh one.
        server = importlib.reload(server)

    # Keep its objects in memory: the shadowing attribute turns every dump into nothing.
    store.dump_to_disk = lambda: None  # type: ignore[method-assign]
    store.clear()

    loop = asyncio.new_event_loop()
    runner = web.AppRunner(server.app, access_log=None)
    started = threading.Event()
    failure: list[BaseException] = []
    address: list[str] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            host, port = runner.addresses[0][:2]
            address.append(f"http://{host}:{port}")
        except BaseException as exc:
            failure.append(exc)
            started.set()
            return
        started.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            # localstripe schedules webhook sends (tasks sleeping a second) on its own.
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=serve, name="localstripe", daemon=True)
    thread.start()
    started.wait(timeout=10)
    if failure:
        raise RuntimeError("localstripe did not start") from failure[0]
    if not address:
        raise RuntimeError("localstripe did not start within 10 seconds")
    try:
        yield address[0]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        store.clear()


# -- talking to localstripe as the payer and the dashboard do ---------------------------


def _client(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {SECRET_KEY}"}, timeout=10
    )


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.is_success, f"{response.request.url}: {response.status_code} {response.text}"
    return response.json()


async def payment_intent(base_url: str, intent_id: str) -> dict[str, Any]:
    async with _client(base_url) as client:
        return _ok(await client.get(f"/v1/payment_intents/{intent_id}"))


async def pay(base_url: str, intent_id: str, card: str = GOOD_CARD) -> httpx.Response:
    """What Stripe.js does for the payer: a card, attached to the PaymentIntent, confirmed.
    Returns localstripe's answer to the confirmation (402 for a declined card)."""
    async with _client(base_url) as client:
        method = _ok(
            await client.post(
                "/v1/payment_methods",
                data={
                    "type": "card",
                    "card[number]": card,
                    "card[exp_month]": "12",
                    "card[exp_year]": "2034",
                    "card[cvc]": "123",
                },
            )
        )
        # localstripe answers 500 to a confirmation that names the payment method, so the
        # method is attached first (an update), then the intent is confirmed.
        _ok(
            await client.post(
                f"/v1/payment_intents/{intent_id}", data={"payment_method": method["id"]}
            )
        )
        return await client.post(f"/v1/payment_intents/{intent_id}/confirm")


async def refunds_for(base_url: str, intent_id: str) -> list[dict[str, Any]]:
    async with _client(base_url) as client:
        page = _ok(await client.get("/v1/refunds", params={"payment_intent": intent_id}))
    return page["data"]


@contextmanager
def webhook_endpoint(base_url: str, url: str, secret: str = WEBHOOK_SECRET) -> Iterator[None]:
    """localstripe delivers its own events to `url`, signed with `secret` (about a second
    after each one), until the block ends."""
    from localstripe import webhooks

    answer = httpx.post(
        f"{base_url}/_config/webhooks/admit-tests", json={"url": url, "secret": secret}
    )
    assert answer.status_code == 200, answer.text
    try:
        yield
    finally:
        webhooks._webhooks.pop("admit-tests", None)


# -- webhooks as Stripe signs them --------------------------------------------------------


def signature_header(payload: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """`Stripe-Signature`: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<payload>">."""
    timestamp = int(time.time()) if at is None else at
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_payload(event_id: str, kind: str, obj: dict[str, Any]) -> bytes:
    """An event as Stripe delivers it (a snapshot of the object it is about)."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2025-01-01",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "type": kind,
            "data": {"object": obj},
        }
    ).encode()
