"""The JSON API for registrations, exactly as ../shared/API.md words it ("Registrations").

Attendee cancellation deadlines are not decided yet: every event here starts a week out.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.api_helpers import (
    API,
    REGISTRATION_KEYS,
    Person,
    all_pages,
    create_event,
    error_of,
    field_errors,
    get_event,
    parse_time,
    raw_json,
    register,
    registered,
    sign_up,
)
from tests.helpers import GOOD_PASSWORD, csrf_token, post_form
from tests.store_contract import make_event
from web.services.container import Services

pytestmark = pytest.mark.settings(require_email_verification=False)


@pytest.fixture
async def rival(client: httpx.AsyncClient) -> Person:
    return await sign_up(client, "rival@example.com", "organizer", "Rita Rival")


@pytest.fixture
async def alice(client: httpx.AsyncClient) -> Person:
    return await sign_up(client, "alice@example.com", "attendee", "Alice Smith")


@pytest.fixture
async def bob(client: httpx.AsyncClient) -> Person:
    return await sign_up(client, "bob@example.com", "attendee", "Bob Jones")


@pytest.fixture
async def free_event(client: httpx.AsyncClient, organizer: Person) -> dict[str, Any]:
    return await create_event(client, organizer, capacity=20, price=0)


@pytest.fixture
async def paid_event(client: httpx.AsyncClient, organizer: Person) -> dict[str, Any]:
    return await create_event(client, organizer, capacity=20, price=2500)


async def _get(client: httpx.AsyncClient, person: Person, registration_id: str) -> dict[str, Any]:
    response = await client.get(f"{API}/registrations/{registration_id}", headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _cancel(
    client: httpx.AsyncClient, person: Person | None, registration_id: str
) -> httpx.Response:
    headers = person.headers if person else {}
    return await client.post(f"{API}/registrations/{registration_id}/cancel", headers=headers)


# ------------------------------------------------------------------------ register


async def test_free_registration_is_confirmed_at_once(
    client: httpx.AsyncClient, alice: Person, free_event: dict[str, Any]
) -> None:
    before = datetime.now(UTC)
    response = await register(client, alice, free_event["id"], 2)
    assert response.status_code == 201, response.text
    registration = response.json()
    assert set(registration) >= REGISTRATION_KEYS
    assert isinstance(registration["id"], str)
    assert registration["id"]
    assert registration["event_id"] == free_event["id"]
    assert registration["user_id"] == alice.id
    assert registration["quantity"] == 2
    assert registration["amount"] == 0
    assert registration["currency"] == "EUR"
    assert registration["status"] == "confirmed"
    assert registration["payment"] is None
    assert isinstance(registration["tickets"], list)
    created = parse_time(registration["created_at"])
    assert before - timedelta(seconds=2) <= created <= datetime.now(UTC) + timedelta(seconds=2)
    assert (await get_event(client, free_event["id"]))["seats_left"] == 18
    assert await _get(client, alice, registration["id"]) == registration


async def test_paid_registration_is_held_for_payment(
    client: httpx.AsyncClient, alice: Person, paid_event: dict[str, Any]
) -> None:
    response = await register(client, alice, paid_event["id"], 3)
    assert response.status_code == 201, response.text
    registration = response.json()
    assert set(registration) >= REGISTRATION_KEYS
    assert registration["status"] == "held"
    assert registration["amount"] == 7500
    assert registration["currency"] == "EUR"
    assert registration["quantity"] == 3
    assert registration["tickets"] == []
    created = parse_time(registration["created_at"])
    expires = parse_time(registration["hold_expires_at"])
    assert abs((expires - created) - timedelta(minutes=10)) < timedelta(seconds=5)
    payment = registration["payment"]
    assert isinstance(payment, dict)
    assert payment["provider"] == "simulator"
    assert isinstance(payment["status"], str)
    assert (await get_event(client, paid_event["id"]))["seats_left"] == 17


async def test_attendee_names_and_several_registrations_per_person(
    client: httpx.AsyncClient, alice: Person, free_event: dict[str, Any]
) -> None:
    first = await registered(client, alice, free_event["id"], 2, attendee_names=["Ann", "Ben"])
    second = await registered(client, alice, free_event["id"], 3, attendee_names=["Cy"])
    third = await registered(client, alice, free_event["id"], 1, attendee_names=[])
    assert len({first["id"], second["id"], third["id"]}) == 3
    assert (await get_event(client, free_event["id"]))["seats_left"] == 14


@pytest.mark.parametrize("quantity", [0, -1, 11, "2", 1.5, None, True])
async def test_bad_quantity_is_422(
    client: httpx.AsyncClient, alice: Person, free_event: dict[str, Any], quantity: object
) -> None:
    fields = field_errors(await register(client, alice, free_event["id"], quantity))
    assert "quantity" in fields
    assert (await get_event(client, free_event["id"]))["seats_left"] == 20


async def test_missing_quantity_is_422(
    client: httpx.AsyncClient, alice: Person, free_event: dict[str, Any]
) -> None:
    response = await client.post(
        f"{API}/registrations", json={"event_id": free_event["id"]}, headers=alice.headers
    )
    assert "quantity" in field_errors(response)


async def test_quantity_up_to_the_events_maximum(
    client: httpx.AsyncClient, organizer: Person, alice: Person
) -> None:
    event = await create_event(client, organizer, capacity=50, max_per_registration=4)
    assert "quantity" in field_errors(await register(client, alice, event["id"], 5))
    assert (await registered(client, alice, event["id"], 4))["quantity"] == 4


@pytest.mark.parametrize(
    ("names", "quantity"),
    [("Ann", 1), ([1, 2], 2), ([None], 1), (["Ann", "Ben", "Cy"], 2), ({"name": "Ann"}, 1)],
)
async def test_bad_attendee_names_are_422(
    client: httpx.AsyncClient,
    alice: Person,
    free_event: dict[str, Any],
    names: object,
    quantity: int,
) -> None:
    response = await register(client, alice, free_event["id"], quantity, attendee_names=names)
    assert "attendee_names" in field_errors(response)
    assert (await get_event(client, free_event["id"]))["seats_left"] == 20


async def test_not_enough_seats_then_sold_out(
    client: httpx.AsyncClient, organizer: Person, alice: Person, bob: Person
) -> None:
    event = await create_event(client, organizer, capacity=5)
    await registered(client, alice, event["id"], 3)
    error = error_of(await register(client, bob, event["id"], 3), 409, "not_enough_seats")
    assert error["seats_left"] == 2
    await registered(client, bob, event["id"], 2)
    error = error_of(await register(client, alice, event["id"], 1), 409, "sold_out")
    assert error.get("seats_left", 0) == 0
    error_of(await register(client, alice, event["id"], 4), 409, "sold_out")
    assert (await get_event(client, event["id"]))["seats_left"] == 0


async def test_paid_holds_count_against_capacity(
    client: httpx.AsyncClient, organizer: Person, alice: Person, bob: Person
) -> None:
    event = await create_event(client, organizer, capacity=4, price=1000)
    assert (await registered(client, alice, event["id"], 3))["status"] == "held"
    error = error_of(await register(client, bob, event["id"], 2), 409, "not_enough_seats")
    assert error["seats_left"] == 1


async def test_closed_events_refuse_registrations(
    client: httpx.AsyncClient, organizer: Person, alice: Person, services: Services
) -> None:
    draft = await create_event(client, organizer, publish=False)
    response = await register(client, alice, draft["id"], 1)
    # API.md lists 409 event_not_open; a draft is also invisible to all but its organizer,
    # so a 404 that does not reveal it exists is as good.
    assert response.status_code in (404, 409), response.text
    error_of(
        response,
        response.status_code,
        {404: "not_found", 409: "event_not_open"}[response.status_code],
    )

    cancelled = await create_event(client, organizer)
    response = await client.post(
        f"{API}/events/{cancelled['id']}/cancel", headers=organizer.headers
    )
    assert response.status_code == 200, response.text
    error_of(await register(client, alice, cancelled["id"], 1), 409, "event_not_open")

    ended = make_event(organizer.id, days=-2, price=0)
    await services.store.create_event(ended)
    error_of(await register(client, alice, ended.id, 1), 409, "event_not_open")

    page = await all_pages(client, f"{API}/registrations", alice)
    assert page == []


async def test_unknown_or_missing_event(client: httpx.AsyncClient, alice: Person) -> None:
    response = await register(client, alice, "no-such-event", 1)
    assert response.status_code in (404, 422), response.text
    if response.status_code == 422:
        assert "event_id" in field_errors(response)
    else:
        error_of(response, 404, "not_found")
    response = await client.post(
        f"{API}/registrations", json={"quantity": 1}, headers=alice.headers
    )
    assert "event_id" in field_errors(response)
    response = await client.post(
        f"{API}/registrations", json={"event_id": 42, "quantity": 1}, headers=alice.headers
    )
    assert "event_id" in field_errors(response)


async def test_registering_needs_a_sign_in(
    client: httpx.AsyncClient, free_event: dict[str, Any]
) -> None:
    body = {"event_id": free_event["id"], "quantity": 1}
    error_of(await client.post(f"{API}/registrations", json=body), 401, "not_authenticated")
    error_of(
        await client.post(
            f"{API}/registrations", json=body, headers={"Authorization": "Bearer forged"}
        ),
        401,
    )
    assert (await get_event(client, free_event["id"]))["seats_left"] == 20


@pytest.mark.parametrize("body", [b"{not json", b"[1]", b""])
async def test_registration_non_json_body_is_400(
    client: httpx.AsyncClient, alice: Person, body: bytes
) -> None:
    response = await client.post(
        f"{API}/registrations",
        content=body,
        headers={**alice.headers, "Content-Type": "application/json"},
    )
    error_of(response, 400, "invalid_json")


# ---------------------------------------------------------------------------- read


async def test_my_registrations_are_mine_only(
    client: httpx.AsyncClient,
    alice: Person,
    bob: Person,
    free_event: dict[str, Any],
    paid_event: dict[str, Any],
) -> None:
    mine = [
        await registered(client, alice, free_event["id"], 1),
        await registered(client, alice, paid_event["id"], 2),
        await registered(client, alice, free_event["id"], 1),
    ]
    theirs = await registered(client, bob, free_event["id"], 1)

    response = await client.get(f"{API}/registrations", headers=alice.headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"items", "next_cursor"}
    items = await all_pages(client, f"{API}/registrations", alice)
    assert sorted(item["id"] for item in items) == sorted(item["id"] for item in mine)
    for item in items:
        assert set(item) >= REGISTRATION_KEYS
        assert item["user_id"] == alice.id
    paged = await all_pages(client, f"{API}/registrations", alice, limit=1)
    assert sorted(item["id"] for item in paged) == sorted(item["id"] for item in mine)

    assert [item["id"] for item in await all_pages(client, f"{API}/registrations", bob)] == [
        theirs["id"]
    ]
    error_of(await client.get(f"{API}/registrations"), 401)


async def test_one_registration_for_its_attendee_and_organizer(
    client: httpx.AsyncClient,
    organizer: Person,
    rival: Person,
    alice: Person,
    bob: Person,
    free_event: dict[str, Any],
) -> None:
    registration = await registered(client, alice, free_event["id"], 2)
    path = f"{API}/registrations/{registration['id']}"
    assert await _get(client, alice, registration["id"]) == registration
    assert await _get(client, organizer, registration["id"]) == registration
    error_of(await client.get(path, headers=bob.headers), 404, "not_found")
    response = await client.get(path, headers=rival.headers)
    assert response.status_code in (403, 404), response.text
    error_of(await client.get(path), 401)
    error_of(await client.get(f"{API}/registrations/nope", headers=alice.headers), 404)


# -------------------------------------------------------------------------- cancel


async def test_attendee_cancels_and_seats_return(
    client: httpx.AsyncClient, alice: Person, bob: Person, free_event: dict[str, Any]
) -> None:
    registration = await registered(client, alice, free_event["id"], 3)
    assert (await get_event(client, free_event["id"]))["seats_left"] == 17

    error_of(await _cancel(client, bob, registration["id"]), 404, "not_found")
    error_of(await _cancel(client, None, registration["id"]), 401)
    assert (await _get(client, alice, registration["id"]))["status"] == "confirmed"
    assert (await get_event(client, free_event["id"]))["seats_left"] == 17

    response = await _cancel(client, alice, registration["id"])
    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert set(cancelled) >= REGISTRATION_KEYS
    assert cancelled["id"] == registration["id"]
    assert cancelled["status"] == "cancelled"
    assert (await get_event(client, free_event["id"]))["seats_left"] == 20
    assert (await _get(client, alice, registration["id"]))["status"] == "cancelled"

    error_of(await _cancel(client, alice, registration["id"]), 409)
    assert (await get_event(client, free_event["id"]))["seats_left"] == 20
    error_of(await _cancel(client, alice, "nope"), 404)


async def test_organizer_cancels_a_registration(
    client: httpx.AsyncClient,
    organizer: Person,
    rival: Person,
    alice: Person,
    free_event: dict[str, Any],
) -> None:
    registration = await registered(client, alice, free_event["id"], 2)
    response = await _cancel(client, rival, registration["id"])
    assert response.status_code in (403, 404), response.text
    response = await _cancel(client, organizer, registration["id"])
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert (await get_event(client, free_event["id"]))["seats_left"] == 20


async def test_cancelling_a_hold_returns_its_seats(
    client: httpx.AsyncClient, alice: Person, paid_event: dict[str, Any]
) -> None:
    registration = await registered(client, alice, paid_event["id"], 4)
    assert (await get_event(client, paid_event["id"]))["seats_left"] == 16
    response = await _cancel(client, alice, registration["id"])
    assert response.status_code == 200, response.text
    assert response.json()["status"] in ("cancelled", "refunded")
    assert (await get_event(client, paid_event["id"]))["seats_left"] == 20


@pytest.mark.settings(require_email_verification=False, hold_minutes=0.01)
async def test_an_expired_hold_gives_its_seats_back(
    client: httpx.AsyncClient, organizer: Person, alice: Person, bob: Person
) -> None:
    event = await create_event(client, organizer, capacity=3, price=1000)
    first = await registered(client, alice, event["id"], 3)
    assert first["status"] == "held"
    expires = parse_time(first["hold_expires_at"])
    assert expires - parse_time(first["created_at"]) < timedelta(seconds=5)
    error_of(await register(client, bob, event["id"], 1), 409, "sold_out")

    await asyncio.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.2)
    second = await registered(client, bob, event["id"], 2)
    assert second["status"] == "held"
    assert (await _get(client, alice, first["id"]))["status"] == "expired"
    assert (await get_event(client, event["id"]))["seats_left"] == 1


@pytest.mark.settings(require_email_verification=False, hold_minutes=0.01)
async def test_a_run_out_hold_shows_as_expired_without_new_buyers(
    client: httpx.AsyncClient, organizer: Person, alice: Person
) -> None:
    event = await create_event(client, organizer, capacity=5, price=1000)
    held = await registered(client, alice, event["id"], 3)
    assert (await get_event(client, event["id"]))["seats_left"] == 2
    expires = parse_time(held["hold_expires_at"])
    await asyncio.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.2)

    # API.md: `held` reserves seats "until hold_expires_at"; after it, nothing is held.
    assert (await _get(client, alice, held["id"]))["status"] == "expired"
    assert (await get_event(client, event["id"]))["seats_left"] == 5
    response = await client.get(f"{API}/events/{event['id']}/stats", headers=organizer.headers)
    assert response.status_code == 200, response.text
    assert response.json()["seats_held"] == 0
    assert response.json()["seats_left"] == 5
    error_of(await _cancel(client, alice, held["id"]), 409)
    assert (await get_event(client, event["id"]))["seats_left"] == 5


async def test_a_browser_session_needs_the_csrf_token_to_register(
    client: httpx.AsyncClient, alice: Person, free_event: dict[str, Any]
) -> None:
    response = await post_form(client, "/login", {"email": alice.email, "password": GOOD_PASSWORD})
    assert response.status_code == 303, response.text
    body = {"event_id": free_event["id"], "quantity": 1}

    # API.md: cookies work for GETs; state-changing calls with a cookie need the CSRF token.
    response = await client.get(f"{API}/registrations")
    assert response.status_code == 200, response.text
    error_of(await client.post(f"{API}/registrations", json=body), 403, "csrf_failed")
    assert (await get_event(client, free_event["id"]))["seats_left"] == 20

    token = await csrf_token(client, "/")
    response = await client.post(f"{API}/registrations", json=body, headers={"X-CSRF-Token": token})
    assert response.status_code == 201, response.text
    assert response.json()["user_id"] == alice.id


# ------------------------------------------------- bad input is never a server error


@pytest.fixture
async def plain_client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sees an unhandled exception as the 500 a real client would get."""
    transport = httpx.ASGITransport(
        app=app.state.asgi, client=("203.0.113.7", 50000), raise_app_exceptions=False
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.mark.parametrize(
    ("changes", "allowed"),
    [
        ({"event_id": "x\ud800"}, {400, 404, 422}),
        ({"attendee_names": ["\ud800"]}, {400, 422}),
        ({"quantity": 10**30}, {422}),
    ],
    ids=["surrogate-event-id", "surrogate-name", "huge-quantity"],
)
async def test_odd_registration_bodies_are_not_server_errors(
    plain_client: httpx.AsyncClient,
    alice: Person,
    free_event: dict[str, Any],
    changes: dict[str, Any],
    allowed: set[int],
) -> None:
    body = {"event_id": free_event["id"], "quantity": 1, **changes}
    response = await plain_client.post(
        f"{API}/registrations",
        content=raw_json(body),
        headers={**alice.headers, "Content-Type": "application/json"},
    )
    seats_left = (await get_event(plain_client, free_event["id"]))["seats_left"]
    mine = await plain_client.get(f"{API}/registrations", headers=alice.headers)
    assert response.status_code in allowed, response.text
    error_of(response, response.status_code)
    # Nothing of the refused request is stored, and the person's list still reads.
    assert seats_left == 20
    assert mine.status_code == 200, mine.text
    assert mine.json()["items"] == []


@pytest.mark.parametrize("whose", ["mine", "event"])
@pytest.mark.parametrize(
    "cursor",
    ["bm9wZQ", "WyI5OTk5LTEyLTMxVDIzOjU5OjU5LTIzOjU5IiwgIngiXQ", "WzEsIDJd"],
    ids=["not-json", "year-9999", "numbers"],
)
async def test_odd_registration_cursors_are_not_server_errors(
    plain_client: httpx.AsyncClient,
    organizer: Person,
    alice: Person,
    free_event: dict[str, Any],
    whose: str,
    cursor: str,
) -> None:
    await registered(plain_client, alice, free_event["id"], 1)
    if whose == "mine":
        person, path = alice, f"{API}/registrations"
    else:
        person, path = organizer, f"{API}/events/{free_event['id']}/registrations"
    response = await plain_client.get(path, params={"cursor": cursor}, headers=person.headers)
    assert response.status_code in (400, 422), response.text
    error_of(response, response.status_code)
