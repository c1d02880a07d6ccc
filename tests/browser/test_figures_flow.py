"""Issue 15 in a real browser: the event dashboard's figures update while it is open
when a ticket is scanned elsewhere (server-sent events, then polling with ETag), without
reloading the page or losing its scroll."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserProblems, LiveServer
from tests.browser.test_door import Api, log_in

LIVE = {"require_email_verification": False, "live_figures_every": 0.2}
pytestmark = pytest.mark.settings(**LIVE, live_figures_stream_for=2.0)


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[Api]:
    api = Api(live_server)
    yield api
    api.http.close()


def _watch_a_scan(page: Page, live_server: LiveServer, api: Api) -> None:
    organizer = api.sign_up("Olga Organizer", "olga@example.com", "organizer")
    attendee = api.sign_up("Ana Attendee", "ana@example.com")
    event_id = api.open_event(organizer)
    ticket = api.ticket(attendee, event_id)
    log_in(page, live_server, organizer, "/organizer")
    page.goto(live_server.at(f"/organizer/events/{event_id}"))
    checked_in = page.locator("#checked-in")
    expect(checked_in).to_have_text("0 / 1")
    page.mouse.wheel(0, 400)
    page.wait_for_function("window.scrollY > 0")
    scrolled = page.evaluate("window.scrollY")
    page.evaluate("window.marker = 'same page'")
    assert api.validate(organizer, ticket["code"], event_id)["result"] == "admitted"
    expect(checked_in).to_have_text("1 / 1", timeout=10_000)
    assert page.evaluate("window.marker") == "same page"  # not reloaded
    assert page.evaluate("window.scrollY") == scrolled
    expect(page.locator("#arrivals-chart title")).to_have_text("Arrivals per quarter hour")


def test_the_dashboard_updates_when_a_ticket_is_scanned_elsewhere(
    page: Page, live_server: LiveServer, api: Api, problems: BrowserProblems
) -> None:
    """Fails before issue 15: the figures changed only on reload."""
    _watch_a_scan(page, live_server, api)


@pytest.mark.settings(**LIVE, live_figures="poll")
def test_the_dashboard_polls_with_an_etag_on_lambda(
    page: Page, live_server: LiveServer, api: Api, problems: BrowserProblems
) -> None:
    """The same with ADMIT_LIVE_FIGURES=poll: the polls before the scan answer 304."""
    statuses: list[int] = []
    page.on(
        "response",
        lambda r: statuses.append(r.status) if r.url.endswith("/figures") else None,
    )
    _watch_a_scan(page, live_server, api)
    assert 304 in statuses
