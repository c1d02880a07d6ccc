"""Issue 15 over HTTP: the figures of `GET /events/{id}/stats` and `GET /me/events/stats`,
the live region's ETag (304 when nothing changed), its stream, and what a dashboard read
costs. Runs on the local and the AWS adapters (Makefile AWS_TESTS)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from models.domain import utcnow
from tests.api_helpers import API, Person, create_event, registered, sign_up
from web.services.container import Services

pytestmark = pytest.mark.settings(
    require_email_verification=False, live_figures_stream_for=0.0, live_figures_every=0.05
)


@pytest.fixture
async def attendee(client: httpx.AsyncClient) -> Person:
    return await sign_up(client, "alice@example.com", "attendee", "Alice Smith")


async def _scan(
    client: httpx.AsyncClient, organizer: Person, attendee: Person, event_id: str, ticket: str
) -> None:
    code = (await client.get(f"{API}/tickets/{ticket}", headers=attendee.headers)).json()["code"]
    body = {"code": code, "event_id": event_id, "gate": "North door"}
    response = await client.post(f"{API}/tickets/validate", json=body, headers=organizer.headers)
    assert response.status_code == 200, response.text
    assert response.json()["result"] == "admitted", response.text


async def _sold(client: httpx.AsyncClient, organizer: Person, attendee: Person) -> dict[str, Any]:
    event = await create_event(client, organizer, days=0.01, capacity=20, price=0)
    registration = await registered(client, attendee, event["id"], 2)
    event["tickets"] = registration["tickets"]
    return event


async def test_stats_answer_sales_per_day_arrivals_per_quarter_hour_and_totals(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    """Fails before issue 15: the stats had no series, and /me/events/stats did not exist."""
    event = await _sold(client, organizer, attendee)
    await _scan(client, organizer, attendee, event["id"], event["tickets"][0])
    response = await client.get(f"{API}/events/{event['id']}/stats", headers=organizer.headers)
    assert response.status_code == 200, response.text
    stats = response.json()
    today = utcnow().astimezone(ZoneInfo(event["timezone"])).date()
    assert stats["sales_by_day"] == [{"date": today.isoformat(), "tickets": 2, "revenue": 0}]
    [quarter] = stats["checkins_by_quarter_hour"]
    assert quarter["count"] == 1
    assert quarter["at"].endswith("Z")
    assert stats["checkins_by_gate"] == [{"gate": "North door", "count": 1}]
    assert stats["waitlist"] == 0
    assert [t["sold"] for t in stats["by_ticket_type"]] == [2]

    await create_event(client, organizer, publish=False)
    response = await client.get(f"{API}/me/events/stats", headers=organizer.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "events": 2,
        "upcoming": 1,
        "tickets_sold": 2,
        "revenue": [],
        "checked_in": 1,
    }
    assert (await client.get(f"{API}/me/events/stats", headers=attendee.headers)).status_code == 403
    assert (await client.get(f"{API}/me/events/stats")).status_code == 401


async def test_the_live_region_answers_304_until_a_ticket_is_scanned(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    """Fails before issue 15: there was no live region, no ETag, no version."""
    event = await _sold(client, organizer, attendee)
    path = f"/organizer/events/{event['id']}/figures"
    first = await client.get(path, headers=organizer.headers)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert 'id="live-figures"' in first.text
    assert "<title" in first.text
    assert "<desc" in first.text
    same = await client.get(path, headers={**organizer.headers, "If-None-Match": etag})
    assert same.status_code == 304
    assert same.content == b""
    await _scan(client, organizer, attendee, event["id"], event["tickets"][0])
    changed = await client.get(path, headers={**organizer.headers, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "1<small> / 2</small>" in changed.text


async def test_the_stream_tells_the_current_version(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    """Fails before issue 15: no stream. With ADMIT_LIVE_FIGURES_STREAM_FOR=0 it ends after
    its first event."""
    event = await _sold(client, organizer, attendee)
    region = await client.get(f"/organizer/events/{event['id']}/figures", headers=organizer.headers)
    response = await client.get(
        f"/organizer/events/{event['id']}/figures/stream", headers=organizer.headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert f"event: figures\ndata: {region.headers['etag']}\n\n" in response.text


async def test_a_dashboard_read_is_a_few_counter_reads(
    client: httpx.AsyncClient, organizer: Person, attendee: Person, services: Services
) -> None:
    """Many registrations, and the dashboard's reads stay a handful of item reads on
    DynamoDB (no Query of registrations or tickets) or statements on SQLite."""
    event = await create_event(client, organizer, capacity=200, price=0, max_per_account=100)
    for _ in range(12):
        await registered(client, attendee, event["id"], 1)
    user = await services.store.get_user(organizer.id)
    assert user is not None
    calls = await _count_calls(services)
    await services.figures.dashboard(user, event["id"])
    assert calls, "nothing was counted"
    touched = {table for _, table in calls}
    assert not touched & {"registrations", "tickets", "checkins"}, calls
    assert len(calls) <= 8, calls


async def _count_calls(services: Services) -> list[tuple[str, str]]:
    """Record each read the store makes from now on: (DynamoDB method, logical table), or
    ("select", table) for each SQL statement on SQLite's connections."""
    calls: list[tuple[str, str]] = []
    store: Any = services.store
    if hasattr(store, "tables"):
        inner, names = store.client, {v: k for k, v in store.tables.items()}

        class Counting:
            def __getattr__(self, name: str) -> Any:
                method = getattr(inner, name)

                async def call(*args: Any, **kwargs: Any) -> Any:
                    tables = [kwargs.get("TableName", ""), *kwargs.get("RequestItems", {})]
                    calls.extend((name, names.get(t, t)) for t in tables if t)
                    return await method(*args, **kwargs)

                return call

        store.client = Counting()
        return calls

    def trace(sql: str) -> None:
        if sql.lstrip().upper().startswith("SELECT") and " FROM " in sql.upper():
            table = sql.upper().split(" FROM ", 1)[1].split()[0].strip('"`').lower()
            calls.append(("select", table))

    for connection in store.engine._all:
        await connection.set_trace_callback(trace)
    await store.engine.in_hot_transaction(lambda c: c.set_trace_callback(trace))
    return calls
