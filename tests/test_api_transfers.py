"""Transfers over the JSON API (API.md, "Transfers"): every answer of the contract, on
either store (`--adapters=aws`). Each test fails before issue 14 (no such route)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api_helpers import (
    API,
    Person,
    create_event,
    error_of,
    field_errors,
    registered,
    sign_up,
)
from tests.helpers import outbox_messages, printed_code
from web.settings import Settings

pytestmark = pytest.mark.settings(require_email_verification=False)


async def transfer(
    client: httpx.AsyncClient, person: Person, ticket_id: str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"{API}/tickets/{ticket_id}/transfer",
        json={"name": "Tom Taker", "email": "tom@example.com", **body},
        headers=person.headers,
    )


async def validate(client: httpx.AsyncClient, organizer: Person, code: str, event_id: str) -> str:
    response = await client.post(
        f"{API}/tickets/validate",
        json={"code": code, "event_id": event_id},
        headers=organizer.headers,
    )
    assert response.status_code == 200, response.text
    result: str = response.json()["result"]
    return result


async def a_ticket(
    client: httpx.AsyncClient, organizer: Person, buyer: Person, **changes: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An event whose doors are open and one confirmed ticket of `buyer`'s."""
    event = await create_event(client, organizer, **{"days": 0.04, "price": 0, **changes})
    registration = await registered(client, buyer, event["id"])
    ticket_id = registration["tickets"][0]
    response = await client.get(f"{API}/tickets/{ticket_id}", headers=buyer.headers)
    assert response.status_code == 200, response.text
    return event, response.json()


async def test_a_ticket_passed_on_to_an_account_moves_with_a_new_code(
    client: httpx.AsyncClient,
    settings: Settings,
    organizer: Person,
    attendee: Person,
    tmp_path: Path,
) -> None:
    tom = await sign_up(client, "tom@example.com", "attendee", "Tom Taker")
    event, ticket = await a_ticket(client, organizer, attendee)
    old_code = ticket["code"]

    response = await transfer(client, attendee, ticket["id"], email=" Tom@Example.com ")
    assert response.status_code == 200, response.text
    moved = response.json()
    assert (moved["id"], moved["attendee_name"], moved["status"]) == (
        ticket["id"],
        "Tom Taker",
        "valid",
    )
    assert moved["code"] != old_code
    assert moved["code"].startswith("AD2-")
    assert moved["download_url"] is None

    # The former holder: 404; the new one: 200 with the new code, under My tickets.
    gone = await client.get(f"{API}/tickets/{ticket['id']}", headers=attendee.headers)
    error_of(gone, 404, "not_found")
    mine = await client.get(f"{API}/tickets/{ticket['id']}", headers=tom.headers)
    assert mine.status_code == 200, mine.text
    assert mine.json()["code"] == moved["code"]
    page = await client.get("/my/tickets", headers=tom.headers)
    assert page.status_code == 200
    # Passed on again by its former holder: no longer theirs.
    error_of(await transfer(client, attendee, ticket["id"], email="uma@example.com"), 404)

    # The door: the old code is void, the new one admits, once.
    assert await validate(client, organizer, old_code, event["id"]) == "void"
    assert await validate(client, organizer, moved["code"], event["id"]) == "admitted"
    assert await validate(client, organizer, moved["code"], event["id"]) == "already_used"

    (mail,) = outbox_messages(settings, "tom@example.com")
    assert "A ticket for you" in str(mail["Subject"])
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Ana passed a ticket on to you" in text
    assert "/my/tickets" in text
    attached = {part.get_filename(): part for part in mail.iter_attachments()}
    pdf = attached[f"ticket-{ticket['id']}.pdf"]
    assert pdf.get_content_type() == "application/pdf"
    # The PDF the new holder got prints the new code, not the one the ticket had.
    assert printed_code(pdf.get_content(), tmp_path) == moved["code"]
    assert "text/calendar" in {part.get_content_type() for part in attached.values()}

    listed = await client.get(f"{API}/events/{event['id']}/transfers", headers=organizer.headers)
    assert listed.status_code == 200, listed.text
    (record,) = listed.json()["items"]
    assert (record["ticket_id"], record["from_name"], record["to_name"]) == (
        ticket["id"],
        "Ana",
        "Tom Taker",
    )
    assert (record["to_email"], record["to_account"]) == ("tom@example.com", True)


async def test_to_an_address_without_an_account_the_mail_carries_it(
    client: httpx.AsyncClient, settings: Settings, organizer: Person, attendee: Person
) -> None:
    event, ticket = await a_ticket(client, organizer, attendee)
    response = await transfer(client, attendee, ticket["id"], name="Nell New")
    assert response.status_code == 200, response.text
    error_of(await client.get(f"{API}/tickets/{ticket['id']}", headers=attendee.headers), 404)
    (mail,) = outbox_messages(settings, "tom@example.com")
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Hello Nell New" in text
    assert "/my/tickets" not in text  # no account to find it in yet
    assert "/signup" in text
    # Once an account has that (verified) address, the ticket is its own.
    nell = await sign_up(client, "tom@example.com", "attendee", "Nell New")
    mine = await client.get(f"{API}/tickets/{ticket['id']}", headers=nell.headers)
    assert mine.status_code == 200, mine.text
    assert mine.json()["code"] == response.json()["code"]
    listed = await client.get(f"{API}/events/{event['id']}/transfers", headers=organizer.headers)
    assert listed.json()["items"][0]["to_account"] is True
    assert await validate(client, organizer, response.json()["code"], event["id"]) == "admitted"


async def test_bad_input_names_the_field_and_changes_nothing(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    _, ticket = await a_ticket(client, organizer, attendee)
    for body, field in (
        ({"name": ""}, "name"),
        ({"name": "Two\nLines"}, "name"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "ANA@example.com"}, "email"),  # your own
        ({"email": 42}, "email"),
    ):
        response = await transfer(client, attendee, ticket["id"], **body)
        assert field in field_errors(response), (body, response.text)
    response = await client.post(
        f"{API}/tickets/{ticket['id']}/transfer", json={"name": "Tom"}, headers=attendee.headers
    )
    assert "email" in field_errors(response)
    still = await client.get(f"{API}/tickets/{ticket['id']}", headers=attendee.headers)
    assert still.json()["code"] == ticket["code"]


async def test_used_void_locked_and_others_tickets_are_refused(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    stranger = await sign_up(client, "sam@example.com", "attendee", "Sam")
    event, used = await a_ticket(client, organizer, attendee)
    error_of(await transfer(client, stranger, used["id"]), 404, "not_found")
    error_of(await transfer(client, organizer, used["id"]), 404, "not_found")
    assert await validate(client, organizer, used["code"], event["id"]) == "admitted"
    error_of(await transfer(client, attendee, used["id"]), 409, "ticket_used")

    _, void = await a_ticket(client, organizer, attendee)
    cancelled = await client.post(  # the doors are open: the organizer cancels
        f"{API}/registrations/{void['registration_id']}/cancel", headers=organizer.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    error_of(await transfer(client, attendee, void["id"]), 409, "ticket_void")

    locked, kept = await a_ticket(client, organizer, attendee, transfers_allowed=False)
    assert locked["transfers_allowed"] is False
    error_of(await transfer(client, attendee, kept["id"]), 409, "transfers_locked")
    opened = await client.patch(
        f"{API}/events/{locked['id']}", json={"transfers_allowed": True}, headers=organizer.headers
    )
    assert opened.status_code == 200, opened.text
    assert (await transfer(client, attendee, kept["id"])).status_code == 200


async def test_a_registration_passed_on_in_part_is_not_cancelled_by_its_buyer(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    """Its refund would void the ticket someone else now holds; the organizer may."""
    event = await create_event(client, organizer, price=0)
    registration = await registered(client, attendee, event["id"], quantity=2)
    first = registration["tickets"][0]
    assert (await transfer(client, attendee, first)).status_code == 200
    url = f"{API}/registrations/{registration['id']}/cancel"
    error_of(await client.post(url, headers=attendee.headers), 409, "ticket_transferred")
    response = await client.post(url, headers=organizer.headers)
    assert response.status_code == 200, response.text


async def test_tickets_received_do_not_count_toward_the_account_limit(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    """API.md: max_per_account counts the seats an account bought."""
    tom = await sign_up(client, "tom@example.com", "attendee", "Tom Taker")
    event = await create_event(client, organizer, price=0, max_per_account=1)
    given = await registered(client, attendee, event["id"])
    assert (await transfer(client, attendee, given["tickets"][0])).status_code == 200
    own = await registered(client, tom, event["id"])  # still one of his own to buy
    assert own["status"] == "confirmed"


async def test_a_holder_is_told_when_the_organizer_cancels_their_ticket(
    client: httpx.AsyncClient, settings: Settings, organizer: Person, attendee: Person
) -> None:
    """The buyer is mailed by the cancellation; the person holding a ticket passed on to
    them would otherwise find out at the door."""
    event = await create_event(client, organizer, price=0)
    registration = await registered(client, attendee, event["id"], quantity=2)
    assert (await transfer(client, attendee, registration["tickets"][0])).status_code == 200
    response = await client.post(
        f"{API}/registrations/{registration['id']}/cancel", headers=organizer.headers
    )
    assert response.status_code == 200, response.text
    (mail,) = outbox_messages(settings, "tom@example.com")[1:]  # after the ticket's own
    assert str(mail["Subject"]) == f"Cancelled: your ticket for {event['title']}"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Ana passed on to you" in text
    assert "the registration it belonged to" in text

    other = await create_event(client, organizer, price=0, title="Second night")
    kept = await registered(client, attendee, other["id"])
    given = await transfer(client, attendee, kept["tickets"][0], email="uma@example.com")
    assert given.status_code == 200, given.text
    response = await client.post(f"{API}/events/{other['id']}/cancel", headers=organizer.headers)
    assert response.status_code == 200, response.text
    told = [
        m for m in outbox_messages(settings, "uma@example.com") if "Cancelled" in str(m["Subject"])
    ]
    assert len(told) == 1
    assert (
        "the organizer cancelled the event"
        in told[0].get_body(preferencelist=("plain",)).get_content()
    )
