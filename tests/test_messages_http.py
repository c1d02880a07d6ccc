"""Organizers' messages to attendees and unsubscribing (issue 15), over HTTP on either
store and mail adapter (`--adapters=aws`). Each test would fail before issue 15: there
was no `/events/{id}/messages` and no `/unsubscribe/...`."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from models.messages import MessageState
from tests.api_helpers import API, Person, create_event, error_of, field_errors, registered
from tests.api_helpers import sign_up as sign_up_person
from tests.helpers import outbox_messages, post_form, sign_up_verified
from web.services.container import Services
from web.settings import Settings

pytestmark = pytest.mark.settings(require_email_verification=False)

LINK = re.compile(r"(https?://\S+/unsubscribe/\S+)")


@pytest.fixture
async def organizer(client: httpx.AsyncClient) -> Person:
    return await sign_up_person(client, "org@example.com", "organizer", "Olga Organizer")


async def _send(
    client: httpx.AsyncClient, organizer: Person, event_id: str, **body: Any
) -> httpx.Response:
    payload = {"subject": "Doors at seven", "body": "See you there.", "to": "confirmed", **body}
    return await client.post(
        f"{API}/events/{event_id}/messages", json=payload, headers=organizer.headers
    )


def _mails(settings: Settings, to: str, subject: str) -> list[Any]:
    return [m for m in outbox_messages(settings, to) if str(m["Subject"]) == subject]


async def test_a_message_reaches_each_confirmed_buyer_once_with_an_unsubscribe_link(
    client: httpx.AsyncClient, settings: Settings, organizer: Person
) -> None:
    event = await create_event(client, organizer)
    ana = await sign_up_person(client, "ana@example.com")
    bo = await sign_up_person(client, "bo@example.com")
    await registered(client, ana, event["id"], 2)
    await registered(client, ana, event["id"], 1)  # two registrations: one mail
    await registered(client, bo, event["id"], 1)
    response = await _send(client, organizer, event["id"], subject="Parking")
    assert response.status_code == 202, response.text
    assert response.json() == {"id": response.json()["id"], "recipients": 2}
    for person in (ana, bo):
        (mail,) = _mails(settings, person.email, "Parking")
        text = mail.get_body(preferencelist=("plain",)).get_content()
        assert "See you there." in text
        link = LINK.search(text)
        assert link is not None
        assert str(mail["List-Unsubscribe"]).strip() == f"<{link.group(1)}>"
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    listed = await client.get(f"{API}/events/{event['id']}/messages", headers=organizer.headers)
    (item,) = listed.json()["items"]
    assert (item["recipients"], item["sent"], item["status"]) == (2, 2, MessageState.SENT)


async def test_bad_fields_are_named_and_nothing_is_sent(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    event = await create_event(client, organizer)
    response = await _send(client, organizer, event["id"], subject="", body="x" * 5001, to="all")
    assert set(field_errors(response)) == {"subject", "body", "to"}
    response = await _send(client, organizer, event["id"], subject="s" * 151, extra=1)
    assert set(field_errors(response)) == {"subject", "extra"}
    listed = await client.get(f"{API}/events/{event['id']}/messages", headers=organizer.headers)
    assert listed.json()["items"] == []


async def test_concurrent_sends_never_pass_the_daily_limit(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    """Ten sends at once, three a day (ADMIT_MESSAGES_PER_EVENT_DAY): seven are 429."""
    event = await create_event(client, organizer)
    answers = await asyncio.gather(*(_send(client, organizer, event["id"]) for _ in range(10)))
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [202] * 3 + [429] * 7
    refused = next(r for r in answers if r.status_code == 429)
    error_of(refused, 429, "message_limit")
    assert int(refused.headers["Retry-After"]) > 0
    other = await create_event(client, organizer)
    assert (await _send(client, organizer, other["id"])).status_code == 202


async def test_only_the_events_organizer_may_send(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    event = await create_event(client, organizer)
    rival = await sign_up_person(client, "rival@example.com", "organizer")
    attendee = await sign_up_person(client, "ana@example.com")
    error_of(await _send(client, rival, event["id"]), 404, "not_found")
    error_of(await _send(client, attendee, event["id"]), 403)


async def test_checked_in_and_not_checked_in_split_the_attendees(
    client: httpx.AsyncClient, settings: Settings, organizer: Person
) -> None:
    event = await create_event(client, organizer, days=0.02)  # doors are open
    came = await sign_up_person(client, "came@example.com")
    away = await sign_up_person(client, "away@example.com")
    registration = await registered(client, came, event["id"])
    await registered(client, away, event["id"])
    ticket = await client.get(f"{API}/tickets/{registration['tickets'][0]}", headers=came.headers)
    scan = await client.post(
        f"{API}/tickets/validate",
        json={"code": ticket.json()["code"], "event_id": event["id"]},
        headers=organizer.headers,
    )
    assert scan.json()["result"] == "admitted", scan.text
    there = await _send(client, organizer, event["id"], to="checked_in", subject="Thanks")
    missed = await _send(client, organizer, event["id"], to="not_checked_in", subject="Missed")
    waiting = await _send(client, organizer, event["id"], to="waitlist", subject="Soon")
    assert [r.json()["recipients"] for r in (there, missed, waiting)] == [1, 1, 0]
    assert len(_mails(settings, came.email, "Thanks")) == 1
    assert _mails(settings, came.email, "Missed") == []
    assert len(_mails(settings, away.email, "Missed")) == 1
    assert _mails(settings, away.email, "Thanks") == []


async def test_a_ticket_passed_on_brings_its_holder_the_messages(
    client: httpx.AsyncClient, settings: Settings, organizer: Person
) -> None:
    """New with transfers (issue 14): the account a ticket was passed on to is an
    attendee too, by its own ticket: confirmed and not checked in while it is valid."""
    event = await create_event(client, organizer, days=0.02)
    ana = await sign_up_person(client, "ana@example.com")
    tom = await sign_up_person(client, "tom@example.com", name="Tom Taker")
    registration = await registered(client, ana, event["id"], 2)
    given = await client.post(
        f"{API}/tickets/{registration['tickets'][1]}/transfer",
        json={"name": "Tom Taker", "email": tom.email},
        headers=ana.headers,
    )
    assert given.status_code == 200, given.text
    everyone = await _send(client, organizer, event["id"], subject="Parking")
    assert everyone.json()["recipients"] == 2
    missed = await _send(client, organizer, event["id"], to="not_checked_in", subject="Late")
    assert missed.json()["recipients"] == 2
    scan = await client.post(
        f"{API}/tickets/validate",
        json={"code": given.json()["code"], "event_id": event["id"]},
        headers=organizer.headers,
    )
    assert scan.json()["result"] == "admitted", scan.text
    there = await _send(client, organizer, event["id"], to="checked_in", subject="Thanks")
    assert there.json()["recipients"] == 1  # Tom by his ticket; Ana's is not used yet
    assert _mails(settings, ana.email, "Thanks") == []
    for subject in ("Parking", "Late", "Thanks"):
        assert len(_mails(settings, tom.email, subject)) == 1, subject


async def test_an_unsubscribed_attendee_gets_no_more_messages_but_still_tickets(
    client: httpx.AsyncClient, settings: Settings, organizer: Person
) -> None:
    event = await create_event(client, organizer)
    ana = await sign_up_person(client, "ana@example.com")
    await registered(client, ana, event["id"])
    assert (await _send(client, organizer, event["id"], subject="First")).status_code == 202
    (mail,) = _mails(settings, ana.email, "First")
    link = LINK.search(mail.get_body(preferencelist=("plain",)).get_content())
    assert link is not None
    path = httpx.URL(link.group(1)).path
    page = await client.get(path)
    assert page.status_code == 200
    assert "Olga Organizer" in page.text
    done = await post_form(client, path, {})
    assert done.status_code == 200
    assert "You are unsubscribed" in done.text
    again = await _send(client, organizer, event["id"], subject="Second")
    assert again.json()["recipients"] == 0
    assert _mails(settings, ana.email, "Second") == []
    # Ticket mails are not organizer messages: they still go.
    other = await create_event(client, organizer)
    before = len(outbox_messages(settings, ana.email))
    await registered(client, ana, other["id"])
    assert len(outbox_messages(settings, ana.email)) == before + 1


async def test_a_mail_clients_one_click_post_unsubscribes_without_a_session(
    client: httpx.AsyncClient, services: Services, organizer: Person
) -> None:
    """RFC 8058: a POST with no cookie and no CSRF token; a forged link is 404."""
    links = services.messages.links
    url = links.url(organizer.id, "someone")
    response = await client.post(
        httpx.URL(url).path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert await services.store.unsubscribed_among(organizer.id, ["someone"]) == {"someone"}
    forged = links.token(organizer.id, "someone")[:-2] + "xx"
    assert (await client.get(f"/unsubscribe/{forged}")).status_code == 404
    assert (await client.post(f"/unsubscribe/{forged}")).status_code == 404


@pytest.mark.settings(require_email_verification=True)
async def test_the_organizer_page_sends_and_lists_and_keeps_what_was_typed(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    from tests.test_organizer_pages import event_form

    await sign_up_verified(client, settings, "org@example.com", role="organizer")
    response = await post_form(client, "/organizer/events/new", event_form())
    assert response.status_code == 303, response.text
    event_path = response.headers["location"]
    page = await client.get(event_path)
    assert f'href="{event_path}/messages"' in page.text
    assert f'href="{event_path}/registrations.xlsx"' in page.text
    assert f'href="{event_path}/attendees.pdf"' in page.text
    path = f"{event_path}/messages"
    bad = await post_form(client, path, {"subject": "Kept subject", "body": "", "to": "confirmed"})
    assert bad.status_code == 422
    assert 'value="Kept subject"' in bad.text
    assert "Enter the message." in bad.text
    sent = await post_form(client, path, {"subject": "Set list", "body": "Hi", "to": "confirmed"})
    assert sent.status_code == 303
    listing = await client.get(path)
    assert "Set list" in listing.text
    assert "Message queued for 0 recipients." in listing.text
