"""One registration using all of issue 13 on a phone: a promo code applied on the event
page unlocks a hidden Student type, the attendee takes 2 x General admission + 1 x
Student, answers a T-shirt size per ticket and a diet once, sees the discounted total at
checkout, pays with the simulator and gets tickets carrying their types; the organizer
sees the answers. Failed before: applying the code never showed the hidden type."""

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


def test_several_types_questions_and_a_code_in_one_paid_registration(
    page: Page, live_server: LiveServer, api: Api, problems: BrowserProblems
) -> None:
    organizer = api.sign_up("Olga Organizer", "olga@example.com", "organizer")
    event_id = api.event(organizer, title="Code Camp", price=2000, capacity=30)
    for path, body in (
        ("ticket-types", {"name": "Student", "price": 1000, "hidden": True}),
        ("promo-codes", {"code": "Campus25", "percent_off": 25, "unlocks_hidden": True}),
        ("questions", {"label": "T-shirt size", "kind": "choice", "options": ["S", "M", "L"],
                       "required": True, "per": "ticket"}),
        ("questions", {"label": "Dietary needs", "kind": "text", "required": True}),
    ):  # fmt: skip
        response = api.http.post(f"/events/{event_id}/{path}", json=body, headers=organizer.headers)
        assert response.status_code == 201, response.text
    ana = api.sign_up("Ana Attendee", "ana@example.com")
    log_in(page, live_server, ana, "/")
    page.goto(live_server.at(f"/events/{event_id}"))

    # One visible type: a bare quantity, and no Student to choose yet.
    expect(page.get_by_label("Student · €10.00")).to_have_count(0)
    with page.expect_response(answers("GET", f"/events/{event_id}/attendees")):
        page.get_by_label("Tickets", exact=True).select_option("2")
    page.get_by_label("Dietary needs").fill("Vegan")
    page.get_by_label("Promo code").fill("campus25")
    with page.expect_response(answers("GET", f"/events/{event_id}/promo")):
        page.get_by_role("button", name="Apply").click()
    expect(page.locator(".promo-quote")).to_contain_text("It unlocks Student")

    # Now a quantity per type, the 2 chosen kept; the seats and the total follow.
    general = page.get_by_label("General admission · €20.00")
    student = page.get_by_label("Student · €10.00")
    expect(general).to_have_value("2")
    with page.expect_response(answers("GET", f"/events/{event_id}/attendees")):
        student.select_option("1")
    total = page.locator("#order-total")
    expect(total).to_contain_text("€37.50")  # €50.00 less 25 %
    expect(total).to_contain_text("3 tickets")
    seats = [page.get_by_role("group", name=f"Ticket {n} · {kind}") for n, kind in
             ((1, "General admission"), (2, "General admission"), (3, "Student"))]  # fmt: skip
    for seat, (name, size) in zip(
        seats, (("Ana Attendee", "M"), ("Bea Friend", "L"), ("Cai Student", "S")), strict=True
    ):
        seat.get_by_label("Name on the ticket").fill(name)
        seat.get_by_label("T-shirt size").select_option(size)
    expect(page.get_by_label("Dietary needs")).to_have_value("Vegan")  # kept through Apply
    page.get_by_role("button", name="Continue to payment").click()

    expect(page).to_have_url(CHECKOUT_URL)
    match = CHECKOUT_URL.search(page.url)
    assert match is not None
    registration_id = match.group(1)
    order = page.locator(".order")
    expect(order.locator(".order-original")).to_contain_text("€50.00")
    expect(order.locator(".order-discount")).to_contain_text("€12.50")
    expect(order.locator(".order-total")).to_contain_text("€37.50")
    assert pay(page, registration_id, "4242424242424242", amount="€37.50") == 200
    expect(page).to_have_url(live_server.at(f"/my/registrations/{registration_id}"))

    page.goto(live_server.at("/my/tickets"))
    cards = page.locator("main")
    expect(cards).to_contain_text("Ana Attendee · General admission · Ticket 1 of 3")
    expect(cards).to_contain_text("Bea Friend · General admission · Ticket 2 of 3")
    expect(cards).to_contain_text("Cai Student · Student · Ticket 3 of 3")

    page.context.clear_cookies()
    log_in(page, live_server, organizer, "/organizer")
    page.goto(live_server.at(f"/organizer/events/{event_id}"))
    row = page.locator("tr", has_text="Ana Attendee")
    expect(row.locator(".answers")).to_contain_text("Dietary needs")
    expect(row.locator(".answers")).to_contain_text("Vegan")
    expect(row.locator(".answers")).to_contain_text("Ticket 2: T-shirt size")
    expect(row.locator(".answers")).to_contain_text("L")
    expect(row.locator(".answers")).to_contain_text("Ticket 3: T-shirt size")
    assert problems.unexpected() == []
