"""axe-core (npm, the engine behind Lighthouse's accessibility score) in the real browser
over the pages people use: the public ones, an attendee's, and the organizer's issue-15
pages (overview, live dashboard with its SVG charts, messages), the waiting list's
pages (issue 14: the event page's box, My registrations, the organizer's list, the
event form), on a phone and a laptop.

Any violation fails with axe's own rule id, impact, help text and the offending nodes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.api_helpers import event_body
from tests.browser.conftest import PHONE, LiveServer
from tests.browser.test_door import Api, Person, log_in

pytestmark = pytest.mark.settings(require_email_verification=False)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
LAPTOP = {"viewport": {"width": 1280, "height": 800}}
# WCAG 2.1 A and AA, as Lighthouse's accessibility audit checks them.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[Api]:
    api = Api(live_server)
    yield api
    api.http.close()


def _violations(page: Page) -> list[dict[str, Any]]:
    # Our CSP allows no inline script: the audit's context bypasses it (axe only reads).
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return list(result["violations"])


def _describe(path: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{path}:"]
    for found in violations:
        targets = [" ".join(node["target"]) for node in found["nodes"][:3]]
        lines.append(f"  {found['id']} ({found['impact']}): {found['help']} at {targets}")
    return "\n".join(lines)


def _audit(context: BrowserContext, server: LiveServer, paths: list[str]) -> list[str]:
    page = context.pages[0] if context.pages else context.new_page()
    failures = []
    for path in paths:
        response = page.goto(server.at(path))
        assert response is not None, path
        assert response.ok, (path, response.status)
        page.wait_for_load_state("networkidle")
        found = _violations(page)
        if found:
            failures.append(_describe(path, found))
    return failures


def _context(browser: Browser, shape: dict[str, Any]) -> BrowserContext:
    return browser.new_context(**shape, bypass_csp=True)


def _signed_in(
    browser: Browser, server: LiveServer, shape: dict[str, Any], person: Person, landing: str
) -> BrowserContext:
    context = _context(browser, shape)
    log_in(context.new_page(), server, person, landing)
    return context


@pytest.mark.parametrize("shape", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_the_pages_have_no_axe_violations(
    browser: Browser, live_server: LiveServer, api: Api, shape: dict[str, Any]
) -> None:
    """New with issue 15: nothing checked the pages' accessibility in a test (the charts'
    titles, descriptions and screen-reader tables included)."""
    assert AXE.exists(), "run `make vendor` (npm ci) first"
    organizer = api.sign_up("Olga Organizer", "olga@example.com", "organizer")
    attendee = api.sign_up("Ana Attendee", "ana@example.com")
    event_id = api.open_event(organizer)
    ticket = api.ticket(attendee, event_id)
    api.validate(organizer, ticket["code"], event_id)  # the arrivals chart has a bar
    sold_out = _sold_out_with_a_queue(api, organizer, attendee)

    failures: list[str] = []
    public = _context(browser, shape)
    failures += _audit(
        public,
        live_server,
        ["/", f"/events/{event_id}", f"/events/{sold_out}", "/login", "/signup"],
    )
    public.close()

    mine = _signed_in(browser, live_server, shape, attendee, "/")
    failures += _audit(
        mine,
        live_server,
        [
            "/my/registrations",
            f"/tickets/{ticket['id']}",
            f"/tickets/{ticket['id']}/transfer",  # passing it on (issue 14)
            f"/events/{sold_out}",
        ],
    )
    mine.close()

    organizing = _signed_in(browser, live_server, shape, organizer, "/organizer")
    failures += _audit(
        organizing,
        live_server,
        [
            "/organizer",
            f"/organizer/events/{event_id}",
            f"/organizer/events/{event_id}/messages",
            f"/organizer/events/{event_id}/edit",
            f"/organizer/events/{sold_out}/waitlist",
            f"/events/{sold_out}",  # signed in and not waiting: the form to join
        ],
    )
    organizing.close()
    assert not failures, "\n".join(failures)


def _sold_out_with_a_queue(api: Api, organizer: Person, waiter: Person) -> str:
    """A free event of one seat, taken, and `waiter` on its waiting list (issue 14)."""
    response = api.http.post(
        "/events", json=event_body(capacity=1, title="Tiny Gig"), headers=organizer.headers
    )
    assert response.status_code == 201, response.text
    event_id: str = response.json()["id"]
    response = api.http.post(f"/events/{event_id}/publish", headers=organizer.headers)
    assert response.status_code == 200, response.text
    api.ticket(api.sign_up("Bo Buyer", "bo@example.com"), event_id)
    response = api.http.post(
        f"/events/{event_id}/waitlist", json={"quantity": 1}, headers=waiter.headers
    )
    assert response.status_code == 201, response.text
    return event_id
