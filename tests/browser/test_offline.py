"""Tickets work offline (flow 3): once opened, "My tickets" and a ticket page with its QR
load without a network, for the person signed in and for nobody else on the same phone.

The service worker (static/sw.js) keeps those pages in a cache named after the user they
were rendered for; offline.js tells it who is signed in on every page. Chromium treats
http://127.0.0.1 as a secure context, so the live server's URL registers a worker as is.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.api_helpers import API, event_body
from tests.browser.conftest import BrowserProblems, LiveServer
from tests.browser.test_journey_offline import until
from tests.helpers import GOOD_PASSWORD

pytestmark = pytest.mark.settings(require_email_verification=False)

TITLE = "Fado Under the Stars"
TICKET_PATH = re.compile(r"^/tickets/[^/?#]+$")
PRIVATE = "admit-private:"

# The names of the worker's caches, and the paths each one holds.
CACHED = """async () => {
  const found = {};
  for (const name of await caches.keys()) {
    const keys = await (await caches.open(name)).keys();
    found[name] = keys.map(({ url }) => new URL(url).pathname + new URL(url).search);
  }
  return found;
}"""


@dataclass(frozen=True)
class Ticket:
    url: str
    path: str
    user_id: str


@pytest.fixture
def free_event(live_server: LiveServer) -> str:
    """A published free event, made through the JSON API by an organizer."""
    with httpx.Client(base_url=live_server.url + API, timeout=10) as http:
        email = "olga@example.com"
        body = {"email": email, "password": GOOD_PASSWORD, "name": "Olga", "role": "organizer"}
        response = http.post("/auth/signup", json=body)
        assert response.status_code == 201, response.text
        response = http.post("/auth/token", json={"email": email, "password": GOOD_PASSWORD})
        assert response.status_code == 200, response.text
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        response = http.post("/events", json=event_body(title=TITLE), headers=headers)
        assert response.status_code == 201, response.text
        event_id = response.json()["id"]
        response = http.post(f"/events/{event_id}/publish", headers=headers)
        assert response.status_code == 200, response.text
    return event_id


def caches(page: Page) -> dict[str, list[str]]:
    return page.evaluate(CACHED)


def wait_until_saved(page: Page, user_id: str, *paths: str) -> None:
    """Waits for the worker to have written `paths` to `user_id`'s private cache.

    Polled from here: `wait_for_function` takes the promise an async predicate returns
    for a truthy answer, so it did not wait at all."""
    until(
        page,
        """async ([name, paths]) => {
          const hits = await Promise.all(
            paths.map((path) => caches.match(path, { cacheName: name })));
          return hits.every(Boolean);
        }""",
        [PRIVATE + user_id, list(paths)],
    )


def wait_until_no_private_cache(page: Page) -> None:
    until(
        page,
        """async (prefix) => !(await caches.keys()).some((name) => name.startsWith(prefix))""",
        PRIVATE,
    )


def open_ticket_online(page: Page, server: LiveServer, event_id: str) -> Ticket:
    """Signs up an attendee, takes a free ticket, and opens "My tickets" and the ticket
    while online under a worker that controls the page; returns the ticket's page."""
    page.goto(server.at("/signup"))
    page.get_by_label("Name", exact=True).fill("Ana Attendee")
    page.get_by_label("Email", exact=True).fill("ana@example.com")
    page.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    page.get_by_role("radio", name="Attend events").check()
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    user_id = page.evaluate("document.body.dataset.user")
    assert user_id

    page.goto(server.at(f"/events/{event_id}"))
    page.get_by_role("button", name="Get free tickets").click()
    expect(page).to_have_url(re.compile(r"/my/registrations/[^/]+$"))

    page.goto(server.at("/my/tickets"))
    hrefs = page.locator("main a[href]").evaluate_all("links => links.map(a => a.pathname)")
    ticket_paths = [href for href in hrefs if TICKET_PATH.match(href)]
    assert ticket_paths, f"no link to a ticket on /my/tickets: {hrefs}"
    ticket = Ticket(server.at(ticket_paths[0]), ticket_paths[0], user_id)

    page.goto(ticket.url)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the worker, which saves what it serves
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    expect_ticket(page)
    page.goto(server.at("/my/tickets"))
    page.goto(ticket.url)
    # The ticket's PDF too: "My tickets" asked the worker to keep every upcoming ticket.
    wait_until_saved(page, user_id, ticket.path, ticket.path + "/pdf", "/my/tickets")
    return ticket


def expect_ticket(page: Page) -> None:
    expect(page.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    expect(page.locator("main svg[aria-label*='QR']")).to_be_visible()


def goto_failure(page: Page, url: str) -> str:
    """Goes to `url`; returns why the navigation failed, "" when it did not."""
    try:
        page.goto(url)
    except PlaywrightError as error:
        return str(error)
    return ""


def expect_no_ticket(page: Page, url: str) -> None:
    """Offline, `url` must not show the ticket (Chromium shows its offline error page)."""
    failure = goto_failure(page, url)
    assert failure == "" or re.search(r"ERR_INTERNET_DISCONNECTED|ERR_FAILED", failure), failure
    expect(page.get_by_text(TITLE)).to_have_count(0)
    expect(page.locator("svg[aria-label*='QR']")).to_have_count(0)


def test_ticket_and_my_tickets_load_offline_once_opened(
    page: Page, live_server: LiveServer, free_event: str, problems: BrowserProblems
) -> None:
    ticket = open_ticket_online(page, live_server, free_event)
    banner = page.locator("#offline-banner")
    expect(banner).to_be_hidden()

    # Only this user's two pages and the ticket's PDF are private, and only public assets
    # are shared.
    saved = caches(page)
    private = {name: sorted(paths) for name, paths in saved.items() if name.startswith(PRIVATE)}
    expected = sorted(["/my/tickets", ticket.path, ticket.path + "/pdf"])
    assert private == {PRIVATE + ticket.user_id: expected}
    public = [
        path for name, paths in saved.items() if name.startswith("admit-static-") for path in paths
    ]
    assert "/static/css/app.css" in public
    for path in public:
        assert re.fullmatch(
            r"/manifest\.webmanifest|/static/css/app\.css|/static/js/[^/]+\.js"
            r"|/static/vendor/htmx\.min\.js|/static/icons/[^/]+",
            path,
        ), path

    page.context.set_offline(True)
    expect(banner).to_be_visible()  # the "offline" event, on the page already open
    page.reload()
    expect_ticket(page)
    expect(banner).to_be_visible()
    expect(banner).to_have_text("You are offline: showing the copy saved on this phone.")

    page.goto(live_server.at("/my/tickets"))
    links = page.locator("main a[href]").evaluate_all("links => links.map(a => a.pathname)")
    assert ticket.path in links
    expect(page.get_by_text(TITLE).first).to_be_visible()
    expect(banner).to_be_visible()

    page.context.set_offline(False)
    expect(banner).to_be_hidden()  # the "online" event
    assert problems.unexpected() == []


def test_log_out_clears_the_saved_tickets(
    page: Page, live_server: LiveServer, free_event: str, problems: BrowserProblems
) -> None:
    ticket = open_ticket_online(page, live_server, free_event)

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(live_server.at("/"))
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    wait_until_no_private_cache(page)

    problems.allow("net::ERR_")
    page.context.set_offline(True)
    expect_no_ticket(page, ticket.url)
    expect_no_ticket(page, live_server.at("/my/tickets"))
    assert problems.unexpected() == []


def test_another_user_on_the_phone_gets_none_of_the_saved_tickets(
    page: Page, live_server: LiveServer, free_event: str, problems: BrowserProblems
) -> None:
    ticket = open_ticket_online(page, live_server, free_event)

    # What offline.js posts when a page says someone else is signed in.
    page.evaluate(
        "navigator.serviceWorker.controller.postMessage({type: 'user', id: 'someone-else'})"
    )
    wait_until_no_private_cache(page)

    problems.allow("net::ERR_")
    page.context.set_offline(True)
    expect_no_ticket(page, ticket.url)
    assert problems.unexpected() == []


def test_manifest_makes_an_installable_app(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        response = http.get("/manifest.webmanifest")
        assert response.status_code == 200
        manifest = response.json()
        assert manifest["name"] == manifest["short_name"] == "Admit"
        assert manifest["start_url"] == "/my/tickets"
        assert manifest["scope"] == "/"
        assert manifest["display"] == "standalone"
        assert manifest["theme_color"] == "#4338ca"
        assert manifest["background_color"] == "#f8fafc"
        pngs = {}
        for icon in manifest["icons"]:
            response = http.get(icon["src"])
            assert response.status_code == 200, icon
            assert response.headers["content-type"].startswith(icon["type"]), icon
            if icon["type"] == "image/png":
                image = Image.open(io.BytesIO(response.content))
                assert icon["sizes"] == f"{image.width}x{image.height}", icon
                pngs[(icon["sizes"], icon["purpose"])] = image
        assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= set(pngs)
        assert any(i["type"] == "image/svg+xml" for i in manifest["icons"])
        # Maskable: the brand colour reaches the corners (the OS crops to its own shape).
        assert pngs[("512x512", "maskable")].convert("RGB").getpixel((0, 0)) == (67, 56, 202)

        response = http.get("/sw.js")
        assert response.headers["service-worker-allowed"] == "/"
        assert response.headers["cache-control"] == "no-cache"
