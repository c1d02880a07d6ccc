"""Every upcoming ticket works offline right after signing in (issue 14), without the
attendee opening any ticket page first: the service worker asks /my/tickets/offline.json
for the account's tickets and keeps each page and PDF. Offline, each ticket opens with a
QR code that zxing-cpp reads back as the ticket's code, its PDF opens, and "My tickets"
says which tickets are on the phone.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from tests.api_helpers import API, event_body
from tests.browser.conftest import BrowserProblems, LiveServer
from tests.helpers import GOOD_PASSWORD

pytestmark = pytest.mark.settings(require_email_verification=False)

PRIVATE = "admit-private:"
WAIT = 15.0  # seconds the worker gets to save what it is asked to


@dataclass(frozen=True)
class Held:
    id: str
    code: str
    title: str


class Arranged:
    """An organizer's two events and an attendee's three tickets (and a void one), made
    through the live server's JSON API."""

    def __init__(self, server: LiveServer) -> None:
        self.http = httpx.Client(base_url=server.url + API, timeout=10)

    def token(self, name: str, email: str, role: str = "attendee") -> dict[str, str]:
        body = {"email": email, "password": GOOD_PASSWORD, "name": name, "role": role}
        assert self.http.post("/auth/signup", json=body).status_code == 201
        response = self.http.post("/auth/token", json={"email": email, "password": GOOD_PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def event(self, organizer: dict[str, str], title: str, days: float) -> str:
        response = self.http.post(
            "/events", json=event_body(days=days, title=title), headers=organizer
        )
        assert response.status_code == 201, response.text
        event_id: str = response.json()["id"]
        response = self.http.post(f"/events/{event_id}/publish", headers=organizer)
        assert response.status_code == 200, response.text
        return event_id

    def tickets(self, person: dict[str, str], event_id: str, quantity: int) -> dict:
        body = {"event_id": event_id, "quantity": quantity}
        response = self.http.post("/registrations", json=body, headers=person)
        assert response.status_code == 201, response.text
        registration: dict = response.json()
        return registration

    def held(self, person: dict[str, str], ticket_id: str, title: str) -> Held:
        response = self.http.get(f"/tickets/{ticket_id}", headers=person)
        assert response.status_code == 200, response.text
        return Held(ticket_id, response.json()["code"], title)


@pytest.fixture
def arranged(live_server: LiveServer) -> Iterator[Arranged]:
    arranged = Arranged(live_server)
    yield arranged
    arranged.http.close()


def until(page: Page, predicate: str, arg: Any) -> None:
    """Polls an async predicate in the page (`wait_for_function` takes the promise it
    returns for a truthy answer and does not wait)."""
    deadline = time.monotonic() + WAIT
    while not page.evaluate(predicate, arg):
        assert time.monotonic() < deadline, f"still false after {WAIT} s: {predicate}"
        page.wait_for_timeout(100)


def wait_until_saved(page: Page, user_id: str, paths: list[str]) -> None:
    until(
        page,
        """async ([name, paths]) => {
          const hits = await Promise.all(
            paths.map((path) => caches.match(path, { cacheName: name })));
          return hits.every(Boolean);
        }""",
        [PRIVATE + user_id, paths],
    )


def read_qr(page: Page) -> str:
    """The ticket page's QR code as a camera would read it (a screenshot, zxing-cpp)."""
    png = page.locator("main .qr svg").screenshot()
    [decoded] = zxingcpp.read_barcodes(
        Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode
    )
    return decoded.text


def test_every_upcoming_ticket_opens_offline_after_a_fresh_sign_in(
    page: Page, live_server: LiveServer, arranged: Arranged, problems: BrowserProblems
) -> None:
    """Fails before issue 14: a ticket was kept only once its page had been opened online."""
    organizer = arranged.token("Olga", "olga@example.com", "organizer")
    ana = arranged.token("Ana", "ana@example.com")
    fado = arranged.event(organizer, "Fado Under the Stars", days=2)
    opera = arranged.event(organizer, "Opera Gala", days=9)
    first = arranged.tickets(ana, fado, 2)
    second = arranged.tickets(ana, opera, 1)
    cancelled = arranged.tickets(ana, opera, 1)
    response = arranged.http.post(f"/registrations/{cancelled['id']}/cancel", headers=ana)
    assert response.status_code == 200, response.text
    held = [
        *(arranged.held(ana, t, "Fado Under the Stars") for t in first["tickets"]),
        *(arranged.held(ana, t, "Opera Gala") for t in second["tickets"]),
    ]
    [void_id] = cancelled["tickets"]

    # A fresh phone: the first page registers the worker, then Ana signs in.
    page.goto(live_server.at("/login"))
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.get_by_label("Email", exact=True).fill("ana@example.com")
    page.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_server.at("/"))
    user_id = page.evaluate("document.body.dataset.user")
    assert user_id

    # Without opening any ticket: the worker saves each page and PDF on its own.
    wanted = [path for t in held for path in (f"/tickets/{t.id}", f"/tickets/{t.id}/pdf")]
    wait_until_saved(page, user_id, wanted)
    saved = page.evaluate(
        """async (name) => (await (await caches.open(name)).keys())
            .map(({ url }) => new URL(url).pathname)""",
        PRIVATE + user_id,
    )
    assert f"/tickets/{void_id}" not in saved  # a void ticket is no use at the door
    assert not [path for path in saved if path.endswith("ticket.pdf")]

    problems.allow("net::ERR_INTERNET_DISCONNECTED")
    page.context.set_offline(True)
    for ticket in held:
        page.goto(live_server.at(f"/tickets/{ticket.id}"))
        expect(page.get_by_role("heading", level=1, name=ticket.title)).to_be_visible()
        expect(page.locator("#offline-banner")).to_be_visible()
        assert read_qr(page) == ticket.code
        pdf = page.evaluate(
            """async (path) => {
              const response = await fetch(path);
              const bytes = new Uint8Array(await response.arrayBuffer());
              return [response.status, response.headers.get("content-type"),
                      String.fromCharCode(...bytes.slice(0, 5))];
            }""",
            f"/tickets/{ticket.id}/pdf",
        )
        assert pdf == [200, "application/pdf", "%PDF-"]

    # "My tickets" (saved too) says, per ticket, that it is on the phone.
    page.goto(live_server.at("/my/tickets"))
    for ticket in held:
        item = page.locator(f'[data-offline-page="/tickets/{ticket.id}"]')
        expect(item.get_by_text("Available offline")).to_be_visible()
    expect(page.get_by_text("Available offline")).to_have_count(len(held))
    assert problems.unexpected() == []


def test_log_out_drops_every_saved_ticket_and_pdf(
    page: Page, live_server: LiveServer, arranged: Arranged, problems: BrowserProblems
) -> None:
    """Fails if the tickets saved without being opened outlived the log-out."""
    organizer = arranged.token("Olga", "olga@example.com", "organizer")
    ana = arranged.token("Ana", "ana@example.com")
    event_id = arranged.event(organizer, "Fado Under the Stars", days=2)
    [ticket_id] = arranged.tickets(ana, event_id, 1)["tickets"]

    page.goto(live_server.at("/login"))
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.get_by_label("Email", exact=True).fill("ana@example.com")
    page.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_server.at("/"))
    user_id = page.evaluate("document.body.dataset.user")
    wait_until_saved(page, user_id, [f"/tickets/{ticket_id}", f"/tickets/{ticket_id}/pdf"])

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    until(
        page,
        """async (prefix) => !(await caches.keys()).some((name) => name.startsWith(prefix))""",
        PRIVATE,
    )
    problems.allow("net::ERR_")
    page.context.set_offline(True)
    found = page.evaluate(
        """async (path) => {
          try { return (await fetch(path)).status; } catch { return "failed"; }
        }""",
        f"/tickets/{ticket_id}/pdf",
    )
    assert found == "failed"
    assert problems.unexpected() == []
