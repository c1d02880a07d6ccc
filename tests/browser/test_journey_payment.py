"""Back from paying with Stripe, the confirmation page shows the tickets as soon as the
webhook lands, without a reload (issue 14).

Stripe is localstripe (tests/localstripe_server.py). Stripe.js itself comes from
js.stripe.com, which the tests cannot reach, so the test does what it does: the payer
pays the PaymentIntent at Stripe and Stripe sends the browser to the return URL with
`redirect_status=succeeded`; the signed webhook is delivered later, while the page waits.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserProblems, LiveServer
from tests.browser.test_events_flow import Api, answers, log_in
from tests.conftest import fresh_settings
from tests.localstripe_server import (
    PUBLISHABLE_KEY,
    SECRET_KEY,
    WEBHOOK_SECRET,
    event_payload,
    pay,
    payment_intent,
    signature_header,
)
from web.settings import Settings

TICKETS_WAIT = 20_000  # ms: the page asks again after 1, 2, 4... seconds


@pytest.fixture
def settings(tmp_path: Path, template_db: Path, localstripe_url: str) -> Settings:
    """The live server with Stripe (localstripe) as its payment provider."""
    return fresh_settings(
        tmp_path / "data",
        template_db,
        payments="stripe",
        stripe_secret_key=SECRET_KEY,
        stripe_publishable_key=PUBLISHABLE_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=localstripe_url,
        require_email_verification=False,
    )


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[Api]:
    api = Api(live_server)
    yield api
    api.close()


def run(coroutine: Any) -> Any:
    """Runs a coroutine on a loop of its own (Playwright's runs in this thread)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def test_tickets_appear_when_the_webhook_lands(
    page: Page,
    live_server: LiveServer,
    api: Api,
    localstripe_url: str,
    problems: BrowserProblems,
) -> None:
    """Fails before issue 14: the page said "Awaiting payment" until reloaded by hand."""
    organizer = api.sign_up("Olga", "olga@example.com", "organizer")
    event_id = api.event(organizer, title="Opera Gala", price=2500, capacity=10)
    attendee = api.sign_up("Ana", "ana@example.com")
    response = api.http.post(
        "/registrations", json={"event_id": event_id, "quantity": 2}, headers=attendee.headers
    )
    assert response.status_code == 201, response.text
    registration = response.json()
    secret = registration["payment"]["client_secret"]
    intent_id = secret.split("_secret_")[0]

    log_in(page, live_server, attendee, "/")
    # Paid at Stripe; Stripe sends the browser back (its return URL, and what it adds).
    assert run(pay(localstripe_url, intent_id)).status_code == 200
    path = f"/my/registrations/{registration['id']}"
    back = f"{path}?payment_intent={intent_id}&payment_intent_client_secret={secret}"
    page.goto(live_server.at(back + "&redirect_status=succeeded"))
    news = page.locator("#payment-news")
    expect(news).to_contain_text("Waiting for your payment to be confirmed")
    expect(page.get_by_role("link", name="Continue to payment")).to_have_count(0)
    page.evaluate("window.sameDocument = true")  # gone if the page were loaded again

    # The page asks, and nothing has changed yet.
    with page.expect_response(answers("GET", path, waiting="1")) as asked:
        pass
    assert asked.value.status == 200
    assert asked.value.request.headers.get("hx-request") == "true"
    expect(page.locator(".registration-tickets")).to_have_count(0)

    # Now Stripe's webhook lands.
    intent = run(payment_intent(localstripe_url, intent_id))
    payload = event_payload("evt_paid", "payment_intent.succeeded", intent)
    delivered = httpx.post(
        live_server.at("/webhooks/stripe"),
        content=payload,
        headers={"Stripe-Signature": signature_header(payload), "Content-Type": "application/json"},
        timeout=10,
    )
    assert delivered.json()["result"] == "confirmed", delivered.text

    tickets = page.locator(".registration-tickets")
    expect(tickets).to_be_visible(timeout=TICKETS_WAIT)
    expect(news).to_have_text("Payment received: your tickets are ready.")
    expect(page.get_by_text("You're going!")).to_be_visible()
    expect(page.locator("#registration")).not_to_have_attribute("hx-trigger", re.compile("."))
    assert page.evaluate("window.sameDocument") is True
    assert page.url == live_server.at(back + "&redirect_status=succeeded")

    # Each ticket, its QR (the ticket's genuine code), its PDF, and the calendar.
    qrs = tickets.locator(".qr svg")
    expect(qrs).to_have_count(2)
    for n, ticket_id in enumerate(api_ticket_ids(api, attendee, registration["id"])):
        code = api.http.get(f"/tickets/{ticket_id}", headers=attendee.headers).json()["code"]
        png = qrs.nth(n).screenshot()
        [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
        assert decoded.text == code
        expect(tickets.locator(f'a[href="/tickets/{ticket_id}/pdf"]')).to_have_text(
            re.compile("^Download PDF")
        )
    calendar = tickets.get_by_role("link", name="Add to calendar")
    ics = page.request.get(live_server.at(calendar.get_attribute("href") or ""))
    assert ics.status == 200
    assert ics.text().startswith("BEGIN:VCALENDAR")
    assert "SUMMARY:Opera Gala" in ics.text()
    assert problems.unexpected() == []


def api_ticket_ids(api: Api, attendee: Any, registration_id: str) -> list[str]:
    response = api.http.get(f"/registrations/{registration_id}", headers=attendee.headers)
    assert response.status_code == 200, response.text
    tickets: list[str] = response.json()["tickets"]
    return tickets
