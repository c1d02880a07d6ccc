"""Accounts on a phone: sign up, confirm the mailed code, log out and in; bad input is kept.

The forms submit through htmx: errors come back as the form fragment, success as an
`HX-Redirect`. These tests see only what a person sees (labels, buttons, messages).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Response, expect

from tests.browser.conftest import BrowserProblems, LiveServer
from tests.helpers import GOOD_PASSWORD, latest_code


def is_form_post(path: str) -> Callable[[Response], bool]:
    return lambda response: (
        response.request.method == "POST" and response.url.split("?")[0].endswith(path)
    )


def sign_up(page: Page, server: LiveServer, name: str, email: str, role: str) -> None:
    page.goto(server.at("/signup"))
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    page.get_by_role("radio", name=role).check()
    with page.expect_response(is_form_post("/signup")) as answer:
        page.get_by_role("button", name="Create account").click()
    # Sent by htmx, answered with a redirect that htmx follows.
    assert answer.value.request.headers.get("hx-request") == "true"
    assert answer.value.headers.get("hx-redirect", "").startswith("/verify?")


def confirm_mailed_code(page: Page, server: LiveServer, email: str) -> None:
    expect(page).to_have_url(re.compile(r"/verify\?"))
    expect(page.get_by_role("heading", name="Confirm your email")).to_be_visible()
    expect(page.get_by_label("Email", exact=True)).to_have_value(email)
    code = page.get_by_label("Code", exact=True)
    expect(code).to_have_attribute("inputmode", "numeric")  # the phone shows digits
    code.fill(latest_code(server.settings, email))
    page.get_by_role("button", name="Confirm email").click()


def test_attendee_signs_up_confirms_logs_out_and_in(
    page: Page, live_server: LiveServer, problems: BrowserProblems
) -> None:
    email = "ana.phone@example.com"
    sign_up(page, live_server, "Ana Phone", email, "Attend events")
    expect(page.get_by_role("status")).to_contain_text(f"We sent a 6-digit code to {email}")
    confirm_mailed_code(page, live_server, email)

    expect(page).to_have_url(live_server.at("/"))
    expect(page.get_by_role("status")).to_contain_text("Your email address is confirmed")
    log_out = page.get_by_role("button", name="Log out")
    expect(log_out).to_be_visible()
    expect(page.get_by_text(f"Logged in as Ana Phone ({email})")).to_be_visible()

    log_out.click()
    expect(page).to_have_url(live_server.at("/"))
    expect(page.get_by_role("status")).to_contain_text("You are logged out")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    page.get_by_role("link", name="Log in").click()
    expect(page).to_have_url(live_server.at("/login"))
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(live_server.at("/"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_text(f"Logged in as Ana Phone ({email})")).to_be_visible()
    assert problems.unexpected() == []


def test_organizer_sign_up_ends_on_the_dashboard(
    page: Page, live_server: LiveServer, problems: BrowserProblems
) -> None:
    email = "olga.phone@example.com"
    sign_up(page, live_server, "Olga Phone", email, "Organize events")
    confirm_mailed_code(page, live_server, email)

    expect(page).to_have_url(live_server.at("/organizer"))
    expect(page.get_by_role("heading", name="Your events")).to_be_visible()
    expect(page.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    assert problems.unexpected() == []


@pytest.mark.settings(require_email_verification=False)
def test_without_email_verification_sign_up_logs_straight_in(
    page: Page, live_server: LiveServer, problems: BrowserProblems
) -> None:
    page.goto(live_server.at("/signup"))
    page.get_by_label("Name", exact=True).fill("Vic Quick")
    page.get_by_label("Email", exact=True).fill("vic@example.com")
    page.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(live_server.at("/"))
    expect(page.get_by_role("status")).to_contain_text("Welcome to Admit, Vic Quick")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert problems.unexpected() == []


def test_bad_sign_up_input_is_kept_and_explained_next_to_each_field(
    page: Page, live_server: LiveServer, problems: BrowserProblems
) -> None:
    # Chromium notes every 4xx answer in the console; a 422 for bad input is expected.
    problems.allow("status of 422")
    page.goto(live_server.at("/signup"))
    name = page.get_by_label("Name", exact=True)
    email = page.get_by_label("Email", exact=True)
    password = page.get_by_label("Password", exact=True)
    name.fill("Ada Lovelace")
    email.fill("ada.example.com")
    password.fill("short")
    page.get_by_role("radio", name="Organize events").check()
    with page.expect_response(is_form_post("/signup")) as answer:
        page.get_by_role("button", name="Create account").click()
    assert answer.value.status == 422
    assert answer.value.request.headers.get("hx-request") == "true"

    expect(page.get_by_role("alert")).to_contain_text("Please fix these 2 problems")
    expect(page).to_have_url(live_server.at("/signup"))
    # Each message is next to its field and is the field's accessible description.
    expect(page.locator(".field:has(#f-email) .error")).to_be_visible()
    expect(page.locator(".field:has(#f-password) .error")).to_be_visible()
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(name).not_to_have_attribute("aria-invalid", "true")
    email_error = page.locator("#f-email-error").inner_text()
    expect(email).to_have_accessible_description(re.compile(re.escape(email_error)))
    password_error = page.locator("#f-password-error").inner_text()
    expect(password).to_have_accessible_description(re.compile(re.escape(password_error)))

    expect(name).to_have_value("Ada Lovelace")
    expect(email).to_have_value("ada.example.com")
    expect(password).to_have_value("")
    expect(page.get_by_role("radio", name="Organize events")).to_be_checked()

    expect(email).to_be_focused()
    assert page.evaluate("document.activeElement.id") == "f-email"

    # The swapped-in form works: fixing the two fields is enough to get through.
    email.fill("ada@example.com")
    password.fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/verify\?"))
    expect(page.get_by_label("Email", exact=True)).to_have_value("ada@example.com")
    assert problems.unexpected() == []


@pytest.mark.parametrize("path", ["/", "/signup", "/login", "/verify"])
def test_page_fits_a_320px_screen_without_errors(
    page: Page, live_server: LiveServer, problems: BrowserProblems, path: str
) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.at(path))
    expect(page.locator("main h1")).to_be_visible()
    # htmx and app.js loaded (both are deferred scripts), so their errors would show.
    page.wait_for_function("() => window.htmx !== undefined")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 320, f"{path} is {scroll_width}px wide on a 320px screen"
    assert problems.unexpected() == []
