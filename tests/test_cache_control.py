"""Private pages send `Cache-Control: no-store`; public ones keep their caching (issue 10)."""

from __future__ import annotations

import httpx

from tests.api_helpers import API, Person, create_event, registered
from tests.helpers import GOOD_PASSWORD, sign_up_verified
from web.settings import Settings


async def _log_in(client: httpx.AsyncClient, email: str) -> None:
    """A session cookie, as a browser gets one (the pages look at the session)."""
    page = await client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = await client.post(
        "/login", data={"email": email, "password": GOOD_PASSWORD, "csrf_token": token}
    )
    assert response.status_code in (200, 303), response.text


async def _person(client: httpx.AsyncClient, settings: Settings, email: str, role: str) -> Person:
    """Signed up and verified through the pages (the client keeps that session), with a
    bearer token to arrange data through the API."""
    await sign_up_verified(client, settings, email, role=role)
    session, client.cookies = client.cookies, httpx.Cookies()  # the API call as a script
    token = await client.post(f"{API}/auth/token", json={"email": email, "password": GOOD_PASSWORD})
    client.cookies = session
    access = token.json()["access_token"]
    me = await client.get(f"{API}/me", headers={"Authorization": f"Bearer {access}"})
    return Person(me.json()["id"], email, "", access)


def _no_store(response: httpx.Response) -> bool:
    return "no-store" in response.headers.get("cache-control", "").lower()


async def test_private_pages_are_never_stored(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Fails before issue 10: "my registrations", checkout and the organizer's pages sent
    no Cache-Control at all, and tickets and the door "private, no-cache"."""
    organizer = await _person(client, settings, "olivia@example.com", "organizer")
    client.cookies.clear()
    attendee = await _person(client, settings, "ana@example.com", "attendee")
    free = await create_event(client, organizer, days=0.02)
    paid = await create_event(client, organizer, days=3, price=1500, title="Paid night")
    confirmed = await registered(client, attendee, free["id"], 1)
    held = await registered(client, attendee, paid["id"], 1)
    ticket_id = confirmed["tickets"][0]

    attendee_pages = [
        "/my/tickets",
        f"/tickets/{ticket_id}",
        f"/tickets/{ticket_id}/pdf",
        "/my/registrations",
        f"/my/registrations/{confirmed['id']}",
        f"/checkout/{held['id']}",
        "/",  # a public page, but signed in it carries the person's name and CSRF token
        f"/events/{free['id']}",
    ]
    for path in attendee_pages:
        response = await client.get(path)
        assert response.status_code in (200, 303), (path, response.status_code)
        assert _no_store(response), path
    client.cookies.clear()

    await _log_in(client, organizer.email)
    organizer_pages = [
        "/organizer",
        "/organizer/events/new",
        f"/organizer/events/{free['id']}",
        f"/organizer/events/{free['id']}/edit",
        f"/organizer/events/{free['id']}/cancel",
        f"/organizer/events/{free['id']}/registrations.csv",
        "/door",
        f"/door/{free['id']}",
        f"/door/{free['id']}/progress",
        f"/door/{free['id']}/offline-data",
    ]
    for path in organizer_pages:
        response = await client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert _no_store(response), path
    client.cookies.clear()

    # Account pages, and private paths asked for without a log-in (their redirects too).
    for path in ("/login", "/signup", "/verify", "/password-reset", "/my/tickets", "/door"):
        response = await client.get(path)
        assert _no_store(response), path
    # The API's answers to a signed-in caller.
    me = await client.get(f"{API}/me", headers=attendee.headers)
    assert me.status_code == 200
    assert _no_store(me)


async def test_public_pages_keep_their_caching(client: httpx.AsyncClient) -> None:
    for path in ("/", "/healthz", f"{API}/openapi.json", f"{API}/events"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert not _no_store(response), path
    manifest = await client.get("/manifest.webmanifest")
    assert manifest.headers["cache-control"] == "public, max-age=3600"
    worker = await client.get("/sw.js")
    assert worker.headers["cache-control"] == "no-cache"
