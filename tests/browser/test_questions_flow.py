"""Questions on a phone: an attendee registers 2 seats of an event asking a T-shirt size
per ticket and a diet once. The seats follow the quantity (an htmx fragment); a missing
size comes back with its error next to the field and everything typed kept; then the
registration goes through with every answer stored."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserProblems, LiveServer
from tests.browser.test_events_flow import Api, answers, log_in

pytestmark = pytest.mark.settings(require_email_verification=False)
REGISTRATION_URL = re.compile(r"/my/registrations/([0-9a-f]{32})$")


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[Api]:
    api = Api(live_server)
    yield api
    api.close()


def test_two_seats_with_a_question_per_ticket_and_one_per_registration(
    page: Page, live_server: LiveServer, api: Api, problems: BrowserProblems
) -> None:
    organizer = api.sign_up("Olga Organizer", "olga@example.com", "organizer")
    event_id = api.event(organizer, title="Code Camp", price=0, capacity=30)
    for question in (
        {"label": "T-shirt size", "kind": "choice", "options": ["S", "M", "L"],
         "required": True, "per": "ticket"},
        {"label": "Dietary needs", "kind": "text", "required": True},
    ):  # fmt: skip
        response = api.http.post(
            f"/events/{event_id}/questions", json=question, headers=organizer.headers
        )
        assert response.status_code == 201, response.text
    size_id, diet_id = (q["id"] for q in api.http.get(f"/events/{event_id}").json()["questions"])
    ana = api.sign_up("Ana Attendee", "ana@example.com")
    log_in(page, live_server, ana, "/")
    page.goto(live_server.at(f"/events/{event_id}"))

    first = page.get_by_role("group", name="Ticket 1 · General admission")
    second = page.get_by_role("group", name="Ticket 2 · General admission")
    expect(first).to_be_visible()
    expect(second).to_have_count(0)
    with page.expect_response(answers("GET", f"/events/{event_id}/attendees")):
        page.get_by_label("Tickets").select_option("2")
    expect(second).to_be_visible()
    first.get_by_label("Name on the ticket").fill("Ana Attendee")
    first.get_by_label("T-shirt size").select_option("M")
    second.get_by_label("Name on the ticket").fill("Bea Friend")
    page.get_by_label("Dietary needs").fill("Vegan, no nuts")
    page.get_by_role("button", name="Get free tickets").click()

    # One round trip with an error: it sits next to the field, and what was typed stays.
    error = page.locator(f"#f-attendees\\.1\\.answers\\.{size_id}-error")
    expect(error).to_have_text("Choose one of the options.")
    expect(second.get_by_label("T-shirt size")).to_have_attribute("aria-invalid", "true")
    expect(first.get_by_label("Name on the ticket")).to_have_value("Ana Attendee")
    expect(first.get_by_label("T-shirt size")).to_have_value("M")
    expect(second.get_by_label("Name on the ticket")).to_have_value("Bea Friend")
    expect(page.get_by_label("Dietary needs")).to_have_value("Vegan, no nuts")
    expect(page.get_by_label("Tickets")).to_have_value("2")

    second.get_by_label("T-shirt size").select_option("L")
    page.get_by_role("button", name="Get free tickets").click()
    expect(page).to_have_url(REGISTRATION_URL)
    match = REGISTRATION_URL.search(page.url)
    assert match is not None
    registration = api.http.get(
        f"/registrations/{match.group(1)}", headers=organizer.headers
    ).json()
    assert registration["answers"] == {diet_id: "Vegan, no nuts"}
    assert registration["attendees"] == [
        {"name": "Ana Attendee", "answers": {size_id: "M"}},
        {"name": "Bea Friend", "answers": {size_id: "L"}},
    ]
