"""Events on a phone: an organizer creates and publishes, attendees find, book and pay.

Accounts and events that a test only needs as a background are made through the JSON API
of the live server (its store lives on the server's own thread and event loop); what the
test is about is done in the browser, through labels, buttons and messages.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Response, expect

from tests.api_helpers import API, event_body
from tests.browser.conftest import PHONE, BrowserProblems, LiveServer, watch_problems
from tests.helpers import GOOD_PASSWORD

# Every test here makes accounts without the mailed code.
pytestmark = pytest.mark.settings(require_email_verification=False)

# An event's dashboard (not the form at /organizer/events/new).
EVENT_URL = re.compile(r"/organizer/events/(?!new$)([^/?#]+)$")


def answers(method: str, path: str, **query: str) -> Callable[[Response], bool]:
    """Matches the answer to `method path` (its query containing `query`, when given)."""

    def matches(response: Response) -> bool:
        url = httpx.URL(response.url)
        return (
            response.request.method == method
            and url.path == path
            and all(url.params.get(name) == value for name, value in query.items())
        )

    return matches


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    """The live server's JSON API, for arranging what a test only needs in the background."""

    def __init__(self, server: LiveServer) -> None:
        self.http = httpx.Client(base_url=server.url + API, timeout=10)

    def close(self) -> None:
        self.http.close()

    def sign_up(self, name: str, email: str, role: str = "attendee") -> Person:
        body = {"email": email, "password": GOOD_PASSWORD, "name": name, "role": role}
        response = self.http.post("/auth/signup", json=body)
        assert response.status_code == 201, response.text
        response = self.http.post("/auth/token", json={"email": email, "password": GOOD_PASSWORD})
        assert response.status_code == 200, response.text
        return Person(email, name, response.json()["access_token"])

    def event(self, organizer: Person, *, publish: bool = True, **changes: Any) -> str:
        response = self.http.post("/events", json=event_body(**changes), headers=organizer.headers)
        assert response.status_code == 201, response.text
        event_id = response.json()["id"]
        if publish:
            response = self.http.post(f"/events/{event_id}/publish", headers=organizer.headers)
            assert response.status_code == 200, response.text
        return event_id

    def register(self, person: Person, event_id: str, quantity: int = 1) -> None:
        body = {"event_id": event_id, "quantity": quantity}
        response = self.http.post("/registrations", json=body, headers=person.headers)
        assert response.status_code == 201, response.text


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[Api]:
    api = Api(live_server)
    yield api
    api.close()


@pytest.fixture
def second_phone(browser: Browser, problems: BrowserProblems) -> Iterator[Page]:
    """Another person's phone (own cookies); its complaints go to the same `problems`."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    watch_problems(page, problems)
    yield page
    context.close()


def sign_up(page: Page, server: LiveServer, name: str, email: str, role: str) -> None:
    page.goto(server.at("/signup"))
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    page.get_by_role("radio", name=role).check()
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_contain_text(f"Welcome to Admit, {name}")


def log_in(page: Page, server: LiveServer, person: Person, landing: str) -> None:
    page.goto(server.at("/login"))
    page.get_by_label("Email", exact=True).fill(person.email)
    page.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(server.at(landing))


def local(moment: datetime) -> str:
    """What a datetime-local input takes."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def fill_event_form(page: Page, title: str, venue: str, price: str = "0") -> None:
    starts = (datetime.now() + timedelta(days=7)).replace(hour=20, minute=0)
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Description", exact=True).fill("Three sets.\nBring friends.")
    page.get_by_label("Venue", exact=True).fill(venue)
    page.get_by_label("Time zone", exact=True).select_option("Europe/Lisbon")
    page.get_by_label("Starts", exact=True).fill(local(starts))
    page.get_by_label("Ends", exact=True).fill(local(starts + timedelta(hours=3)))
    page.get_by_label("Capacity", exact=True).fill("50")
    page.get_by_label("Tickets per registration", exact=True).fill("4")
    page.get_by_label("Price per ticket", exact=True).fill(price)
    page.get_by_label("Currency", exact=True).fill("EUR")
    page.get_by_label("Category", exact=True).select_option(label="Music")


def figure(page: Page, label: str) -> str:
    """The value of one of the dashboard's figures, e.g. "1 / 50" for "Sold"."""
    box = page.locator(".figure").filter(has=page.locator(".figure-label", has_text=label))
    return " ".join(box.locator(".figure-value").inner_text().split())


def test_organizer_publishes_an_event_and_follows_its_registrations(
    page: Page,
    second_phone: Page,
    live_server: LiveServer,
    api: Api,
    problems: BrowserProblems,
) -> None:
    organizer = page
    sign_up(organizer, live_server, "Olga Organizer", "olga@example.com", "Organize events")
    expect(organizer).to_have_url(live_server.at("/organizer"))
    empty = organizer.locator(".empty")
    expect(empty.get_by_role("heading", name="No events yet")).to_be_visible()
    empty.get_by_role("link", name="New event").click()

    expect(organizer).to_have_url(live_server.at("/organizer/events/new"))
    expect(organizer.get_by_role("heading", name="New event")).to_be_visible()
    fill_event_form(organizer, "Lisbon Jazz Night", "Hot Clube, Lisbon")
    organizer.get_by_role("button", name="Save draft").click()

    expect(organizer).to_have_url(EVENT_URL)
    match = EVENT_URL.search(organizer.url)
    assert match is not None
    event_id = match.group(1)
    expect(organizer.get_by_role("status")).to_contain_text("Draft saved")
    expect(organizer.locator(".badge-draft")).to_have_text("Draft")
    organizer.get_by_role("button", name="Publish").click()
    expect(organizer.get_by_role("status")).to_contain_text("Published: the event is on sale")
    expect(organizer.get_by_role("button", name="Publish")).to_have_count(0)
    expect(organizer.get_by_role("cell", name="No registrations yet.")).to_be_visible()

    # Anyone finds it on the home page; an attendee signs up and takes two free tickets.
    attendee = second_phone
    attendee.goto(live_server.at("/"))
    card = attendee.get_by_role("link", name=re.compile("Lisbon Jazz Night"))
    expect(card).to_contain_text("Hot Clube, Lisbon")
    expect(card).to_contain_text("Free")
    sign_up(attendee, live_server, "Ana Attendee", "ana@example.com", "Attend events")
    attendee.get_by_role("link", name=re.compile("Lisbon Jazz Night")).click()
    expect(attendee).to_have_url(live_server.at(f"/events/{event_id}"))
    expect(attendee.locator(".seats")).to_have_text("50 seats left")
    tickets = attendee.get_by_label("Tickets", exact=True)
    expect(tickets.locator("option")).to_have_count(4)  # "Tickets per registration"
    tickets.select_option("2")
    attendee.get_by_label("Names on the tickets").fill("Ana Attendee\nBea Friend")
    attendee.get_by_role("button", name="Get free tickets").click()
    expect(attendee).to_have_url(re.compile(r"/my/registrations/[^/]+$"))
    expect(attendee.get_by_text("You're going!")).to_be_visible()
    expect(attendee.locator(".facts")).to_contain_text("2: Ana Attendee, Bea Friend")

    # Someone else books through the API, so the search has something to leave out.
    api.register(api.sign_up("Carl Other", "carl@example.com"), event_id)

    organizer.reload()
    rows = organizer.locator("#registrations tr")  # cards on a phone; the header is hidden
    expect(rows).to_have_count(2)
    ana_row = rows.filter(has_text="ana@example.com")
    expect(ana_row).to_contain_text("Ana Attendee")
    expect(ana_row).to_contain_text("Bea Friend")
    expect(ana_row.locator("td[data-label=Tickets]")).to_have_text("2")
    assert figure(organizer, "Sold") == "3 / 50"
    assert figure(organizer, "Left") == "47"
    assert figure(organizer, "Registrations") == "2"

    search = organizer.get_by_placeholder("Name or email")
    path = f"/organizer/events/{event_id}"
    with organizer.expect_response(answers("GET", path, q="ana")) as answer:
        search.fill("ana")  # searches as one types
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("ana@example.com")
    expect(organizer).to_have_url(live_server.at(f"{path}?q=ana&status="))
    with organizer.expect_response(answers("GET", path, q="nobody")):
        search.fill("nobody")
    expect(organizer.get_by_role("cell", name="No registrations match.")).to_be_visible()

    with organizer.expect_download() as download:
        organizer.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == f"registrations-{event_id}.csv"
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows_of = list(csv.DictReader(io.StringIO(text)))  # one row per ticket
    ana = [row for row in rows_of if row["Email"] == "ana@example.com"]
    assert [(row["Attendee name"], row["Seat"], row["Status"]) for row in ana] == [
        ("Ana Attendee", "1 of 2", "confirmed"),
        ("Bea Friend", "2 of 2", "confirmed"),
    ]
    assert {row["Amount"] for row in ana} == {"0.00"}
    assert problems.unexpected() == []


def test_new_event_form_explains_errors_and_saves_once_fixed(
    page: Page, live_server: LiveServer, api: Api, problems: BrowserProblems
) -> None:
    # Chromium notes every 4xx answer in the console; a 422 for bad input is expected.
    problems.allow("status of 422")
    log_in(page, live_server, api.sign_up("Olga", "olga@example.com", "organizer"), "/organizer")
    page.goto(live_server.at("/organizer/events/new"))
    save = page.get_by_role("button", name="Save draft")
    title = page.get_by_label("Title", exact=True)
    venue = page.get_by_label("Venue", exact=True)
    starts = page.get_by_label("Starts", exact=True)
    ends = page.get_by_label("Ends", exact=True)
    capacity = page.get_by_label("Capacity", exact=True)

    with page.expect_response(answers("POST", "/organizer/events/new")) as answer:
        save.click()
    assert answer.value.status == 422
    assert answer.value.request.headers.get("hx-request") == "true"
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please fix these 4 problems")
    for name, message in [
        ("title", "Enter a title."),
        ("venue", "Enter the venue."),
        ("starts_at", "Enter the date and time it starts."),
        ("ends_at", "Enter the date and time it ends."),
    ]:
        expect(summary.get_by_role("link", name=message)).to_have_attribute("href", f"#f-{name}")
        expect(page.locator(f"#f-{name}-error")).to_have_text(message)
        expect(page.locator(f"#f-{name}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#f-{name}")).to_have_accessible_description(
            re.compile(re.escape(message))
        )
    expect(capacity).not_to_have_attribute("aria-invalid", "true")
    expect(capacity).to_have_value("100")  # the defaults are kept
    expect(title).to_be_focused()
    expect(page).to_have_url(live_server.at("/organizer/events/new"))

    # Half fixed: the start is in the past and the end before it; the rest is kept.
    yesterday = datetime.now() - timedelta(days=1)
    title.fill("Fado at Dusk")
    venue.fill("Tasca do Chico")
    starts.fill(local(yesterday))
    ends.fill(local(yesterday - timedelta(hours=1)))
    with page.expect_response(answers("POST", "/organizer/events/new")) as answer:
        save.click()
    assert answer.value.status == 422
    expect(summary).to_contain_text("Please fix these 2 problems")
    expect(page.locator("#f-starts_at-error")).to_have_text("The start must be in the future.")
    expect(page.locator("#f-ends_at-error")).to_have_text("The end must be after the start.")
    expect(title).not_to_have_attribute("aria-invalid", "true")
    expect(title).to_have_value("Fado at Dusk")
    expect(starts).to_be_focused()

    next_week = datetime.now() + timedelta(days=7)
    starts.fill(local(next_week))
    ends.fill(local(next_week + timedelta(hours=2)))
    save.click()
    expect(page).to_have_url(EVENT_URL)
    expect(page.get_by_role("heading", name="Fado at Dusk")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Draft saved")
    assert problems.unexpected() == []


def test_attendee_searches_and_filters_events_on_a_phone(
    page: Page, live_server: LiveServer, api: Api, problems: BrowserProblems
) -> None:
    organizer = api.sign_up("Olga", "olga@example.com", "organizer")
    api.event(organizer, title="Jazz Night", venue="Hot Clube", days=3)
    api.event(organizer, title="Rock Night", venue="Coliseu", price=1500, days=4)
    api.event(organizer, title="Python Meetup", venue="LX Factory", category="tech", days=5)
    api.event(organizer, title="Secret Night", publish=False)  # a draft is nobody's business

    page.goto(live_server.at("/"))
    cards = page.locator("#event-list .event-card")
    expect(cards).to_have_count(3)
    expect(cards.first).to_contain_text("Jazz Night")  # soonest first

    with page.expect_response(answers("GET", "/", q="night")) as answer:
        page.get_by_label("Search events").fill("night")
        page.get_by_role("button", name="Search").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(cards).to_have_count(2)
    expect(page.locator("#event-list")).not_to_contain_text("Python Meetup")
    expect(page.locator("#event-list")).not_to_contain_text("Secret Night")
    expect(page).to_have_url(re.compile(r"/\?q=night(&|$)"))

    page.get_by_text("Filters", exact=True).click()
    with page.expect_response(answers("GET", "/", q="night", free="true")):
        page.get_by_label("Price", exact=True).select_option(label="Free only")
    expect(cards).to_have_count(1)
    expect(cards).to_contain_text("Jazz Night")
    expect(page).to_have_url(re.compile(r"[?&]free=true(&|$)"))

    with page.expect_response(answers("GET", "/", q="karaoke")):
        page.get_by_label("Search events").fill("karaoke")
        page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="No events match")).to_be_visible()
    expect(cards).to_have_count(0)

    # The pushed URL is a real page: reloading it shows the same search.
    page.reload()
    expect(page.get_by_label("Search events")).to_have_value("karaoke")
    expect(page.get_by_role("heading", name="No events match")).to_be_visible()
    assert problems.unexpected() == []


def test_paid_registration_holds_seats_until_cancelled(
    page: Page, live_server: LiveServer, api: Api, problems: BrowserProblems
) -> None:
    organizer = api.sign_up("Olga", "olga@example.com", "organizer")
    event_id = api.event(organizer, title="Opera Gala", price=2500, capacity=10)
    log_in(page, live_server, api.sign_up("Ana", "ana@example.com"), "/")

    page.goto(live_server.at(f"/events/{event_id}"))
    seats = page.locator(".facts .seats")
    expect(seats).to_have_text("10 left")
    page.get_by_label("Tickets", exact=True).select_option(label="2 · €50.00")
    page.get_by_role("button", name="Continue to payment").click()

    expect(page).to_have_url(re.compile(r"/checkout/[^/]+$"))
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    expect(page.get_by_text("Your seats are held until")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("2 \u00d7 €25.00")  # "2 times €25.00"
    expect(page.locator(".facts .price")).to_have_text("€50.00")
    checkout_url = page.url

    page.goto(live_server.at(f"/events/{event_id}"))
    expect(seats).to_have_text("8 left")  # held seats are not on sale
    page.goto(checkout_url)
    page.get_by_role("button", name="Cancel and release the seats").click()
    expect(page).to_have_url(re.compile(r"/my/registrations/[^/]+$"))
    expect(page.get_by_role("status")).to_contain_text("the seats are released")

    page.goto(live_server.at(f"/events/{event_id}"))
    expect(seats).to_have_text("10 left")
    assert problems.unexpected() == []


def test_event_pages_fit_a_320px_screen_without_errors(
    page: Page, live_server: LiveServer, api: Api, problems: BrowserProblems
) -> None:
    organizer = api.sign_up("Olga Organizer", "olga@example.com", "organizer")
    long_title = "International Conference on Extraordinarily Long Event Names 2030"
    event_id = api.event(
        organizer,
        title=long_title,
        venue="Centro Cultural de Belém, Praça do Império, 1449-003 Lisboa, Portugal",
        description="https://example.com/" + "a-very-long-unbroken-path-" * 6,
        price=12000,
    )
    api.event(organizer, title="Jazz Night")
    buyer = api.sign_up("Maximiliana Bartholomew-Featherstonehaugh", "maximiliana@example.com")
    api.register(buyer, event_id, 3)
    log_in(page, live_server, organizer, "/organizer")

    page.set_viewport_size({"width": 320, "height": 640})
    too_wide = {}
    for path in [
        "/",
        f"/events/{event_id}",
        "/organizer",
        "/organizer/events/new",
        f"/organizer/events/{event_id}",
        f"/organizer/events/{event_id}/edit",
    ]:
        page.goto(live_server.at(path))
        expect(page.locator("main h1")).to_be_visible()
        # htmx and app.js loaded (both are deferred scripts), so their errors would show.
        page.wait_for_function("() => window.htmx !== undefined")
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > 320:
            too_wide[path] = scroll_width
    assert too_wide == {}, f"wider than a 320px screen: {too_wide}"
    assert problems.unexpected() == []
