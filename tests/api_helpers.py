"""Helpers for the JSON API tests of events and registrations (API.md).

Every helper goes through HTTP, as a script would: sign up, take a token, create events,
register. Tests that use them need `require_email_verification=False`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from models.domain import Role
from tests.helpers import GOOD_PASSWORD
from tests.store_contract import make_user
from web.adapters.identity.local import LocalIdentity
from web.services.container import Services

API = "/api/v1"

EVENT_KEYS = {
    "id",
    "ticket_types",
    "questions",
    "title",
    "description",
    "venue",
    "starts_at",
    "ends_at",
    "timezone",
    "capacity",
    "seats_left",
    "price",
    "currency",
    "category",
    "status",
    "organizer_id",
    "max_per_registration",
    "doors_open_at",
    "cancellation_hours",  # an addition to API.md's event: the attendees' cancellation window
    "max_per_account",
    "waitlist_enabled",  # issue 14: the waiting list, on or off, and how long an offer lasts
    "transfers_allowed",  # issue 14: attendees may pass tickets on
    "waitlist_offer_hours",
}
REGISTRATION_KEYS = {
    "id",
    "event_id",
    "user_id",
    "quantity",
    "amount",
    "currency",
    "status",
    "created_at",
    "hold_expires_at",
    "payment",
    "tickets",
}
STATS_KEYS = {
    "capacity",
    "seats_taken",
    "seats_held",
    "seats_left",
    "registrations",
    "revenue",
    "currency",
    "checked_in",
}


@dataclass(frozen=True)
class Person:
    id: str
    email: str
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def sign_up(
    client: httpx.AsyncClient, email: str, role: str = "attendee", name: str | None = None
) -> Person:
    """An active account (verification off) and a bearer token for it."""
    name = name or email.split("@")[0].title()
    response = await client.post(
        f"{API}/auth/signup",
        json={"email": email, "password": GOOD_PASSWORD, "name": name, "role": role},
    )
    assert response.status_code == 201, response.text
    user = response.json()["user"]
    response = await client.post(
        f"{API}/auth/token", json={"email": email, "password": GOOD_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return Person(
        id=user["id"], email=user["email"], name=name, token=response.json()["access_token"]
    )


async def sign_up_many(
    client: httpx.AsyncClient, count: int, prefix: str = "buyer", role: str = "attendee"
) -> list[Person]:
    return list(
        await asyncio.gather(
            *(sign_up(client, f"{prefix}{n}@example.com", role) for n in range(count))
        )
    )


async def arrange_people(services: Services, count: int, prefix: str = "buyer") -> list[Person]:
    """Many active attendees with tokens, made the way the app makes them but without the
    slow password hash (two argon2 runs per HTTP sign-up would dominate the load tests)."""
    people = []
    for n in range(count):
        email = f"{prefix}{n}@example.com"
        user = make_user(
            email,
            name=f"{prefix.title()} {n}",
            roles=frozenset({Role.ATTENDEE}),
            email_verified=True,
        )
        if isinstance(services.identity, LocalIdentity):
            await services.store.create_user(user, None)
            token = services.identity.issue_access_token(user).token
        else:  # Cognito issues the tokens: sign up and in for real (moto is quick)
            user = await services.identity.sign_up(user, GOOD_PASSWORD)
            token = (await services.identity.authenticate(email, GOOD_PASSWORD)).access_token.token
        people.append(Person(id=user.id, email=email, name=user.name, token=token))
    return people


def raw_json(value: Any) -> bytes:
    """JSON text as a client might send it, lone surrogates and all."""
    return json.dumps(value).encode()


def rfc3339(moment: datetime) -> str:
    return moment.isoformat()


def parse_time(value: str) -> datetime:
    """An RFC 3339 time from an answer; fails when it has no offset."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None, f"{value!r} has no offset"
    return parsed


def event_body(days: float = 7, **changes: Any) -> dict[str, Any]:
    """A valid POST /events body starting `days` from now (whole seconds, UTC offset)."""
    starts = (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)
    body: dict[str, Any] = {
        "title": "Jazz Night",
        "description": "An evening of jazz.",
        "venue": "Hall A, Lisbon",
        "starts_at": rfc3339(starts),
        "ends_at": rfc3339(starts + timedelta(hours=3)),
        "timezone": "Europe/Lisbon",
        "capacity": 100,
        "price": 0,
        "currency": "EUR",
        "category": "music",
    }
    body.update(changes)
    return body


async def create_event(
    client: httpx.AsyncClient, organizer: Person, *, publish: bool = True, **changes: Any
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/events", json=event_body(**changes), headers=organizer.headers
    )
    assert response.status_code == 201, response.text
    event = response.json()
    if publish:
        response = await client.post(
            f"{API}/events/{event['id']}/publish", headers=organizer.headers
        )
        assert response.status_code == 200, response.text
        event = response.json()
    return event


async def register(
    client: httpx.AsyncClient, person: Person, event_id: str, quantity: int = 1, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"{API}/registrations",
        json={"event_id": event_id, "quantity": quantity, **extra},
        headers=person.headers,
    )


async def registered(
    client: httpx.AsyncClient, person: Person, event_id: str, quantity: int = 1, **extra: Any
) -> dict[str, Any]:
    response = await register(client, person, event_id, quantity, **extra)
    assert response.status_code == 201, response.text
    return response.json()


async def get_event(
    client: httpx.AsyncClient, event_id: str, person: Person | None = None
) -> dict[str, Any]:
    headers = person.headers if person else {}
    response = await client.get(f"{API}/events/{event_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def stats(client: httpx.AsyncClient, organizer: Person, event_id: str) -> dict[str, Any]:
    """The event-wide counts (`by_ticket_type`: `stats_by_type`; the series and the
    waiting list: tests/test_figures_http.py)."""
    body = await stats_by_type(client, organizer, event_id)
    series = ("by_ticket_type", "sales_by_day", "checkins_by_quarter_hour", "checkins_by_gate")
    for name in (*series, "waitlist"):
        body.pop(name)
    return body


async def stats_by_type(
    client: httpx.AsyncClient, organizer: Person, event_id: str
) -> dict[str, Any]:
    response = await client.get(f"{API}/events/{event_id}/stats", headers=organizer.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def all_pages(
    client: httpx.AsyncClient,
    path: str,
    person: Person | None = None,
    params: dict[str, Any] | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Every item of a list, following `next_cursor` (guards against endless paging)."""
    headers = person.headers if person else {}
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(1000):
        query = {**(params or {}), "limit": limit}
        if cursor is not None:
            query["cursor"] = cursor
        response = await client.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "next_cursor"}
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert isinstance(cursor, str)
    raise AssertionError(f"{path} never stopped paging")


def error_of(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The `error` object of an API refusal, checked for its status, shape and code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error["code"], str)
    assert isinstance(error["message"], str)
    assert error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


def field_errors(response: httpx.Response) -> dict[str, str]:
    """The `fields` of a 422 `validation_failed`."""
    error = error_of(response, 422, "validation_failed")
    assert isinstance(error.get("fields"), dict), error
    assert error["fields"], error
    return error["fields"]
