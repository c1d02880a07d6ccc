"""A ticket passed on, end to end in real Chromium: Ana gives her ticket to Tom from the
ticket's page on her phone; the door phone, which synced its list before, syncs again
and, with the network off, refuses Ana's old code as void and admits Tom's new one, then
sends that admission when the network is back (issue 14)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, BrowserProblems, LiveServer, watch_problems
from tests.browser.test_door import Api, api, check_code, close, expect_offline_list, log_in

__all__ = ["api"]  # the fixture, imported for this module's tests

pytestmark = pytest.mark.settings(require_email_verification=False)


def test_a_ticket_passed_on_is_void_under_its_old_code_at_an_offline_door(
    page: Page, browser: Browser, live_server: LiveServer, api: Api, problems: BrowserProblems
) -> None:
    organizer = api.sign_up("Olga Organizer", "olga@example.com", "organizer")
    event_id = api.open_event(organizer)
    ana = api.sign_up("Ana Attendee", "ana@example.com")
    tom = api.sign_up("Tom Taker", "tom@example.com")
    ticket = api.ticket(ana, event_id)
    old_code = ticket["code"]

    # The door phone has the list from before the transfer.
    log_in(page, live_server, organizer, "/organizer")
    page.goto(live_server.at(f"/door/{event_id}"))
    expect_offline_list(page, "1 ticket")

    # Ana, on her own phone, passes it on from the ticket's page.
    phone = browser.new_context(**PHONE)
    ana_page = phone.new_page()
    ana_problems = watch_problems(ana_page)
    ana_problems.allow("status of 422")  # the form's answer to a wrong address, on purpose
    log_in(ana_page, live_server, ana, "/")
    ana_page.goto(live_server.at(f"/tickets/{ticket['id']}"))
    ana_page.get_by_role("link", name="Pass this ticket on to someone else").click()
    expect(ana_page.get_by_role("heading", name="Pass on your ticket")).to_be_visible()
    ana_page.get_by_label("Their name").fill("Tom Taker")
    ana_page.get_by_label("Their email").fill("tom@example")
    ana_page.get_by_role("button", name="Pass on the ticket").click()
    expect(ana_page.locator("#f-email-error")).to_contain_text("Enter an email address")
    expect(ana_page.get_by_label("Their name")).to_have_value("Tom Taker")  # kept
    ana_page.get_by_label("Their email").fill("tom@example.com")
    ana_page.get_by_role("button", name="Pass on the ticket").click()
    expect(ana_page).to_have_url(live_server.at("/my/tickets"))
    expect(ana_page.get_by_text("is now Tom Taker's")).to_be_visible()
    expect(ana_page.locator(f'a[href="/tickets/{ticket["id"]}"]')).to_have_count(0)
    assert ana_problems.unexpected() == []
    phone.close()

    new_code = api.get_ticket(tom, ticket["id"])["code"]
    assert new_code != old_code

    # The door phone's next sync (opening the page again), then no network.
    page.reload()
    expect_offline_list(page, "1 ticket")
    page.context.set_offline(True)
    expect(page.locator("#door-alert")).to_contain_text("You are offline")

    result = check_code(page, old_code)
    expect(result).to_have_class(re.compile(r"\bdoor-result-bad\b"))
    expect(result.locator(".door-result-title")).to_have_text("VOID")
    expect(result.locator(".door-result-detail")).to_contain_text("passed on")
    close(result)

    result = check_code(page, new_code)
    expect(result).to_have_class(re.compile(r"\bdoor-result-ok\b"))
    expect(result.locator(".door-result-title")).to_have_text("ADMITTED")
    expect(result.locator(".door-result-name")).to_have_text("Tom Taker")
    close(result)
    assert api.get_ticket(tom, ticket["id"])["status"] == "valid"  # not sent yet

    page.context.set_offline(False)
    expect(page.locator("#door-sync-summary")).to_have_text("Sent 1 offline check-in: 1 confirmed.")
    assert api.get_ticket(tom, ticket["id"])["status"] == "used"
    assert problems.unexpected() == []
