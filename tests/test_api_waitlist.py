"""The waiting list over the JSON API (API.md, "Waiting list"): every answer of the
contract, on either store (`--adapters=aws`). Each test fails before issue 14 (the
routes did not exist)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api_helpers import (
    API,
    Person,
    create_event,
    error_of,
    field_errors,
    register,
    registered,
    sign_up,
    stats_by_type,
)
from tests.helpers import outbox_messages
from web.settings import Settings

pytestmark = pytest.mark.settings(require_email_verification=False)

ENTRY_KEYS = {
    "id", "event_id", "ticket_type_id", "quantity", "position", "status", "registration_id",
    "offer_expires_at", "created_at",
}  # fmt: skip


@pytest.fixture
async def organizer(client: httpx.AsyncClient) -> Person:
    return await sign_up(client, "org@example.com", "organizer", "Olga Organizer")


@pytest.fixture
async def people(client: httpx.AsyncClient) -> list[Person]:
    return [await sign_up(client, f"p{i}@example.com", "attendee", f"Person {i}") for i in range(4)]


async def join(
    client: httpx.AsyncClient, person: Person, event_id: str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"{API}/events/{event_id}/waitlist", json={"quantity": 1, **body}, headers=person.headers
    )


async def joined(
    client: httpx.AsyncClient, person: Person, event_id: str, **body: Any
) -> dict[str, Any]:
    response = await join(client, person, event_id, **body)
    assert response.status_code == 201, response.text
    return response.json()


async def my_entries(client: httpx.AsyncClient, person: Person) -> list[dict[str, Any]]:
    response = await client.get(f"{API}/waitlist", headers=person.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def sold_out_event(
    client: httpx.AsyncClient, organizer: Person, buyer: Person, **changes: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    event = await create_event(client, organizer, **{"capacity": 1, **changes})
    return event, await registered(client, buyer, event["id"])


async def test_joining_listing_and_leaving(
    client: httpx.AsyncClient, organizer: Person, people: list[Person]
) -> None:
    buyer, first, second, stranger = people
    event, _ = await sold_out_event(client, organizer, buyer, price=0)
    one = await joined(client, first, event["id"], quantity=1)
    assert set(one) == ENTRY_KEYS
    assert (one["status"], one["position"], one["registration_id"]) == ("waiting", 1, None)
    two = await joined(client, second, event["id"])
    assert two["position"] == 2
    assert [e["id"] for e in await my_entries(client, first)] == [one["id"]]
    response = await client.get(f"{API}/events/{event['id']}/waitlist", headers=organizer.headers)
    assert [e["id"] for e in response.json()["items"]] == [one["id"], two["id"]]
    response = await client.get(f"{API}/events/{event['id']}/waitlist", headers=first.headers)
    error_of(response, 403)
    response = await client.delete(f"{API}/waitlist/{one['id']}", headers=stranger.headers)
    error_of(response, 404, "not_found")
    response = await client.delete(f"{API}/waitlist/{one['id']}", headers=first.headers)
    assert response.status_code == 204
    (left,) = await my_entries(client, first)
    assert (left["status"], left["position"]) == ("left", None)
    assert (await my_entries(client, second))[0]["position"] == 1
    response = await client.delete(f"{API}/waitlist/{one['id']}", headers=first.headers)
    error_of(response, 409, "invalid_state")
    assert (await stats_by_type(client, organizer, event["id"]))["waitlist"] == 1


async def test_joining_is_refused_while_seats_are_for_sale_or_the_entry_is_wrong(
    client: httpx.AsyncClient, organizer: Person, people: list[Person]
) -> None:
    buyer, person, *_ = people
    event = await create_event(client, organizer, capacity=2)
    body = error_of(await join(client, person, event["id"], quantity=2), 409, "seats_available")
    assert body["seats_left"] == 2
    await registered(client, buyer, event["id"], 2)
    for bad, field in (
        ({"quantity": 0}, "quantity"),
        ({"quantity": "2"}, "quantity"),
        ({"quantity": 11}, "quantity"),
        ({"ticket_type_id": "nope"}, "ticket_type_id"),
        ({"ticket_type_id": 5}, "ticket_type_id"),
    ):
        response = await join(client, person, event["id"], **bad)
        assert field in field_errors(response), (bad, response.text)
    response = await client.patch(
        f"{API}/events/{event['id']}", json={"waitlist_enabled": False}, headers=organizer.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["waitlist_enabled"] is False
    error_of(await join(client, person, event["id"]), 409, "waitlist_closed")
    response = await join(client, person, "no-such-event")
    error_of(response, 404, "not_found")
    assert await my_entries(client, person) == []


async def test_a_cancellation_offers_the_seat_and_a_free_offer_is_confirmed(
    client: httpx.AsyncClient, settings: Settings, organizer: Person, people: list[Person]
) -> None:
    buyer, waiter, public, _ = people
    event, bought = await sold_out_event(client, organizer, buyer, price=0)
    entry = await joined(client, waiter, event["id"])
    response = await client.post(
        f"{API}/registrations/{bought['id']}/cancel", headers=buyer.headers
    )
    assert response.status_code == 200, response.text
    (offered,) = await my_entries(client, waiter)
    assert offered["status"] == "offered"
    assert offered["offer_expires_at"] is not None
    # Its mail went out with the cancellation's answer, not at the clock job's next run.
    (mail,) = outbox_messages(settings, waiter.email)
    assert "Seats for you" in str(mail["Subject"])
    error_of(await register(client, public, event["id"]), 409, "sold_out")
    registration_id = offered["registration_id"]
    response = await client.post(
        f"{API}/registrations/{registration_id}/confirm", headers=public.headers
    )
    error_of(response, 404, "not_found")
    response = await client.post(
        f"{API}/registrations/{registration_id}/confirm", headers=waiter.headers
    )
    assert response.status_code == 200, response.text
    confirmed = response.json()
    assert confirmed["status"] == "confirmed"
    assert len(confirmed["tickets"]) == 1
    (accepted,) = await my_entries(client, waiter)
    assert (accepted["id"], accepted["status"]) == (entry["id"], "accepted")


async def test_a_paid_offer_goes_through_the_checkout(
    client: httpx.AsyncClient, organizer: Person, people: list[Person]
) -> None:
    buyer, waiter, *_ = people
    event, bought = await sold_out_event(client, organizer, buyer, price=1500)
    response = await client.post(
        f"{API}/registrations/{bought['id']}/simulated-payment",
        json={"card_number": "4242424242424242"},
        headers=buyer.headers,
    )
    assert response.status_code == 200, response.text
    await joined(client, waiter, event["id"])
    response = await client.post(
        f"{API}/registrations/{bought['id']}/cancel", headers=buyer.headers
    )
    assert response.status_code == 200, response.text
    (offered,) = await my_entries(client, waiter)
    registration_id = offered["registration_id"]
    response = await client.post(
        f"{API}/registrations/{registration_id}/confirm", headers=waiter.headers
    )
    error_of(response, 409, "payment_required")
    response = await client.post(
        f"{API}/registrations/{registration_id}/simulated-payment",
        json={"card_number": "4242424242424242"},
        headers=waiter.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "confirmed"
    assert response.json()["amount"] == 1500
    assert (await my_entries(client, waiter))[0]["status"] == "accepted"


async def test_the_organizer_offers_by_hand_when_the_list_is_off(
    client: httpx.AsyncClient, organizer: Person, people: list[Person]
) -> None:
    buyer, first, second, _ = people
    event, bought = await sold_out_event(client, organizer, buyer, price=0)
    await joined(client, first, event["id"])
    younger = await joined(client, second, event["id"])
    path = f"{API}/events/{event['id']}/waitlist/{younger['id']}/offer"
    error_of(await client.post(path, headers=organizer.headers), 409, "not_enough_seats")
    response = await client.patch(
        f"{API}/events/{event['id']}", json={"waitlist_enabled": False}, headers=organizer.headers
    )
    assert response.status_code == 200, response.text
    response = await client.post(
        f"{API}/registrations/{bought['id']}/cancel", headers=buyer.headers
    )
    assert response.status_code == 200, response.text
    error_of(await client.post(path, headers=first.headers), 403)
    response = await client.post(path, headers=organizer.headers)
    assert response.status_code == 201, response.text
    assert (response.json()["status"], response.json()["user_id"]) == ("held", second.id)
    error_of(await client.post(path, headers=organizer.headers), 409, "invalid_state")
    statuses = [e["status"] for e in await my_entries(client, first)]
    assert statuses == ["waiting"]


async def test_one_entry_per_account_and_within_its_limit(
    client: httpx.AsyncClient, organizer: Person, people: list[Person]
) -> None:
    """409 already_waiting for a second join; 409 account_limit when what the account
    holds plus what it would wait for passes max_per_account."""
    buyer, waiter, *_ = people
    event, _ = await sold_out_event(client, organizer, buyer, price=0, max_per_account=2)
    await joined(client, waiter, event["id"])
    error_of(await join(client, waiter, event["id"]), 409, "already_waiting")
    refused = error_of(await join(client, buyer, event["id"], quantity=2), 409, "account_limit")
    assert refused["seats_allowed"] == 1
    await joined(client, buyer, event["id"], quantity=1)
