"""Passing a ticket on through the pages: the form on the ticket, what it refuses, the
flash after, the new holder's My tickets, the buyer's registration page, and the
organizer's record. Each test fails before issue 14 (no such page)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api_helpers import API, Person, create_event, registered, sign_up
from tests.helpers import CSRF_RE, outbox_messages
from tests.test_sessions_http import log_in
from web.settings import Settings

pytestmark = pytest.mark.settings(require_email_verification=False)


async def as_user(client: httpx.AsyncClient, person: Person) -> None:
    client.cookies.clear()
    await log_in(client, person.email)


async def a_ticket(
    client: httpx.AsyncClient, organizer: Person, buyer: Person, **changes: Any
) -> tuple[dict[str, Any], str, dict[str, Any]]:
    event = await create_event(client, organizer, **{"price": 0, **changes})
    registration = await registered(client, buyer, event["id"], quantity=2)
    return event, registration["tickets"][0], registration


async def submit(client: httpx.AsyncClient, ticket_id: str, **data: str) -> httpx.Response:
    page = await client.get(f"/tickets/{ticket_id}/transfer")
    assert page.status_code == 200, page.text
    match = CSRF_RE.search(page.text)
    assert match
    return await client.post(
        f"/tickets/{ticket_id}/transfer", data={**data, "csrf_token": match.group(1)}
    )


async def test_the_holder_passes_a_ticket_on_from_its_page(
    client: httpx.AsyncClient, settings: Settings, organizer: Person, attendee: Person
) -> None:
    tom = await sign_up(client, "tom@example.com", "attendee", "Tom Taker")
    event, ticket_id, registration = await a_ticket(client, organizer, attendee)
    await as_user(client, attendee)
    page = await client.get(f"/tickets/{ticket_id}")
    assert f'href="/tickets/{ticket_id}/transfer"' in page.text

    response = await submit(client, ticket_id, name="Tom Taker", email="tom@example.com")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/my/tickets"
    mine = await client.get("/my/tickets")
    assert "is now Tom Taker&#39;s: we mailed it to tom@example.com" in mine.text
    assert (await client.get(f"/tickets/{ticket_id}")).status_code == 404
    assert (await client.get(f"/tickets/{ticket_id}/transfer")).status_code == 404
    # The buyer's registration: no cancelling now, and why.
    own = await client.get(f"/my/registrations/{registration['id']}")
    assert "passed on to someone else" in own.text
    assert len(outbox_messages(settings, "tom@example.com")) == 1

    await as_user(client, tom)
    theirs = await client.get("/my/tickets")
    assert f"/tickets/{ticket_id}" in theirs.text
    assert "Tom Taker" in (await client.get(f"/tickets/{ticket_id}")).text

    await as_user(client, organizer)
    dashboard = await client.get(f"/organizer/events/{event['id']}")
    assert 'id="transfers"' in dashboard.text
    assert "tom@example.com" in dashboard.text


async def test_bad_input_keeps_what_was_typed(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    _, ticket_id, _ = await a_ticket(client, organizer, attendee)
    await as_user(client, attendee)
    response = await submit(client, ticket_id, name="Tom Taker", email="tom@")
    assert response.status_code == 422
    assert 'value="Tom Taker"' in response.text
    assert "Enter an email address like name@example.com." in response.text
    response = await submit(client, ticket_id, name="", email=attendee.email)
    assert response.status_code == 422
    assert "Enter the new holder&#39;s name." in response.text
    assert "That is your own address" in response.text
    # Without the form's token: refused, nothing passed on.
    response = await client.post(
        f"/tickets/{ticket_id}/transfer", data={"name": "Tom", "email": "tom@example.com"}
    )
    assert response.status_code == 403
    assert (await client.get(f"/tickets/{ticket_id}")).status_code == 200


async def test_a_locked_or_used_ticket_says_why_instead_of_a_form(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    locked, ticket_id, _ = await a_ticket(client, organizer, attendee, transfers_allowed=False)
    await as_user(client, attendee)
    page = await client.get(f"/tickets/{ticket_id}")
    assert "/transfer" not in page.text
    form = await client.get(f"/tickets/{ticket_id}/transfer")
    assert "does not allow tickets of this event to be passed on" in form.text
    assert 'name="email"' not in form.text

    event, used_id, _ = await a_ticket(client, organizer, attendee, days=0.04)
    code = (await client.get(f"{API}/tickets/{used_id}", headers=attendee.headers)).json()["code"]
    scanned = await client.post(
        f"{API}/tickets/validate",
        json={"code": code, "event_id": event["id"]},
        headers=organizer.headers,
    )
    assert scanned.json()["result"] == "admitted"
    form = await client.get(f"/tickets/{used_id}/transfer")
    assert "already used at the door" in form.text

    await as_user(client, organizer)
    dashboard = await client.get(f"/organizer/events/{locked['id']}")
    assert "Transfers are locked for this event" in dashboard.text


async def test_someone_else_gets_not_found(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    _, ticket_id, _ = await a_ticket(client, organizer, attendee)
    stranger = await sign_up(client, "sam@example.com", "attendee", "Sam")
    await as_user(client, stranger)
    assert (await client.get(f"/tickets/{ticket_id}/transfer")).status_code == 404
    await as_user(client, organizer)  # the organizer sees the ticket, but does not hold it
    assert (await client.get(f"/tickets/{ticket_id}/transfer")).status_code == 404
