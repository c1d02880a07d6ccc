"""Ticket types on a phone: an attendee buys 2 x Standard + 1 x Student, watching the total
follow the quantities (an htmx fragment), pays with the simulator, and the tickets carry
their type's name."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserProblems, LiveServer
from tests.browser.test_events_flow import Api, answers, log_in
from tests.browser.test_payments_flow import pay

pytestmark = pytest.mark.settings(require_email_verification=False)
CHECKOUT_URL = re.compile(r"/checkout/([0-9a-f]{32})$")


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[Api]:
    api = Api(live_server)
    yield api
    api.close()


def test_an_attendee_buys_two_types_in_one_registration(
    page: Page, live_server: LiveServer, api: Api, problems: BrowserProblems
) -> None:
    organizer = api.sign_up("Olga Organizer", "olga@example.com", "organizer")
    event_id = api.event(organizer, title="Fado Evening", price=2000, capacity=30)
    response = api.http.post(
        f"/events/{event_id}/ticket-types",
        json={"name": "Student", "price": 1000, "capacity": 5},
        headers=organizer.headers,
    )
    assert response.status_code == 201, response.text
    ana = api.sign_up("Ana Attendee", "ana@example.com")
    log_in(page, live_server, ana, "/")
    page.goto(live_server.at(f"/events/{event_id}"))

    general = page.get_by_label("General admission · €20.00")
    student = page.get_by_label("Student · €10.00")
    total = page.locator("#order-total")
    expect(total).to_have_text(re.compile(r"Total: (€0.00|Free)"))
    with page.expect_response(answers("GET", f"/events/{event_id}/total")):
        general.select_option("2")
    expect(total).to_contain_text("€40.00")
    with page.expect_response(answers("GET", f"/events/{event_id}/total")):
        student.select_option("1")
    expect(total).to_contain_text("€50.00")
    expect(total).to_contain_text("3 tickets")
    page.get_by_label("Names on the tickets").fill("Ana Attendee\nBea Friend\nCai Student")
    page.get_by_role("button", name="Continue to payment").click()

    expect(page).to_have_url(CHECKOUT_URL)
    match = CHECKOUT_URL.search(page.url)
    assert match is not None
    assert pay(page, match.group(1), "4242424242424242") == 200
    expect(page).to_have_url(live_server.at(f"/my/registrations/{match.group(1)}"))

    page.goto(live_server.at("/my/tickets"))
    cards = page.locator("main")
    expect(cards).to_contain_text("Cai Student")
    expect(cards).to_contain_text("Cai Student · Student · Ticket 3 of 3")
    expect(cards).to_contain_text("Bea Friend · General admission · Ticket 2 of 3")
    tickets = api.http.get("/registrations/" + match.group(1), headers=ana.headers).json()
    names = []
    for ticket_id in tickets["tickets"]:
        ticket = api.http.get(f"/tickets/{ticket_id}", headers=ana.headers).json()
        names.append((ticket["attendee_name"], ticket["ticket_type_name"]))
    assert names == [
        ("Ana Attendee", "General admission"),
        ("Bea Friend", "General admission"),
        ("Cai Student", "Student"),
    ]
    assert problems.unexpected() == []
