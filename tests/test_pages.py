"""Public pages and the organizer's home, rendered through the whole app."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from models.domain import EventStatus, Role
from tests.helpers import sign_up_verified
from tests.store_contract import make_event
from web.services.container import Services
from web.settings import Settings


async def test_empty_home_explains_itself(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert "No upcoming events yet" in response.text


async def test_home_lists_published_upcoming_events_soonest_first(
    client: httpx.AsyncClient, services: Services
) -> None:
    for title, days, status in [
        ("Later gig", 9, EventStatus.PUBLISHED),
        ("Sooner gig", 2, EventStatus.PUBLISHED),
        ("Secret draft", 3, EventStatus.DRAFT),
        ("Old gig", -3, EventStatus.PUBLISHED),
    ]:
        await services.store.create_event(make_event(days=days, title=title, status=status))
    page = (await client.get("/")).text
    assert page.index("Sooner gig") < page.index("Later gig")
    assert "Secret draft" not in page
    assert "Old gig" not in page
    assert "€25.00" in page


async def test_load_more_returns_a_fragment_for_htmx_and_a_page_otherwise(
    client: httpx.AsyncClient, services: Services
) -> None:
    for day in range(25):
        await services.store.create_event(make_event(days=day + 1, title=f"Event {day:02d}"))
    first = (await client.get("/")).text
    assert "Event 19" in first
    assert "Event 20" not in first
    cursor = re.search(r'hx-get="/\?cursor=([^"]+)"', first)
    assert cursor
    fragment = await client.get(f"/?cursor={cursor.group(1)}", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert "Event 20" in fragment.text
    assert "Event 24" in fragment.text
    assert "Event 19" not in fragment.text
    assert "Load more" not in fragment.text
    assert "HX-Request" in fragment.headers["vary"]
    full = await client.get(f"/?cursor={cursor.group(1)}")
    assert "<html" in full.text
    assert "Event 20" in full.text
    boosted = await client.get(
        f"/?cursor={cursor.group(1)}", headers={"HX-Request": "true", "HX-Boosted": "true"}
    )
    assert "<html" in boosted.text


async def test_a_forged_cursor_is_a_clear_error_not_a_crash(client: httpx.AsyncClient) -> None:
    response = await client.get("/?cursor=%00%ff")
    assert response.status_code == 422
    assert "cursor" in response.text.lower()


async def test_event_page_shows_local_time_and_escaped_text(
    client: httpx.AsyncClient, services: Services
) -> None:
    event = make_event(
        days=4,
        title="<script>alert(1)</script> Night",
        description="First line\nSecond <b>line</b>",
        timezone="America/New_York",
        capacity=50,
        seats_confirmed=45,
    )
    await services.store.create_event(event)
    page = (await client.get(f"/events/{event.id}")).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Night" in page
    assert "<script>alert(1)" not in page
    assert "Second &lt;b&gt;line&lt;/b&gt;" in page
    local = event.starts_at.astimezone(event.zone)
    assert local.strftime("%H:%M") in page
    assert "America/New_York" in page
    assert "5 left" in page


async def test_sold_out_event_says_so(client: httpx.AsyncClient, services: Services) -> None:
    event = make_event(capacity=10, seats_confirmed=8, seats_held=2)
    await services.store.create_event(event)
    assert "Sold out" in (await client.get(f"/events/{event.id}")).text


async def test_unknown_and_draft_events_are_404(
    client: httpx.AsyncClient, services: Services, settings: Settings
) -> None:
    assert (await client.get("/events/nope")).status_code == 404
    draft = make_event(status=EventStatus.DRAFT)
    await services.store.create_event(draft)
    assert (await client.get(f"/events/{draft.id}")).status_code == 404


async def test_organizer_home_lists_own_events_only(
    client: httpx.AsyncClient, services: Services, settings: Settings
) -> None:
    await sign_up_verified(client, settings, "org@example.com", role="organizer")
    organizer = await services.store.get_user_by_email("org@example.com")
    assert organizer is not None
    empty = await client.get("/organizer")
    assert "No events yet" in empty.text
    mine = make_event(organizer.id, title="My draft", status=EventStatus.DRAFT)
    await services.store.create_event(mine)
    await services.store.create_event(make_event("someone-else", title="Not mine"))
    page = (await client.get("/organizer")).text
    assert "My draft" in page
    assert "Not mine" not in page
    # The organizer may preview their own draft.
    assert (await client.get(f"/events/{mine.id}")).status_code == 200


async def test_attendees_cannot_open_the_organizer_home(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_up_verified(client, settings, "att@example.com", role="attendee")
    response = await client.get("/organizer")
    assert response.status_code == 403
    assert "Not allowed" in response.text


async def test_navigation_depends_on_role(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await sign_up_verified(client, settings, "nav@example.com", role="attendee")
    assert 'href="/organizer"' not in (await client.get("/")).text
    user = await services.store.get_user_by_email("nav@example.com")
    assert user is not None
    await services.store.add_role(user.id, Role.ORGANIZER)
    assert 'href="/organizer"' in (await client.get("/")).text


async def test_static_files_and_health(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).text == "ok"
    css = await client.get("/static/css/app.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


async def test_event_end_is_shown_on_the_same_day_as_time_only(
    client: httpx.AsyncClient, services: Services
) -> None:
    event = make_event(days=3, timezone="UTC")
    event = type(event)(**{**event.__dict__, "ends_at": event.starts_at + timedelta(hours=1)})
    await services.store.create_event(event)
    page = (await client.get(f"/events/{event.id}")).text
    assert f"\u2013 {(event.starts_at + timedelta(hours=1)).strftime('%H:%M')}" in page


async def test_pwa_files_are_served_from_the_root(client: httpx.AsyncClient) -> None:
    worker = await client.get("/sw.js")
    assert worker.headers["service-worker-allowed"] == "/"
    assert worker.headers["content-type"].startswith("text/javascript")
    manifest = (await client.get("/manifest.webmanifest")).json()
    assert manifest["display"] == "standalone"
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.content.startswith(b"\x89PNG")
