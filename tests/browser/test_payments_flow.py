"""Paying on a phone with the payment simulator (the default provider).

The simulator answers as Stripe's test cards do: 4242... succeeds, 4000...0002 is declined,
4000 0025 0000 3155 asks for 3-D Secure, and any other number is refused with a hint. The
organizer and the event are arranged through the live server's JSON API; the attendee pays
in the browser, and the mailed PDF's QR code is read back and checked at the door's API.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserProblems, LiveServer
from tests.browser.test_events_flow import Api, Person, answers, log_in
from tests.helpers import outbox_messages

pytestmark = pytest.mark.settings(require_email_verification=False)

CHECKOUT_URL = re.compile(r"/checkout/([^/?#]+)$")
TICKET_URL = re.compile(r"/tickets/([^/?#]+)(?:#qr)?$")  # "My tickets" links to the QR
MAIL_WAIT = 5.0  # seconds


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[Api]:
    api = Api(live_server)
    yield api
    api.close()


@pytest.fixture
def payment_problems(problems: BrowserProblems) -> BrowserProblems:
    # Chromium notes every 4xx answer in the console: a refused card (402) or a number the
    # simulator does not know (422) is what these tests ask for.
    problems.allow("status of 402")
    problems.allow("status of 422")
    return problems


def open_checkout(page: Page, server: LiveServer, api: Api) -> tuple[Person, str, str]:
    """An organizer's paid event (€25.00 a ticket); the attendee holds 2 seats at checkout.

    Returns the organizer, the event's id and the registration's id."""
    organizer = api.sign_up("Olga", "olga@example.com", "organizer")
    event_id = api.event(organizer, title="Opera Gala", price=2500, capacity=10, days=7)
    attendee = api.sign_up("Ana", "ana@example.com")
    log_in(page, server, attendee, "/")
    page.goto(server.at(f"/events/{event_id}"))
    page.get_by_label("Tickets", exact=True).select_option(label="2 · €50.00")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page).to_have_url(CHECKOUT_URL)
    match = CHECKOUT_URL.search(page.url)
    assert match is not None
    return organizer, event_id, match.group(1)


def pay(
    page: Page, registration_id: str, number: str, cvc: str = "123", amount: str = "€50.00"
) -> int:
    """Types a card in and pays; returns the status of the htmx answer."""
    number_field = page.get_by_label("Card number", exact=True)
    number_field.fill("")
    number_field.press_sequentially(number)
    expiry = page.get_by_label("Expiry (MM/YY)", exact=True)
    expiry.fill("")
    expiry.press_sequentially("1230")
    page.get_by_label("CVC", exact=True).fill(cvc)
    path = f"/checkout/{registration_id}/pay"
    with page.expect_response(answers("POST", path)) as answer:
        page.get_by_role("button", name=f"Pay {amount}").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    return answer.value.status


def confirmation_mails(server: LiveServer, to: str) -> list[EmailMessage]:
    """The "You're going" mails to `to`, waiting a little: they go after the answer."""
    deadline = time.monotonic() + MAIL_WAIT
    while True:
        mails = [
            mail
            for mail in outbox_messages(server.settings, to)
            if str(mail["Subject"]).startswith("You're going")
        ]
        if mails or time.monotonic() > deadline:
            return mails
        time.sleep(0.05)


def expect_card_error(page: Page, message: str | re.Pattern[str]) -> None:
    """`message` is shown next to the card number field and tied to it."""
    number = page.get_by_label("Card number", exact=True)
    expect(page.locator("#f-card_number-error")).to_have_text(message)
    expect(number).to_have_attribute("aria-invalid", "true")
    description = message if isinstance(message, re.Pattern) else re.compile(re.escape(message))
    expect(number).to_have_accessible_description(description)
    expect(page.get_by_role("alert")).to_contain_text(message)


def test_declined_card_then_paid_tickets_arrive_with_a_genuine_qr(
    page: Page, live_server: LiveServer, api: Api, payment_problems: BrowserProblems, tmp_path: Path
) -> None:
    organizer, event_id, registration_id = open_checkout(page, live_server, api)
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    expect(page.get_by_text("Your seats are held until")).to_be_visible()
    expect(page.locator(".hold .countdown")).to_have_text(re.compile(r"^\d+:\d\d left\.$"))
    expect(page.locator(".facts .price")).to_have_text("€50.00")
    number = page.get_by_label("Card number", exact=True)
    expiry = page.get_by_label("Expiry (MM/YY)", exact=True)
    cvc = page.get_by_label("CVC", exact=True)
    for field in (number, expiry, cvc):
        expect(field).to_be_visible()
    expect(page.get_by_role("button", name="Pay €50.00")).to_be_visible()

    # app.js groups the digits and puts in the slash as one types.
    number.press_sequentially("4000000000000002")
    expect(number).to_have_value("4000 0000 0000 0002")
    expiry.press_sequentially("1230")
    expect(expiry).to_have_value("12/30")
    cvc.fill("123")
    with page.expect_response(answers("POST", f"/checkout/{registration_id}/pay")) as answer:
        page.get_by_role("button", name="Pay €50.00").click()
    assert answer.value.status == 402
    assert answer.value.request.headers.get("hx-request") == "true"
    expect_card_error(page, "Your card was declined.")
    expect(number).to_be_focused()
    expect(number).to_have_value("4000 0000 0000 0002")
    expect(expiry).to_have_value("12/30")
    expect(cvc).to_have_value("")
    expect(page).to_have_url(live_server.at(f"/checkout/{registration_id}"))
    expect(page.get_by_text("Your seats are held until")).to_be_visible()
    # Still held on the server, not only on the page.
    event = api.http.get(f"/events/{event_id}").json()
    assert event["seats_left"] == 8

    assert pay(page, registration_id, "4242 4242 4242 4242") == 200
    expect(page).to_have_url(live_server.at(f"/my/registrations/{registration_id}"))
    expect(page.get_by_role("status")).to_contain_text("Payment received: your tickets are ready.")
    expect(page.get_by_text("You're going!")).to_be_visible()
    # The tickets are right there (issue 14): a QR, a PDF each, and the calendar.
    here = page.locator(".registration-tickets")
    expect(here.locator(".qr svg")).to_have_count(2)
    expect(here.get_by_role("link", name=re.compile("^Download PDF"))).to_have_count(2)
    expect(here.get_by_role("link", name="Add to calendar")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My tickets").click()
    expect(page).to_have_url(live_server.at("/my/tickets"))
    items = page.locator(".ticket-item")
    expect(items).to_have_count(2)
    for n in range(2):
        expect(items.nth(n)).to_contain_text("Opera Gala")
    items.first.get_by_role("link").click()
    expect(page).to_have_url(TICKET_URL)
    expect(page.locator(".qr svg")).to_be_visible()
    match = TICKET_URL.search(page.url)
    assert match is not None
    ticket_id = match.group(1)
    # The link redirects to a fresh signed link to the file, which is served inline. Chromium's
    # PDF viewer then asks for /favicon.ico, which the app does not serve (its pages name
    # /static/icons/icon.svg): a 404 noted in the console, sometimes.
    payment_problems.allow(f"'url': '{live_server.at('/favicon.ico')}'")
    with page.expect_response(re.compile(r"/files/")) as answer:
        page.get_by_role("link", name="Download PDF").click()
    pdf = answer.value
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert f'filename="ticket-{ticket_id}.pdf"' in pdf.headers["content-disposition"]
    # Chromium opens it in its viewer (whose page is what `pdf.body()` gives); the file:
    assert page.request.get(pdf.url).body().startswith(b"%PDF")

    # The mailed PDF's QR code is genuine and for this event: the door says "not yet open".
    [mail] = confirmation_mails(live_server, "ana@example.com")
    pdfs = [
        part for part in mail.iter_attachments() if part.get_content_type() == "application/pdf"
    ]
    assert len(pdfs) == 2  # one per ticket (next to them, a calendar entry)
    (tmp_path / "ticket.pdf").write_bytes(pdfs[0].get_content())
    subprocess.run(
        ["/usr/bin/pdftoppm", "-r", "150", "-png", tmp_path / "ticket.pdf", tmp_path / "page"],
        check=True,
    )
    [png] = sorted(tmp_path.glob("page*.png"))
    [decoded] = zxingcpp.read_barcodes(Image.open(png))
    body = {"code": decoded.text, "event_id": event_id}
    response = api.http.post("/tickets/validate", json=body, headers=organizer.headers)
    assert response.status_code == 200, response.text
    assert response.json()["result"] == "not_yet_open"
    last = decoded.text[-1]
    forged = {"code": decoded.text[:-1] + ("B" if last == "A" else "A"), "event_id": event_id}
    response = api.http.post("/tickets/validate", json=forged, headers=organizer.headers)
    assert response.json()["result"] == "invalid"
    assert payment_problems.unexpected() == []


def test_3d_secure_failed_then_confirmed(
    page: Page, live_server: LiveServer, api: Api, payment_problems: BrowserProblems
) -> None:
    _, _, registration_id = open_checkout(page, live_server, api)
    checkout_url = page.url
    assert pay(page, registration_id, "4000 0025 0000 3155") == 200

    # The bank's prompt takes the card form's place in the checkout (not a page in a page).
    bank = page.locator("#payment")
    expect(bank.get_by_role("heading", name="Your bank asks you to confirm")).to_be_visible()
    expect(bank).to_contain_text("Pay €50.00 for Opera Gala?")
    expect(page.get_by_role("main")).to_have_count(1)
    expect(page.get_by_role("navigation")).to_have_count(1)
    expect(page.get_by_text("Your seats are held until")).to_be_visible()
    expect(page).to_have_url(checkout_url)

    with page.expect_response(answers("POST", f"/checkout/{registration_id}/pay")) as answer:
        bank.get_by_role("button", name="Fail authentication").click()
    assert answer.value.status == 402
    # A plain form post: the checkout comes back as a whole page, with the card kept.
    expect_card_error(page, "The bank could not confirm it was you.")
    expect(page.get_by_label("Card number", exact=True)).to_have_value("4000 0025 0000 3155")
    expect(page.get_by_label("Expiry (MM/YY)", exact=True)).to_have_value("12/30")
    expect(page.get_by_label("CVC", exact=True)).to_have_value("")
    expect(page.get_by_text("Your seats are held until")).to_be_visible()

    assert pay(page, registration_id, "4000 0025 0000 3155") == 200
    bank.get_by_role("button", name="Confirm payment").click()
    expect(page).to_have_url(live_server.at(f"/my/registrations/{registration_id}"))
    expect(page.get_by_role("status")).to_contain_text("Payment received: your tickets are ready.")
    expect(page.get_by_text("You're going!")).to_be_visible()
    assert payment_problems.unexpected() == []


def test_a_card_the_simulator_does_not_know_gets_a_hint(
    page: Page, live_server: LiveServer, api: Api, payment_problems: BrowserProblems
) -> None:
    _, _, registration_id = open_checkout(page, live_server, api)
    assert pay(page, registration_id, "5555 5555 5555 4444") == 422
    expect_card_error(page, re.compile(r"use a Stripe test card"))
    expect(page.get_by_label("Card number", exact=True)).to_have_value("5555 5555 5555 4444")
    expect(page.get_by_label("CVC", exact=True)).to_have_value("")
    expect(page).to_have_url(live_server.at(f"/checkout/{registration_id}"))
    assert payment_problems.unexpected() == []
