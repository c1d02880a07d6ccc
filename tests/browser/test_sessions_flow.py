"""Sessions on a phone: change the password from the account links, see the sessions
page, end the other browser, and log out everywhere (one page per step, no dead ends)."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import BrowserProblems, LiveServer
from tests.browser.test_accounts_flow import confirm_mailed_code, sign_up
from tests.helpers import GOOD_PASSWORD

NEW_PASSWORD = "N3wPassword9"


def log_in(page: Page, server: LiveServer, email: str, password: str) -> None:
    page.goto(server.at("/login"))
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_password_change_and_the_sessions_page(
    page: Page, browser: Browser, live_server: LiveServer, problems: BrowserProblems
) -> None:
    problems.allow("status of 400")  # Chromium's note on the wrong-password answer to htmx
    email = "sam.phone@example.com"
    sign_up(page, live_server, "Sam Phone", email, "Attend events")
    confirm_mailed_code(page, live_server, email)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    other = browser.new_context(base_url=live_server.at("/"))
    laptop = other.new_page()
    try:
        log_in(laptop, live_server, email, GOOD_PASSWORD)

        page.get_by_role("contentinfo").get_by_role("link", name="Change password").click()
        expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
        page.get_by_label("Current password", exact=True).fill("Wr0ngGuess1")
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_role("button", name="Change password").click()
        expect(page.get_by_text("That is not your current password.").first).to_be_visible()
        expect(page.get_by_label("Current password", exact=True)).to_have_value("")
        page.get_by_label("Current password", exact=True).fill(GOOD_PASSWORD)
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_role("button", name="Change password").click()

        expect(page).to_have_url(live_server.at("/account/sessions"))
        expect(page.get_by_role("status")).to_contain_text("Your password is changed")
        expect(page.get_by_text("This device", exact=True)).to_be_visible()
        expect(page.get_by_text("No other browser is logged in to your account.")).to_be_visible()

        laptop.reload()
        expect(laptop.get_by_role("link", name="Log in")).to_be_visible()
        log_in(laptop, live_server, email, NEW_PASSWORD)

        page.reload()
        end = page.get_by_role("button", name=re.compile(r"^End the session of "))
        expect(end).to_have_count(1)
        end.click()
        expect(page.get_by_role("status")).to_contain_text("That session has ended")
        laptop.goto(live_server.at("/my/tickets"))
        expect(laptop).to_have_url(re.compile(r"/login\?next=/my/tickets$"))

        page.get_by_role("link", name="Log out everywhere…").click()
        expect(page.get_by_role("heading", name="Log out everywhere?")).to_be_visible()
        page.get_by_role("button", name="Yes, log out everywhere").click()
        expect(page).to_have_url(live_server.at("/login"))
        expect(page.get_by_role("status")).to_contain_text("You are logged out everywhere")
    finally:
        other.close()
    assert problems.unexpected() == []
