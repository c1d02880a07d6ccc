"""The waiting list on a phone (issue 14): Ben joins the list of a sold-out free event and
sees his place; Ana cancels; Ben finds the offer under My registrations with its deadline
in the event's time zone, taps Accept and sees his ticket. New with the waiting list's
pages: none of it existed before. Accounts, the event and Ana's cancellation go through
the JSON API; what Ben does, the browser does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.api_helpers import event_body
from tests.browser.conftest import BrowserProblems, LiveServer
from tests.browser.test_door import Api, log_in

pytestmark = pytest.mark.settings(require_email_verification=False)

ZONE = "Asia/Tokyo"  # far from UTC: a deadline shown in UTC or the phone's zone is caught


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[Api]:
    api = Api(live_server)
    yield api
    api.http.close()


def test_an_attendee_waits_gets_the_offer_and_accepts_it(
    page: Page, live_server: LiveServer, api: Api, problems: BrowserProblems
) -> None:
    organizer = api.sign_up("Olga Organizer", "olga@example.com", "organizer")
    ana = api.sign_up("Ana Attendee", "ana@example.com")
    ben = api.sign_up("Ben Waiting", "ben@example.com")
    body = event_body(title="Tiny Gig", capacity=1, price=0, timezone=ZONE)
    response = api.http.post("/events", json=body, headers=organizer.headers)
    assert response.status_code == 201, response.text
    event_id = response.json()["id"]
    response = api.http.post(f"/events/{event_id}/publish", headers=organizer.headers)
    assert response.status_code == 200, response.text
    response = api.http.post(
        "/registrations", json={"event_id": event_id, "quantity": 1}, headers=ana.headers
    )
    assert response.status_code == 201, response.text
    anas = response.json()["id"]

    log_in(page, live_server, ben, "/")
    page.goto(live_server.at(f"/events/{event_id}"))
    box = page.locator("#waitlist")
    expect(box).to_contain_text("Sold out.")
    expect(page.get_by_label("Seats you want")).to_have_value("1")
    page.get_by_role("button", name="Join the waiting list").click()
    expect(box).to_contain_text("You are number 1 on the waiting list")
    expect(page.get_by_role("button", name="Leave the waiting list")).to_be_visible()

    response = api.http.post(f"/registrations/{anas}/cancel", headers=ana.headers)
    assert response.status_code == 200, response.text
    (entry,) = api.http.get("/waitlist", headers=ben.headers).json()["items"]
    assert entry["status"] == "offered"
    deadline = datetime.fromisoformat(entry["offer_expires_at"]).astimezone(ZoneInfo(ZONE))

    page.goto(live_server.at("/my/registrations"))
    offer = page.locator(".waitlist-card")
    expect(offer).to_contain_text("Seats offered to you")
    expect(offer).to_contain_text(f"{deadline:%a %d %b %Y, %H:%M} ({ZONE})")
    offer.get_by_role("button", name="Accept").tap()
    expect(page).to_have_url(live_server.at(f"/my/registrations/{entry['registration_id']}"))
    expect(page.get_by_text("You're going!")).to_be_visible()
    expect(page.locator("#registration")).to_contain_text("Confirmed")
    tickets = page.locator(".registration-tickets")
    expect(tickets).to_contain_text("Ben Waiting")
    expect(tickets.get_by_role("link", name="Download PDF")).to_be_visible()
    assert problems.unexpected() == []
