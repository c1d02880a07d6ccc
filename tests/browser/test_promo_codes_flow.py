"""A promo code on a phone: an attendee types a code on the event page, applies it (an
htmx fragment shows the price, the discount and the total), and the checkout shows the
discounted total. Failed before promo codes: there was no code field."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserProblems, LiveServer
from tests.browser.test_events_flow import Api, answers, log_in

pytestmark = pytest.mark.settings(require_email_verification=False)
CHECKOUT_URL = re.compile(r"/checkout/([0-9a-f]{32})$")


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[Api]:
    api = Api(live_server)
    yield api
    api.close()


def test_an_attendee_applies_a_code_and_pays_the_discounted_total(
    page: Page, live_server: LiveServer, api: Api, problems: BrowserProblems
) -> None:
    organizer = api.sign_up("Olga Organizer", "olga@example.com", "organizer")
    event_id = api.event(organizer, title="Fado Evening", price=2000, capacity=30)
    response = api.http.post(
        f"/events/{event_id}/promo-codes",
        json={"code": "Fado25", "percent_off": 25, "max_uses": 10},
        headers=organizer.headers,
    )
    assert response.status_code == 201, response.text
    ana = api.sign_up("Ana Attendee", "ana@example.com")
    log_in(page, live_server, ana, "/")
    page.goto(live_server.at(f"/events/{event_id}"))

    page.get_by_label("Tickets", exact=True).select_option("2")
    code = page.get_by_label("Promo code")
    code.fill("nosuch")
    with page.expect_response(answers("GET", f"/events/{event_id}/promo")):
        page.get_by_role("button", name="Apply").click()
    expect(page.locator("#f-promo_code-error")).to_be_visible()
    expect(page.get_by_label("Promo code")).to_have_value("nosuch")  # kept as typed

    page.get_by_label("Promo code").fill("fado25")
    with page.expect_response(answers("GET", f"/events/{event_id}/promo")):
        page.get_by_role("button", name="Apply").click()
    quote = page.locator(".promo-quote")
    expect(quote).to_contain_text("Fado25")
    expect(quote).to_contain_text("€40.00")
    expect(quote).to_contain_text("€10.00")
    expect(quote).to_contain_text("Total €30.00")
    page.get_by_role("button", name="Continue to payment").click()

    expect(page).to_have_url(CHECKOUT_URL)
    order = page.locator(".order")
    expect(order.locator(".order-original")).to_contain_text("€40.00")
    expect(order.locator(".order-discount")).to_contain_text("€10.00")
    expect(order.locator(".order-total")).to_contain_text("€30.00")
    expect(page.get_by_role("button", name="Pay €30.00")).to_be_visible()
    assert problems.unexpected() == []
