"""The door on a phone: the scanner reads a real ticket's QR code through the camera.

Chromium's fake camera plays a Y4M video made from a PNG of the ticket's QR code (rendered
here with `qrcode`, turned into video by ffmpeg), so the page decodes real frames exactly
as it would on a phone (jsQR on a canvas: Linux Chromium has no BarcodeDetector). What is
arranged in the background (accounts, the event, registrations) goes through the JSON API.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import qrcode
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, Request, expect

from tests.api_helpers import API, event_body, parse_time
from tests.browser.conftest import PHONE, BrowserProblems, LiveServer, watch_problems
from tests.helpers import GOOD_PASSWORD

pytestmark = pytest.mark.settings(require_email_verification=False)

ZONE = "Asia/Tokyo"  # far from UTC, so a time shown in UTC or the phone's zone is caught
STARTS_IN_DAYS = 1 / 24  # in an hour: doors open two hours before the start by default


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    """The live server's JSON API, for what the test only needs in the background."""

    def __init__(self, server: LiveServer) -> None:
        self.http = httpx.Client(base_url=server.url + API, timeout=10)

    def sign_up(self, name: str, email: str, role: str = "attendee") -> Person:
        body = {"email": email, "password": GOOD_PASSWORD, "name": name, "role": role}
        response = self.http.post("/auth/signup", json=body)
        assert response.status_code == 201, response.text
        response = self.http.post("/auth/token", json={"email": email, "password": GOOD_PASSWORD})
        assert response.status_code == 200, response.text
        return Person(email, name, response.json()["access_token"])

    def open_event(self, organizer: Person) -> str:
        """A published free event whose doors are open now."""
        body = event_body(
            days=STARTS_IN_DAYS, title="Door Test Night", venue="Hall B", timezone=ZONE
        )
        response = self.http.post("/events", json=body, headers=organizer.headers)
        assert response.status_code == 201, response.text
        event_id = response.json()["id"]
        response = self.http.post(f"/events/{event_id}/publish", headers=organizer.headers)
        assert response.status_code == 200, response.text
        return event_id

    def ticket(self, person: Person, event_id: str) -> dict[str, Any]:
        """Registers `person` for one seat and answers their (confirmed) ticket."""
        body = {"event_id": event_id, "quantity": 1}
        response = self.http.post("/registrations", json=body, headers=person.headers)
        assert response.status_code == 201, response.text
        registration = response.json()
        assert registration["status"] == "confirmed", registration
        (ticket_id,) = registration["tickets"]
        return self.get_ticket(person, ticket_id)

    def validate(self, person: Person, code: str, event_id: str) -> dict[str, Any]:
        body = {"code": code, "event_id": event_id, "gate": "Side gate"}
        response = self.http.post("/tickets/validate", json=body, headers=person.headers)
        assert response.status_code == 200, response.text
        return response.json()

    def get_ticket(self, person: Person, ticket_id: str) -> dict[str, Any]:
        response = self.http.get(f"/tickets/{ticket_id}", headers=person.headers)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[Api]:
    api = Api(live_server)
    yield api
    api.http.close()


def camera_video(code: str, folder: Path) -> Path:
    """A Y4M clip of `code`'s QR code held still in front of a 640x480 camera."""
    qr = qrcode.QRCode(box_size=10, border=4)
    qr.add_data(code)
    qr.make(fit=True)
    symbol = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(symbol, ((640 - symbol.width) // 2, (480 - symbol.height) // 2))
    png = folder / "ticket-qr.png"
    frame.save(png)
    video = folder / "ticket-qr.y4m"
    # Chromium loops the clip; a short one at a low frame rate keeps the file small.
    command = ["ffmpeg", "-loglevel", "error", "-y", "-loop", "1", "-i", str(png)]
    command += ["-r", "5", "-t", "2", "-pix_fmt", "yuv420p", "-vf", "scale=640:480", str(video)]
    subprocess.run(command, check=True, timeout=30)
    return video


@pytest.fixture
def camera_browser(
    browser_type_launch_args: dict[str, Any],
    launch_browser: Callable[..., Browser],
    tmp_path: Path,
) -> Iterator[Callable[[str], Browser]]:
    """Launches a Chromium whose camera shows the QR code of the code given."""
    launched: list[Browser] = []

    def launch(code: str) -> Browser:
        fake_camera = [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={camera_video(code, tmp_path)}",
        ]
        browser = launch_browser(args=[*browser_type_launch_args["args"], *fake_camera])
        launched.append(browser)
        return browser

    yield launch
    for browser in launched:
        browser.close()


def log_in(page: Page, server: LiveServer, person: Person, landing: str) -> None:
    page.goto(server.at("/login"))
    page.get_by_label("Email", exact=True).fill(person.email)
    page.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(server.at(landing))


def is_validate(request: Request) -> bool:
    return request.method == "POST" and request.url.endswith(f"{API}/tickets/validate")


def test_door_scans_a_ticket_then_sees_it_used(
    camera_browser: Callable[[str], Browser], live_server: LiveServer, api: Api
) -> None:
    organizer = api.sign_up("Olga Organizer", "olga@example.com", "organizer")
    event_id = api.open_event(organizer)
    ana = api.sign_up("Ana Attendee", "ana@example.com")
    ticket = api.ticket(ana, event_id)

    context = camera_browser(ticket["code"]).new_context(**PHONE, permissions=["camera"])
    page = context.new_page()
    problems = watch_problems(page)
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request) if is_validate(request) else None)
    # The organizer scans at their own event.
    log_in(page, live_server, organizer, "/organizer")
    page.goto(live_server.at(f"/door/{event_id}"))
    expect(page.get_by_role("heading", name="Door Test Night")).to_be_visible()
    counter = page.locator("#door-progress")
    expect(counter).to_have_text("0 / 1 admitted")
    page.get_by_label("Gate", exact=True).fill("North gate")

    page.get_by_role("button", name="Start camera").click()
    result = page.locator("#door-result")
    expect(result).to_be_visible(timeout=10_000)
    expect(result).to_have_class(re.compile(r"\bdoor-result-ok\b"))
    expect(result.locator(".door-result-title")).to_have_text("ADMITTED")
    expect(result.locator(".door-result-name")).to_have_text("Ana Attendee")
    # The ticket type, big (issue 13: VIP at a glance).
    expect(result.locator(".door-result-type")).to_have_text("General admission")
    expect(counter).to_have_text("1 / 1 admitted")
    assert len(sent) == 1  # one scan while the answer is up, however many frames show it
    body = sent[0].post_data_json
    assert body["code"] == ticket["code"]
    assert body["event_id"] == event_id
    assert body["gate"] == "North gate"
    assert body["device"]
    assert sent[0].headers.get("x-csrf-token")

    # The answer closes by itself; the camera still sees the ticket, which is now used.
    expect(result).to_be_hidden(timeout=4_000)
    expect(result).to_be_visible(timeout=6_000)
    expect(result).to_have_class(re.compile(r"\bdoor-result-warn\b"))
    expect(result.locator(".door-result-title")).to_have_text("ALREADY USED")
    expect(result.locator(".door-result-name")).to_have_text("Ana Attendee")
    # When and where it was first admitted, in the event's time zone (with the day, if
    # that was not today there).
    first = parse_time(api.get_ticket(ana, ticket["id"])["checked_in_at"]).astimezone(
        ZoneInfo(ZONE)
    )
    day = "" if first.date() == datetime.now(ZoneInfo(ZONE)).date() else r"\w+ \d+ \w+, "
    detail = rf"First scanned at {day}{first:%H:%M}, North gate\."
    expect(result.locator(".door-result-detail")).to_have_text(re.compile(detail))
    expect(counter).to_have_text("1 / 1 admitted")
    assert sent[1].post_data_json["device"] == body["device"]  # one id per phone

    # A tap closes it at once; the gate is remembered for the next visit.
    result.click()
    expect(result).to_be_hidden()
    page.get_by_role("button", name="Stop camera").click()
    expect(page.get_by_role("button", name="Start camera")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Gate", exact=True)).to_have_value("North gate")
    assert problems.unexpected() == []
    context.close()


def test_door_checks_typed_codes_and_admits_by_name(
    page: Page, live_server: LiveServer, api: Api, problems: BrowserProblems
) -> None:
    organizer = api.sign_up("Olga Organizer", "olga@example.com", "organizer")
    event_id = api.open_event(organizer)
    ana = api.ticket(api.sign_up("Ana Attendee", "ana@example.com"), event_id)
    api.ticket(api.sign_up("Bea Friend", "bea@example.com"), event_id)
    log_in(page, live_server, organizer, "/organizer")
    page.clock.install()  # runs as usual until fast-forwarded
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.at(f"/door/{event_id}"))
    counter = page.locator("#door-progress")
    expect(counter).to_have_text("0 / 2 admitted")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320

    result = page.locator("#door-result")
    page.get_by_label("Ticket code", exact=True).fill("not-a-ticket")
    page.get_by_role("button", name="Check code").click()
    expect(result).to_be_visible()
    expect(result).to_have_class(re.compile(r"\bdoor-result-bad\b"))
    expect(result.locator(".door-result-title")).to_have_text("INVALID")
    result.click()
    expect(result).to_be_hidden()
    expect(counter).to_have_text("0 / 2 admitted")

    page.get_by_label("Attendee name", exact=True).fill("bea")
    page.get_by_role("button", name="Search", exact=True).click()
    found = page.locator("#door-found li")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("Bea Friend")
    found.get_by_role("button", name="Admit").click()
    expect(result.locator(".door-result-title")).to_have_text("ADMITTED")
    expect(result.locator(".door-result-name")).to_have_text("Bea Friend")
    expect(result.locator(".door-result-detail")).to_be_hidden()  # no group to wait for
    expect(counter).to_have_text("1 / 2 admitted")
    result.click()
    # The list is searched again: Bea's ticket can no longer be admitted.
    expect(found).to_contain_text("Already used")
    expect(found.get_by_role("button", name="Admit")).to_have_count(0)

    # Another phone at another gate admits Ana; the counter catches up within 15 s.
    assert api.validate(organizer, ana["code"], event_id)["result"] == "admitted"
    page.clock.fast_forward(15_000)
    expect(counter).to_have_text("2 / 2 admitted")
    assert problems.unexpected() == []


# -- without a connection ----------------------------------------------------------------


def check_code(page: Page, code: str) -> Locator:
    """Types `code` into the scanner and answers the result screen once it shows."""
    page.get_by_label("Ticket code", exact=True).fill(code)
    page.get_by_role("button", name="Check code").click()
    result = page.locator("#door-result")
    expect(result).to_be_visible()
    return result


def close(result: Locator) -> None:
    result.click()
    expect(result).to_be_hidden()


def one_character_changed(code: str) -> str:
    """The code with one character of its signature changed (still well-formed base32)."""
    at = len(code) - 20
    return code[:at] + ("B" if code[at] == "A" else "A") + code[at + 1 :]


def expect_offline_list(page: Page, tickets: str) -> None:
    status = page.locator("#door-offline-status")
    expect(status).to_have_text(re.compile(rf"^Offline list: {tickets}, synced \d\d:\d\d"))


def test_door_checks_codes_offline_and_sends_them_when_back(
    page: Page, live_server: LiveServer, api: Api, problems: BrowserProblems
) -> None:
    organizer = api.sign_up("Olga Organizer", "olga@example.com", "organizer")
    event_id = api.open_event(organizer)
    ana_person = api.sign_up("Ana Attendee", "ana@example.com")
    ana = api.ticket(ana_person, event_id)
    cy_person = api.sign_up("Cy Early", "cy@example.com")
    cy = api.ticket(cy_person, event_id)
    elsewhere = api.ticket(ana_person, api.open_event(organizer))
    log_in(page, live_server, organizer, "/organizer")
    page.goto(live_server.at(f"/door/{event_id}"))
    expect_offline_list(page, "2 tickets")  # fetched when the page opened
    counter = page.locator("#door-progress")
    expect(counter).to_have_text("0 / 2 admitted")

    # After the sync: Bea buys a ticket, and another door admits Cy (the phone's list
    # still has Cy's ticket as valid).
    bea_person = api.sign_up("Bea Late", "bea@example.com")
    bea = api.ticket(bea_person, event_id)
    assert api.validate(organizer, cy["code"], event_id)["result"] == "admitted"

    page.context.set_offline(True)
    expect(page.locator("#door-alert")).to_contain_text(
        "You are offline: codes are checked on this phone"
    )
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request) if is_validate(request) else None)

    result = check_code(page, ana["code"])
    expect(result).to_have_class(re.compile(r"\bdoor-result-ok\b"))
    expect(result.locator(".door-result-title")).to_have_text("ADMITTED")
    expect(result.locator(".door-result-name")).to_have_text("Ana Attendee")
    expect(result.locator(".door-result-type")).to_have_text("General admission")  # from the list
    expect(result.locator(".door-result-offline")).to_have_text(
        "Offline: not confirmed by the server yet"
    )
    close(result)

    result = check_code(page, ana["code"])
    expect(result).to_have_class(re.compile(r"\bdoor-result-warn\b"))
    expect(result.locator(".door-result-title")).to_have_text("ALREADY USED")
    expect(result.locator(".door-result-detail")).to_have_text(
        re.compile(r"^First scanned at \d\d:\d\d, Main gate\. Do not admit again\.$")
    )
    expect(result.locator(".door-result-offline")).to_be_visible()
    close(result)

    result = check_code(page, elsewhere["code"])
    expect(result).to_have_class(re.compile(r"\bdoor-result-bad\b"))
    expect(result.locator(".door-result-title")).to_have_text("WRONG EVENT")
    close(result)

    result = check_code(page, one_character_changed(ana["code"]))
    expect(result).to_have_class(re.compile(r"\bdoor-result-bad\b"))
    expect(result.locator(".door-result-title")).to_have_text("INVALID")
    close(result)

    # Sold after the sync: the signature proves it was issued for this event.
    result = check_code(page, bea["code"])
    expect(result.locator(".door-result-title")).to_have_text("ADMITTED")
    expect(result.locator(".door-result-detail")).to_contain_text("not in the list yet")
    close(result)

    result = check_code(page, cy["code"])  # the list does not know yet
    expect(result.locator(".door-result-title")).to_have_text("ADMITTED")
    close(result)

    expect(page.locator("#door-offline-status")).to_contain_text("3 offline check-ins to send")
    assert sent == []  # nothing reached for the network
    assert api.get_ticket(ana_person, ana["id"])["status"] == "valid"
    expect(counter).to_have_text("0 / 2 admitted")  # the server's figure when last online

    # Back online: each admission is sent to the server, which admits once.
    page.context.set_offline(False)
    panel = page.locator("#door-sync")
    expect(panel).to_be_visible()
    expect(panel.locator("#door-sync-summary")).to_have_text(
        "Sent 3 offline check-ins: 2 confirmed, 1 conflict."
    )
    lines = panel.locator("#door-sync-log li")
    expect(lines).to_have_count(3)
    expect(lines.filter(has_text="Ana Attendee")).to_have_text(
        re.compile(r"^Ana Attendee: admitted offline at \d\d:\d\d: confirmed\.$")
    )
    expect(lines.filter(has_text="Bea Late")).to_contain_text("confirmed.")
    conflict = lines.filter(has_text="Cy Early")
    expect(conflict).to_have_class("door-sync-warn")
    expect(conflict).to_have_text(
        re.compile(
            r"^Cy Early: admitted offline at \d\d:\d\d, but it had already been used"
            r" at \d\d:\d\d \(Side gate\)\.$"
        )
    )
    expect(counter).to_have_text("3 / 3 admitted")
    for person, ticket in ((ana_person, ana), (bea_person, bea)):
        saved = api.get_ticket(person, ticket["id"])
        assert saved["status"] == "used"
        assert saved["checked_in_at"] is not None
    assert len(sent) == 3
    assert {request.post_data_json["gate"] for request in sent} == {"Main gate"}
    expect(page.locator("#door-offline-status")).not_to_contain_text("to send")
    expect(page.locator("#door-alert")).to_be_hidden()

    # Online again, the server answers as usual.
    result = check_code(page, ana["code"])
    expect(result.locator(".door-result-title")).to_have_text("ALREADY USED")
    expect(result.locator(".door-result-offline")).to_be_hidden()
    assert problems.unexpected() == []


# The worker's caches: which of `paths` each cache whose name starts with `prefix` holds.
SAVED = """async ([prefix, paths]) => {
  for (const name of await caches.keys()) {
    if (!name.startsWith(prefix)) continue;
    const cache = await caches.open(name);
    const hits = await Promise.all(paths.map((path) => cache.match(path)));
    if (hits.every(Boolean)) return true;
  }
  return false;
}"""

DOOR_ASSETS = [
    "/static/css/door.css",
    "/static/vendor/jsQR.js",
    "/static/js/door.js",
    "/static/js/door-offline.js",
    "/static/js/door-codes.js",
    "/static/js/door-sync.js",
]


def test_the_scanner_opens_and_admits_offline_after_a_reload(
    page: Page, live_server: LiveServer, api: Api, problems: BrowserProblems
) -> None:
    organizer = api.sign_up("Olga Organizer", "olga@example.com", "organizer")
    event_id = api.open_event(organizer)
    ana_person = api.sign_up("Ana Attendee", "ana@example.com")
    ana = api.ticket(ana_person, event_id)
    log_in(page, live_server, organizer, "/organizer")
    scanner = live_server.at(f"/door/{event_id}")
    page.goto(scanner)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the worker, which keeps the page and what it loads
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    user_id = page.evaluate("document.body.dataset.user")
    page.wait_for_function(SAVED, arg=[f"admit-private:{user_id}", [f"/door/{event_id}"]])
    page.wait_for_function(SAVED, arg=["admit-static-", DOOR_ASSETS])
    expect_offline_list(page, "1 ticket")

    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="Door Test Night")).to_be_visible()
    expect_offline_list(page, "1 ticket")
    expect(page.locator("#door-alert")).to_contain_text("You are offline")
    result = check_code(page, ana["code"])
    expect(result.locator(".door-result-title")).to_have_text("ADMITTED")
    expect(result.locator(".door-result-offline")).to_be_visible()
    close(result)

    # The admission waits on the phone, across another reload without a connection.
    page.reload()
    expect(page.locator("#door-offline-status")).to_contain_text("1 offline check-in to send")
    result = check_code(page, ana["code"])
    expect(result.locator(".door-result-title")).to_have_text("ALREADY USED")
    close(result)

    page.context.set_offline(False)
    expect(page.locator("#door-sync-summary")).to_have_text("Sent 1 offline check-in: 1 confirmed.")
    expect(page.locator("#door-progress")).to_have_text("1 / 1 admitted")
    assert api.get_ticket(ana_person, ana["id"])["status"] == "used"

    # Log-out drops the saved scanner and the offline list (it names attendees).
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(live_server.at("/"))
    page.wait_for_function(
        """async () => !(await caches.keys()).some((name) => name.startsWith("admit-private:"))
          && !(await indexedDB.databases()).some((db) => db.name === "admit-door-lists")"""
    )
    assert problems.unexpected() == []


def test_a_failed_call_is_decided_offline_but_an_error_answer_is_not(
    page: Page, live_server: LiveServer, api: Api, problems: BrowserProblems
) -> None:
    """The phone decides by itself when the request cannot reach the server (a fault
    forced with page.route), never when the server answers with an error."""
    organizer = api.sign_up("Olga Organizer", "olga@example.com", "organizer")
    event_id = api.open_event(organizer)
    ana_person = api.sign_up("Ana Attendee", "ana@example.com")
    ana = api.ticket(ana_person, event_id)
    log_in(page, live_server, organizer, "/organizer")
    page.clock.install()  # runs as usual until fast-forwarded
    page.goto(live_server.at(f"/door/{event_id}"))
    expect_offline_list(page, "1 ticket")
    validate_url = f"**{API}/tickets/validate"

    problems.allow("503 (Service Unavailable)")
    page.route(validate_url, lambda route: route.fulfill(status=503, json={}))
    result = check_code(page, ana["code"])
    expect(result).to_have_class(re.compile(r"\bdoor-result-error\b"))
    expect(result.locator(".door-result-title")).to_have_text("NOT CHECKED")
    expect(result.locator(".door-result-offline")).to_be_hidden()
    close(result)
    page.unroute(validate_url)

    problems.allow("net::ERR_INTERNET_DISCONNECTED")
    page.route(validate_url, lambda route: route.abort("internetdisconnected"))
    result = check_code(page, ana["code"])
    expect(result.locator(".door-result-title")).to_have_text("ADMITTED")
    expect(result.locator(".door-result-offline")).to_be_visible()
    close(result)
    status = page.locator("#door-offline-status")
    expect(status).to_contain_text("1 offline check-in to send")

    with page.expect_event("requestfailed", predicate=is_validate):
        page.clock.fast_forward(45_000)  # a sync while the calls still fail keeps it
    expect(status).to_contain_text("1 offline check-in to send")
    assert api.get_ticket(ana_person, ana["id"])["status"] == "valid"

    page.unroute(validate_url)
    page.clock.fast_forward(45_000)
    expect(page.locator("#door-sync-summary")).to_have_text("Sent 1 offline check-in: 1 confirmed.")
    expect(status).not_to_contain_text("to send")
    assert api.get_ticket(ana_person, ana["id"])["status"] == "used"
    assert problems.unexpected() == []


def test_offline_check_ins_are_only_ever_sent_by_the_account_that_made_them(
    page: Page, live_server: LiveServer, api: Api, problems: BrowserProblems
) -> None:
    """Fails before issue 10: a check-in queued under one log-in was sent under whoever
    logged in next on the same phone (and recorded as theirs)."""
    organizer = api.sign_up("Olga Organizer", "olga@example.com", "organizer")
    event_id = api.open_event(organizer)
    dora = api.sign_up("Dora Door", "dora@example.com")
    added = api.http.post(
        f"/events/{event_id}/door-staff", json={"email": dora.email}, headers=organizer.headers
    )
    assert added.status_code == 201, added.text
    ana_person = api.sign_up("Ana Attendee", "ana@example.com")
    ana = api.ticket(ana_person, event_id)
    validate_url = f"**{API}/tickets/validate"

    # Olga admits Ana while the server cannot be reached: queued on the phone, as hers.
    log_in(page, live_server, organizer, "/organizer")
    page.goto(live_server.at(f"/door/{event_id}"))
    expect_offline_list(page, "1 ticket")
    problems.allow("net::ERR_INTERNET_DISCONNECTED")
    page.route(validate_url, lambda route: route.abort("internetdisconnected"))
    result = check_code(page, ana["code"])
    expect(result.locator(".door-result-title")).to_have_text("ADMITTED")
    expect(result.locator(".door-result-offline")).to_be_visible()
    close(result)
    status = page.locator("#door-offline-status")
    expect(status).to_contain_text("1 offline check-in to send")

    # Olga logs out; Dora logs in on the same phone, with the connection back.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    page.unroute(validate_url)
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request) if is_validate(request) else None)
    log_in(page, live_server, dora, "/")
    page.goto(live_server.at(f"/door/{event_id}"))
    expect_offline_list(page, "1 ticket")  # Dora's own sync ran: the page is settled
    expect(status).to_contain_text(
        "1 offline check-in of another account, sent when it logs in here again"
    )
    expect(status).not_to_contain_text("to send ·")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")  # another sync
    expect(status).to_contain_text("of another account")
    assert sent == []
    assert api.get_ticket(ana_person, ana["id"])["status"] == "valid"
    # Olga's admission still stands on this phone: Ana is not admitted twice offline.
    page.route(validate_url, lambda route: route.abort("internetdisconnected"))
    result = check_code(page, ana["code"])
    expect(result.locator(".door-result-title")).to_have_text("ALREADY USED")
    close(result)
    page.unroute(validate_url)

    # Back under Olga's log-in, her admission goes out, as hers.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    sent.clear()
    log_in(page, live_server, organizer, "/organizer")
    page.goto(live_server.at(f"/door/{event_id}"))
    expect(page.locator("#door-sync-summary")).to_have_text("Sent 1 offline check-in: 1 confirmed.")
    assert api.get_ticket(ana_person, ana["id"])["status"] == "used"
    assert len(sent) == 1
    assert problems.unexpected() == []
