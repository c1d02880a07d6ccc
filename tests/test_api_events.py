"""The JSON API for events, exactly as ../shared/API.md words it ("Conventions", "Events")."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.api_helpers import (
    API,
    EVENT_KEYS,
    REGISTRATION_KEYS,
    STATS_KEYS,
    Person,
    all_pages,
    create_event,
    error_of,
    event_body,
    field_errors,
    get_event,
    parse_time,
    raw_json,
    register,
    registered,
    sign_up,
    stats,
)
from tests.helpers import outbox_messages
from tests.store_contract import make_event
from web.services.container import Services
from web.settings import Settings

pytestmark = pytest.mark.settings(require_email_verification=False)


@pytest.fixture
async def rival(client: httpx.AsyncClient) -> Person:
    return await sign_up(client, "rival@example.com", "organizer", "Rita Rival")


@pytest.fixture
async def attendee(client: httpx.AsyncClient) -> Person:
    return await sign_up(client, "alice@example.com", "attendee", "Alice Smith")


@pytest.fixture
async def other_attendee(client: httpx.AsyncClient) -> Person:
    return await sign_up(client, "bob@example.com", "attendee", "Bob Jones")


async def _ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get(f"{API}/events", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


# ------------------------------------------------------------------------ create


async def test_create_event_answers_a_draft(client: httpx.AsyncClient, organizer: Person) -> None:
    body = event_body(capacity=250, price=2500, description="Line one\nLine two")
    response = await client.post(f"{API}/events", json=body, headers=organizer.headers)
    assert response.status_code == 201, response.text
    event = response.json()
    assert set(event) == EVENT_KEYS
    assert isinstance(event["id"], str)
    assert event["id"]
    assert event["status"] == "draft"
    assert event["organizer_id"] == organizer.id
    assert event["title"] == body["title"]
    assert event["description"] == body["description"]
    assert event["venue"] == body["venue"]
    assert event["timezone"] == "Europe/Lisbon"
    assert event["capacity"] == 250
    assert event["seats_left"] == 250
    assert event["price"] == 2500
    assert event["currency"] == "EUR"
    assert event["category"] == "music"
    assert event["max_per_registration"] == 10
    starts = parse_time(event["starts_at"])
    assert starts == parse_time(body["starts_at"])
    assert parse_time(event["ends_at"]) == parse_time(body["ends_at"])
    assert parse_time(event["doors_open_at"]) == starts - timedelta(hours=2)

    # The organizer reads it back unchanged.
    assert await get_event(client, event["id"], organizer) == event


async def test_create_event_optional_fields_and_currency_case(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    body = event_body(currency="eur", max_per_registration=4)
    del body["category"]
    response = await client.post(f"{API}/events", json=body, headers=organizer.headers)
    assert response.status_code == 201, response.text
    event = response.json()
    assert event["currency"] == "EUR"
    assert event["max_per_registration"] == 4
    assert isinstance(event["category"], str)


async def test_create_event_accepts_the_limits(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    for changes in (
        {"title": "T" * 200, "venue": "V" * 300, "description": "D" * 10_000},
        {"capacity": 1, "price": 0, "max_per_registration": 1},
        {"capacity": 100_000, "price": 100_000_000, "max_per_registration": 100},
    ):
        response = await client.post(
            f"{API}/events", json=event_body(**changes), headers=organizer.headers
        )
        assert response.status_code == 201, (changes, response.text)
        event = response.json()
        for name, value in changes.items():
            assert event[name] == value


async def test_create_event_needs_an_organizer(
    client: httpx.AsyncClient, attendee: Person, services: Services
) -> None:
    response = await client.post(f"{API}/events", json=event_body(), headers=attendee.headers)
    error_of(response, 403, "forbidden")
    response = await client.post(f"{API}/events", json=event_body())
    error_of(response, 401, "not_authenticated")
    response = await client.post(
        f"{API}/events", json=event_body(), headers={"Authorization": "Bearer forged"}
    )
    error_of(response, 401)
    assert (await services.store.list_organizer_events(attendee.id, 100)).items == []


def _past(**changes: Any) -> dict[str, Any]:
    return event_body(days=-1, **changes)


def _naive_start() -> dict[str, Any]:
    return event_body(starts_at="2030-01-01T20:00:00", ends_at="2030-01-01T23:00:00+00:00")


def _ends_before_start() -> dict[str, Any]:
    body = event_body()
    starts = parse_time(body["starts_at"])
    body["ends_at"] = (starts - timedelta(hours=1)).isoformat()
    return body


BAD_EVENTS: list[tuple[str, dict[str, Any], str]] = [
    ("empty title", event_body(title=""), "title"),
    ("long title", event_body(title="x" * 201), "title"),
    ("title not text", event_body(title=5), "title"),
    ("long venue", event_body(venue="v" * 301), "venue"),
    ("long description", event_body(description="d" * 10_001), "description"),
    ("capacity 0", event_body(capacity=0), "capacity"),
    ("capacity too big", event_body(capacity=100_001), "capacity"),
    ("capacity a string", event_body(capacity="10"), "capacity"),
    ("negative price", event_body(price=-1), "price"),
    ("price too big", event_body(price=100_000_001), "price"),
    ("fractional price", event_body(price=12.5), "price"),
    ("unknown currency", event_body(currency="XYZ"), "currency"),
    ("unknown timezone", event_body(timezone="Mars/Olympus_Mons"), "timezone"),
    ("ends before it starts", _ends_before_start(), "ends_at"),
    ("starts in the past", _past(), "starts_at"),
    ("start without offset", _naive_start(), "starts_at"),
    ("start not a time", event_body(starts_at="next friday"), "starts_at"),
    ("max per registration 0", event_body(max_per_registration=0), "max_per_registration"),
    ("max per registration 101", event_body(max_per_registration=101), "max_per_registration"),
]


@pytest.mark.parametrize(
    ("body", "field"),
    [(body, field) for _, body, field in BAD_EVENTS],
    ids=[i for i, *_ in BAD_EVENTS],
)
async def test_create_event_field_errors(
    client: httpx.AsyncClient,
    organizer: Person,
    services: Services,
    body: dict[str, Any],
    field: str,
) -> None:
    response = await client.post(f"{API}/events", json=body, headers=organizer.headers)
    fields = field_errors(response)
    assert field in fields, fields
    assert isinstance(fields[field], str)
    assert fields[field]
    # Nothing of the request is stored...
    assert (await services.store.list_organizer_events(organizer.id, 100)).items == []
    assert await _ids(client) == []
    # ...and a valid create afterwards works.
    response = await client.post(f"{API}/events", json=event_body(), headers=organizer.headers)
    assert response.status_code == 201, response.text
    assert len((await services.store.list_organizer_events(organizer.id, 100)).items) == 1


async def test_create_event_names_every_bad_field_at_once(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    body = event_body(title="", capacity=0, price=-1, currency="XYZ")
    fields = field_errors(await client.post(f"{API}/events", json=body, headers=organizer.headers))
    assert {"title", "capacity", "price", "currency"} <= set(fields)

    fields = field_errors(await client.post(f"{API}/events", json={}, headers=organizer.headers))
    required = {"title", "venue", "starts_at", "ends_at", "timezone", "capacity", "price"}
    assert required <= set(fields), fields


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"", b"\xff\xfe"])
async def test_create_event_non_json_body_is_400(
    client: httpx.AsyncClient, organizer: Person, body: bytes
) -> None:
    response = await client.post(
        f"{API}/events",
        content=body,
        headers={**organizer.headers, "Content-Type": "application/json"},
    )
    error_of(response, 400, "invalid_json")


async def test_create_event_body_over_one_megabyte_is_413(
    client: httpx.AsyncClient, organizer: Person, services: Services
) -> None:
    response = await client.post(
        f"{API}/events",
        content=b'{"description": "' + b"x" * 1_000_001 + b'"}',
        headers={**organizer.headers, "Content-Type": "application/json"},
    )
    error_of(response, 413)
    assert (await services.store.list_organizer_events(organizer.id, 100)).items == []


# --------------------------------------------------------------------------- read


async def test_a_draft_is_visible_to_its_organizer_only(
    client: httpx.AsyncClient, organizer: Person, rival: Person, attendee: Person
) -> None:
    event = await create_event(client, organizer, publish=False)
    path = f"{API}/events/{event['id']}"
    error_of(await client.get(path), 404, "not_found")
    error_of(await client.get(path, headers=rival.headers), 404, "not_found")
    error_of(await client.get(path, headers=attendee.headers), 404, "not_found")
    response = await client.get(path, headers=organizer.headers)
    assert response.status_code == 200
    assert response.json() == event

    published = (await client.post(f"{path}/publish", headers=organizer.headers)).json()
    response = await client.get(path)
    assert response.status_code == 200
    assert response.json() == published


async def test_unknown_event_is_404(client: httpx.AsyncClient, organizer: Person) -> None:
    error_of(await client.get(f"{API}/events/nope"), 404, "not_found")
    error_of(
        await client.get(f"{API}/events/{'0' * 32}", headers=organizer.headers), 404, "not_found"
    )


# -------------------------------------------------------------------------- patch


async def test_patch_changes_only_the_given_fields(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    event = await create_event(client, organizer, publish=False, price=1500)
    path = f"{API}/events/{event['id']}"
    response = await client.patch(path, json={"title": "New"}, headers=organizer.headers)
    assert response.status_code == 200, response.text
    changed = response.json()
    assert set(changed) == EVENT_KEYS
    assert changed["title"] == "New"
    assert {k: v for k, v in changed.items() if k != "title"} == {
        k: v for k, v in event.items() if k != "title"
    }
    assert await get_event(client, event["id"], organizer) == changed

    later = parse_time(event["starts_at"]) + timedelta(days=1)
    response = await client.patch(
        path,
        json={
            "starts_at": later.isoformat(),
            "ends_at": (later + timedelta(hours=2)).isoformat(),
            "capacity": 40,
            "price": 0,
            "currency": "usd",
        },
        headers=organizer.headers,
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert parse_time(changed["starts_at"]) == later
    assert parse_time(changed["ends_at"]) == later + timedelta(hours=2)
    assert changed["capacity"] == 40
    assert changed["seats_left"] == 40
    assert changed["price"] == 0
    assert changed["currency"] == "USD"
    assert changed["title"] == "New"
    assert changed["venue"] == event["venue"]


async def test_concurrent_patches_keep_every_change(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    event = await create_event(client, organizer, publish=False)
    path = f"{API}/events/{event['id']}"
    changes = [
        {"title": "New title"},
        {"venue": "New venue"},
        {"description": "New description"},
        {"max_per_registration": 5},
        {"price": 999},
        {"category": "tech"},
        {"capacity": 77},
    ]
    answers = await asyncio.gather(
        *(client.patch(path, json=body, headers=organizer.headers) for body in changes)
    )
    for response in answers:
        assert response.status_code == 200, response.text
    final = await get_event(client, event["id"], organizer)
    for body in changes:
        for name, value in body.items():
            assert final[name] == value, (name, final)


async def test_patch_is_for_its_organizer_only(
    client: httpx.AsyncClient, organizer: Person, rival: Person, attendee: Person
) -> None:
    event = await create_event(client, organizer)
    path = f"{API}/events/{event['id']}"
    error_of(
        await client.patch(path, json={"title": "Mine"}, headers=rival.headers), 404, "not_found"
    )
    response = await client.patch(path, json={"title": "Mine"}, headers=attendee.headers)
    assert response.status_code in (403, 404), response.text
    error_of(await client.patch(path, json={"title": "Mine"}), 401)
    error_of(
        await client.patch(f"{API}/events/nope", json={"title": "X"}, headers=organizer.headers),
        404,
        "not_found",
    )
    assert (await get_event(client, event["id"]))["title"] == event["title"]


async def test_patch_field_errors_change_nothing(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    event = await create_event(client, organizer, publish=False)
    path = f"{API}/events/{event['id']}"
    for body, field in (
        ({"capacity": 0}, "capacity"),
        ({"title": ""}, "title"),
        ({"price": -1}, "price"),
        ({"currency": "XYZ"}, "currency"),
        ({"timezone": "Nowhere/Land"}, "timezone"),
        ({"max_per_registration": 101}, "max_per_registration"),
        ({"title": "Fine", "capacity": 100_001}, "capacity"),
        # Partial bodies are checked against the stored values.
        ({"ends_at": (parse_time(event["starts_at"]) - timedelta(hours=1)).isoformat()}, "ends_at"),
        ({"starts_at": "2030-01-01T20:00:00"}, "starts_at"),
        ({"colour": "red"}, "colour"),
    ):
        response = await client.patch(path, json=body, headers=organizer.headers)
        fields = field_errors(response)
        assert field in fields, (body, fields)
        assert await get_event(client, event["id"], organizer) == event


async def test_patch_non_json_body_is_400(client: httpx.AsyncClient, organizer: Person) -> None:
    event = await create_event(client, organizer, publish=False)
    response = await client.patch(
        f"{API}/events/{event['id']}",
        content=b"{oops",
        headers={**organizer.headers, "Content-Type": "application/json"},
    )
    error_of(response, 400, "invalid_json")


async def test_capacity_may_not_drop_below_seats_taken(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event = await create_event(client, organizer, capacity=10)
    await registered(client, attendee, event["id"], 3)
    path = f"{API}/events/{event['id']}"
    response = await client.patch(path, json={"capacity": 2}, headers=organizer.headers)
    error_of(response, 409, "capacity_below_sold")
    assert (await get_event(client, event["id"]))["capacity"] == 10

    response = await client.patch(path, json={"capacity": 3}, headers=organizer.headers)
    assert response.status_code == 200, response.text
    assert response.json()["capacity"] == 3
    assert response.json()["seats_left"] == 0

    response = await client.patch(path, json={"capacity": 8}, headers=organizer.headers)
    assert response.status_code == 200, response.text
    assert response.json()["seats_left"] == 5


async def test_capacity_may_not_drop_below_held_seats(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event = await create_event(client, organizer, capacity=10, price=1000)
    assert (await registered(client, attendee, event["id"], 4))["status"] == "held"
    path = f"{API}/events/{event['id']}"
    response = await client.patch(path, json={"capacity": 3}, headers=organizer.headers)
    error_of(response, 409, "capacity_below_sold")
    response = await client.patch(path, json={"capacity": 4}, headers=organizer.headers)
    assert response.status_code == 200, response.text
    assert response.json()["seats_left"] == 0


# ------------------------------------------------------------- publish and cancel


async def test_publish_once(client: httpx.AsyncClient, organizer: Person, rival: Person) -> None:
    event = await create_event(client, organizer, publish=False)
    path = f"{API}/events/{event['id']}/publish"
    error_of(await client.post(path, headers=rival.headers), 404, "not_found")
    error_of(await client.post(path), 401)
    assert await _ids(client) == []

    response = await client.post(path, headers=organizer.headers)
    assert response.status_code == 200, response.text
    published = response.json()
    assert set(published) == EVENT_KEYS
    assert published["status"] == "published"
    # A type is on sale once its event is published.
    assert {k: v for k, v in published.items() if k not in ("status", "ticket_types")} == {
        k: v for k, v in event.items() if k not in ("status", "ticket_types")
    }
    assert [t["on_sale"] for t in event["ticket_types"]] == [False]
    assert [t["on_sale"] for t in published["ticket_types"]] == [True]
    assert await _ids(client) == [event["id"]]

    error_of(await client.post(path, headers=organizer.headers), 409)


async def test_a_cancelled_event_cannot_be_published_again(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    event = await create_event(client, organizer)
    path = f"{API}/events/{event['id']}"
    response = await client.post(f"{path}/cancel", headers=organizer.headers)
    assert response.status_code == 200, response.text
    error_of(await client.post(f"{path}/publish", headers=organizer.headers), 409)
    assert (await get_event(client, event["id"]))["status"] == "cancelled"
    assert await _ids(client) == []


async def test_cancel_event_cancels_registrations_and_tells_attendees(
    client: httpx.AsyncClient,
    settings: Settings,
    organizer: Person,
    rival: Person,
    attendee: Person,
    other_attendee: Person,
) -> None:
    event = await create_event(client, organizer, capacity=20)
    registration = await registered(client, attendee, event["id"], 2)
    assert registration["status"] == "confirmed"
    mails_before = len(outbox_messages(settings, attendee.email))

    path = f"{API}/events/{event['id']}/cancel"
    error_of(await client.post(path, headers=rival.headers), 404, "not_found")
    response = await client.post(path, headers=attendee.headers)
    assert response.status_code in (403, 404), response.text
    assert (await get_event(client, event["id"]))["status"] == "published"

    response = await client.post(path, headers=organizer.headers)
    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert set(cancelled) == EVENT_KEYS
    assert cancelled["status"] == "cancelled"

    response = await client.get(
        f"{API}/registrations/{registration['id']}", headers=attendee.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert len(outbox_messages(settings, attendee.email)) > mails_before

    error_of(await register(client, other_attendee, event["id"], 1), 409, "event_not_open")
    assert await _ids(client) == []


# --------------------------------------------------------------------------- list


async def test_list_shows_published_upcoming_events_soonest_first(
    client: httpx.AsyncClient, organizer: Person, services: Services
) -> None:
    later = await create_event(client, organizer, days=10, title="Later")
    sooner = await create_event(client, organizer, days=3, title="Sooner")
    await create_event(client, organizer, days=2, publish=False, title="Draft")
    gone = await create_event(client, organizer, days=4, title="Cancelled")
    response = await client.post(f"{API}/events/{gone['id']}/cancel", headers=organizer.headers)
    assert response.status_code == 200, response.text
    ended = make_event(organizer.id, days=-2, title="Ended", price=0)
    running = make_event(organizer.id, days=-1 / 24, title="Running", price=0)
    await services.store.create_event(ended)
    await services.store.create_event(running)

    response = await client.get(f"{API}/events")
    assert response.status_code == 200
    page = response.json()
    assert set(page) == {"items", "next_cursor"}
    assert page["next_cursor"] is None
    assert [item["id"] for item in page["items"]] == [running.id, sooner["id"], later["id"]]
    for item in page["items"]:
        assert set(item) == EVENT_KEYS
        assert item["status"] == "published"
    assert page["items"][1] == sooner


async def test_list_pages_with_cursor_and_limit(
    client: httpx.AsyncClient, organizer: Person, services: Services
) -> None:
    events = [make_event(organizer.id, days=1 + n / 3, title=f"Event {n}") for n in range(25)]
    for event in reversed(events):
        await services.store.create_event(event)
    expected = [event.id for event in events]

    response = await client.get(f"{API}/events")
    page = response.json()
    assert [item["id"] for item in page["items"]] == expected[:20]
    assert isinstance(page["next_cursor"], str)

    for limit in (1, 2, 7, 100):
        items = await all_pages(client, f"{API}/events", limit=limit)
        assert [item["id"] for item in items] == expected, limit

    response = await client.get(f"{API}/events", params={"limit": 7})
    first = response.json()
    response = await client.get(
        f"{API}/events", params={"limit": 7, "cursor": first["next_cursor"]}
    )
    assert [item["id"] for item in response.json()["items"]] == expected[7:14]


@pytest.mark.parametrize("limit", ["0", "101", "abc", "-1", "2.5"])
async def test_list_limit_out_of_range_is_422(client: httpx.AsyncClient, limit: str) -> None:
    fields = field_errors(await client.get(f"{API}/events", params={"limit": limit}))
    assert "limit" in fields


async def test_list_bad_cursor_is_not_a_server_error(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/events", params={"cursor": "not-a-cursor!!"})
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        error_of(response, response.status_code)


async def test_list_search_by_text(client: httpx.AsyncClient, organizer: Person) -> None:
    by_title = await create_event(
        client, organizer, days=3, title="Jazz Night", description="Music.", venue="Hall"
    )
    by_description = await create_event(
        client, organizer, days=4, title="Evening", description="Live saxophone trio", venue="Bar"
    )
    by_venue = await create_event(
        client, organizer, days=5, title="Show", description="Fun.", venue="Blue Note Club"
    )
    other = await create_event(
        client, organizer, days=6, title="Pottery", description="Clay.", venue="Studio"
    )
    assert await _ids(client, q="jazz") == [by_title["id"]]
    assert await _ids(client, q="JAZZ NIGHT") == [by_title["id"]]
    assert await _ids(client, q="Saxophone") == [by_description["id"]]
    assert await _ids(client, q="blue note") == [by_venue["id"]]
    assert await _ids(client, q="nothing like this") == []
    everything = [by_title["id"], by_description["id"], by_venue["id"], other["id"]]
    assert await _ids(client, q="") == everything
    assert await _ids(client) == everything

    fields = field_errors(await client.get(f"{API}/events", params={"q": "x" * 1000}))
    assert "q" in fields


async def test_list_search_takes_wildcards_literally(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    percent = await create_event(client, organizer, days=3, title="100% Jazz")
    underscore = await create_event(client, organizer, days=4, title="snake_case meetup")
    await create_event(client, organizer, days=5, title="Plain", description="Nothing.")
    assert await _ids(client, q="%") == [percent["id"]]
    assert await _ids(client, q="_") == [underscore["id"]]
    assert await _ids(client, q="100%") == [percent["id"]]
    assert await _ids(client, q="e_c") == [underscore["id"]]
    assert await _ids(client, q="*") == []


async def test_list_filters_by_category_and_price(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    free_music = await create_event(client, organizer, days=3, category="music", price=0)
    paid_music = await create_event(client, organizer, days=4, category="music", price=1000)
    free_tech = await create_event(client, organizer, days=5, category="tech", price=0)
    assert await _ids(client, category="music") == [free_music["id"], paid_music["id"]]
    assert await _ids(client, category="tech") == [free_tech["id"]]
    assert await _ids(client, category="food") == []
    assert await _ids(client, free="true") == [free_music["id"], free_tech["id"]]
    assert await _ids(client, free="false") == [paid_music["id"]]
    assert await _ids(client, category="music", free="true") == [free_music["id"]]


async def test_list_filters_by_start(client: httpx.AsyncClient, organizer: Person) -> None:
    soon = await create_event(client, organizer, days=3)
    mid = await create_event(client, organizer, days=10)
    late = await create_event(client, organizer, days=20)
    today = datetime.now(UTC)
    day7 = (today + timedelta(days=7)).date().isoformat()
    day15 = (today + timedelta(days=15)).date().isoformat()
    assert await _ids(client, **{"from": day7}) == [mid["id"], late["id"]]
    assert await _ids(client, to=day15) == [soon["id"], mid["id"]]
    assert await _ids(client, **{"from": day7, "to": day15}) == [mid["id"]]

    moment7 = (today + timedelta(days=7)).replace(microsecond=0).isoformat()
    moment15 = (today + timedelta(days=15)).replace(microsecond=0).isoformat()
    assert await _ids(client, **{"from": moment7}) == [mid["id"], late["id"]]
    assert await _ids(client, to=moment15) == [soon["id"], mid["id"]]
    assert await _ids(client, **{"from": moment7, "to": moment15}) == [mid["id"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"from": "yesterday"}, "from"), ({"to": "2030-13-45"}, "to"), ({"free": "maybe"}, "free")],
)
async def test_list_bad_filters_are_422(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    fields = field_errors(await client.get(f"{API}/events", params=params))
    assert field in fields


# ------------------------------------------------------- registrations and stats


async def test_organizer_lists_and_searches_registrations(
    client: httpx.AsyncClient,
    organizer: Person,
    rival: Person,
    attendee: Person,
    other_attendee: Person,
) -> None:
    event = await create_event(client, organizer, capacity=50)
    alice_one = await registered(client, attendee, event["id"], 2)
    bob = await registered(client, other_attendee, event["id"], 1)
    alice_two = await registered(client, attendee, event["id"], 3)
    path = f"{API}/events/{event['id']}/registrations"

    items = await all_pages(client, path, organizer)
    assert {item["id"] for item in items} == {alice_one["id"], bob["id"], alice_two["id"]}
    for item in items:
        assert set(item) >= REGISTRATION_KEYS
        assert item["event_id"] == event["id"]

    paged = await all_pages(client, path, organizer, limit=1)
    assert sorted(item["id"] for item in paged) == sorted(item["id"] for item in items)

    by_name = await all_pages(client, path, organizer, {"q": "Alice"})
    assert {item["id"] for item in by_name} == {alice_one["id"], alice_two["id"]}
    by_email = await all_pages(client, path, organizer, {"q": "bob@example"})
    assert [item["id"] for item in by_email] == [bob["id"]]
    assert await all_pages(client, path, organizer, {"q": "nobody-at-all"}) == []

    response = await client.post(
        f"{API}/registrations/{alice_one['id']}/cancel", headers=attendee.headers
    )
    assert response.status_code == 200, response.text
    confirmed = await all_pages(client, path, organizer, {"status": "confirmed"})
    assert {item["id"] for item in confirmed} == {bob["id"], alice_two["id"]}
    cancelled = await all_pages(client, path, organizer, {"status": "cancelled"})
    assert [item["id"] for item in cancelled] == [alice_one["id"]]

    fields = field_errors(
        await client.get(path, params={"status": "bogus"}, headers=organizer.headers)
    )
    assert "status" in fields
    fields = field_errors(await client.get(path, params={"limit": 0}, headers=organizer.headers))
    assert "limit" in fields

    error_of(await client.get(path, headers=rival.headers), 404, "not_found")
    response = await client.get(path, headers=attendee.headers)
    assert response.status_code in (403, 404), response.text
    error_of(await client.get(path), 401)
    error_of(await client.get(f"{API}/events/nope/registrations", headers=organizer.headers), 404)


async def test_stats_of_a_free_event(
    client: httpx.AsyncClient,
    organizer: Person,
    rival: Person,
    attendee: Person,
    other_attendee: Person,
) -> None:
    event = await create_event(client, organizer, capacity=20, price=0)
    assert await stats(client, organizer, event["id"]) == {
        "capacity": 20,
        "seats_taken": 0,
        "seats_held": 0,
        "seats_left": 20,
        "registrations": 0,
        "revenue": 0,
        "currency": "EUR",
        "checked_in": 0,
    }
    alice = await registered(client, attendee, event["id"], 2)
    await registered(client, other_attendee, event["id"], 3)
    figures = await stats(client, organizer, event["id"])
    assert set(figures) == STATS_KEYS
    assert figures == {
        "capacity": 20,
        "seats_taken": 5,
        "seats_held": 0,
        "seats_left": 15,
        "registrations": 2,
        "revenue": 0,
        "currency": "EUR",
        "checked_in": 0,
    }
    assert (await get_event(client, event["id"]))["seats_left"] == 15

    response = await client.post(
        f"{API}/registrations/{alice['id']}/cancel", headers=attendee.headers
    )
    assert response.status_code == 200, response.text
    figures = await stats(client, organizer, event["id"])
    assert figures["seats_taken"] == 3
    assert figures["seats_left"] == 17

    path = f"{API}/events/{event['id']}/stats"
    error_of(await client.get(path, headers=rival.headers), 404, "not_found")
    response = await client.get(path, headers=attendee.headers)
    assert response.status_code in (403, 404), response.text
    error_of(await client.get(path), 401)


async def test_stats_count_held_seats_of_a_paid_event(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event = await create_event(client, organizer, capacity=10, price=2500, currency="GBP")
    held = await registered(client, attendee, event["id"], 2)
    assert held["status"] == "held"
    figures = await stats(client, organizer, event["id"])
    assert set(figures) == STATS_KEYS
    assert figures["capacity"] == 10
    assert figures["seats_held"] == 2
    assert figures["seats_left"] == 8
    assert figures["seats_taken"] in (0, 2)  # confirmed only, or confirmed + held
    assert figures["revenue"] == 0  # nothing paid yet
    assert figures["currency"] == "GBP"
    assert figures["checked_in"] == 0
    assert (await get_event(client, event["id"]))["seats_left"] == 8


# ------------------------------------------------- bad input is never a server error
#
# API.md, Conventions: "never 5xx for bad input". These requests go through a client that
# turns an unhandled exception into the 500 a real client would see.


@pytest.fixture
async def plain_client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(
        app=app.state.asgi, client=("203.0.113.7", 50000), raise_app_exceptions=False
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("params", "allowed"),
    [
        ({"to": "9999-12-31"}, {200, 422}),
        ({"from": "9999-12-31T23:00:00-05:00"}, {200, 422}),
        ({"from": "0001-01-01T00:00:00+05:00"}, {200, 422}),
        ({"to": "0001-01-01T00:00:00+05:00"}, {200, 422}),
        ({"cursor": _cursor(["9999-12-31T23:59:59-23:59", "x"])}, {400, 422}),
        ({"cursor": _cursor(["0001-01-01T00:00:00+23:59", "x"])}, {400, 422}),
        ({"cursor": _cursor({"a": 1})}, {400, 422}),
    ],
    ids=[
        "to-9999",
        "from-9999",
        "from-0001",
        "to-0001",
        "cursor-9999",
        "cursor-0001",
        "cursor-obj",
    ],
)
async def test_odd_list_parameters_are_not_server_errors(
    plain_client: httpx.AsyncClient, organizer: Person, params: dict[str, str], allowed: set[int]
) -> None:
    await create_event(plain_client, organizer)
    response = await plain_client.get(f"{API}/events", params=params)
    assert response.status_code in allowed, response.text
    if response.status_code != 200:
        error_of(response, response.status_code)


def _with(**changes: Any) -> bytes:
    return raw_json(event_body(**changes))


BAD_BODIES: list[tuple[str, bytes, set[int]]] = [
    ("lone surrogate in title", _with(title="Jazz \ud800"), {400, 422}),
    ("lone surrogate in venue", _with(venue="\udfff"), {400, 422}),
    ("year 9999 start", _with(starts_at="9999-12-31T23:00:00-05:00"), {422}),
    ("year 9999 end", _with(ends_at="9999-12-31T23:59:00-05:00"), {201, 422}),
    ("year 1 doors", _with(doors_open_at="0001-01-01T00:00:00+05:00"), {422}),
    ("deeply nested", b"[" * 100_000 + b"]" * 100_000, {400}),
    ("5000-digit number", b'{"capacity": ' + b"1" * 5000 + b"}", {400, 422}),
    ("NaN capacity", _with().replace(b'"capacity": 100', b'"capacity": NaN'), {400, 422}),
]


@pytest.mark.parametrize(
    ("body", "allowed"),
    [(body, allowed) for _, body, allowed in BAD_BODIES],
    ids=[name for name, *_ in BAD_BODIES],
)
async def test_odd_event_bodies_are_not_server_errors(
    plain_client: httpx.AsyncClient,
    organizer: Person,
    services: Services,
    body: bytes,
    allowed: set[int],
) -> None:
    response = await plain_client.post(
        f"{API}/events",
        content=body,
        headers={**organizer.headers, "Content-Type": "application/json"},
    )
    assert response.status_code in allowed, response.text
    if response.status_code != 201:
        error_of(response, response.status_code)
        assert (await services.store.list_organizer_events(organizer.id, 100)).items == []


async def test_a_patch_to_the_first_year_does_not_break_the_event(
    plain_client: httpx.AsyncClient, organizer: Person
) -> None:
    event = await create_event(plain_client, organizer, publish=False)
    path = f"{API}/events/{event['id']}"
    response = await plain_client.patch(
        path,
        json={"starts_at": "0001-01-01T01:00:00+00:00", "ends_at": "0001-01-01T03:00:00+00:00"},
        headers=organizer.headers,
    )
    assert response.status_code in (200, 422), response.text
    response = await plain_client.get(path, headers=organizer.headers)
    assert response.status_code == 200, response.text
