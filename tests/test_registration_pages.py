"""The attendee's side: search, register, confirmation, checkout hold, my registrations."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from models.domain import Event, EventStatus
from tests.helpers import outbox_messages, post_form, sign_up_verified
from tests.store_contract import make_event
from web.services.container import Services
from web.settings import Settings


async def _event(services: Services, **changes: object) -> Event:
    event = make_event(**changes)
    await services.store.create_event(event)
    return event


async def test_search_and_filters_on_the_home_page(
    client: httpx.AsyncClient, services: Services
) -> None:
    await _event(services, title="Jazz by the river", price=0, category="music", days=3)
    await _event(services, title="Data talk", venue="Jazz Bar", category="tech", days=5)
    await _event(services, title="Pottery", category="arts", days=40)
    page = await client.get("/?q=jazz")
    assert "Jazz by the river" in page.text
    assert "Data talk" in page.text
    assert "Pottery" not in page.text
    free = await client.get("/?free=true", headers={"HX-Request": "true"})
    assert "<html" not in free.text
    assert "Jazz by the river" in free.text
    assert "Data talk" not in free.text
    assert "Pottery" in (await client.get("/?category=arts")).text
    nothing = await client.get("/?q=zzzz")
    assert "No events match" in nothing.text
    too_long = await client.get("/?q=" + "x" * 500)
    assert too_long.status_code == 422
    assert "at most 200 characters" in too_long.text
    bad_date = await client.get("/?from=tomorrow")
    assert bad_date.status_code == 422
    assert "Use a date like 2026-12-31." in bad_date.text


async def test_load_more_keeps_the_search(client: httpx.AsyncClient, services: Services) -> None:
    for day in range(22):
        await _event(services, title=f"Gig {day:02d}", days=day + 1)
    await _event(services, title="Other thing", days=2)
    page = (await client.get("/?q=gig")).text
    more = re.search(r'hx-get="(/\?q=gig&amp;cursor=[^"]+)"', page)
    assert more, page
    rest = await client.get(more.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert "Gig 21" in rest.text
    assert "Other thing" not in rest.text


async def test_anonymous_visitors_are_asked_to_log_in(
    client: httpx.AsyncClient, services: Services
) -> None:
    event = await _event(services)
    page = (await client.get(f"/events/{event.id}")).text
    assert f"/login?next=/events/{event.id}" in page
    assert "Log in to register" in page


async def test_free_registration_confirms_and_mails(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    event = await _event(services, price=0, capacity=10, max_per_registration=4)
    await sign_up_verified(client, settings, "fan@example.com")
    page = (await client.get(f"/events/{event.id}")).text
    assert '<option value="4">4</option>' in page
    assert '<option value="5">' not in page
    response = await post_form(
        client,
        f"/events/{event.id}/register",
        {"quantity": "2", "attendee_names": "Fan One\n\n  Fan Two  "},
        token_page=f"/events/{event.id}",
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/my/registrations/")
    confirmation = (await client.get(location)).text
    assert "You're going!" in confirmation
    assert "Fan One, Fan Two" in confirmation
    [mail] = [m for m in outbox_messages(settings, "fan@example.com") if "going" in m["Subject"]]
    assert event.title in mail["Subject"]
    assert "8 left" in (await client.get(f"/events/{event.id}/seats")).text
    listing = (await client.get("/my/registrations")).text
    assert event.title in listing
    assert "Confirmed" in listing


async def test_paid_registration_holds_seats_and_goes_to_checkout(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    event = await _event(services, price=1500, capacity=10, currency="EUR")
    await sign_up_verified(client, settings, "payer@example.com")
    response = await post_form(
        client, f"/events/{event.id}/register", {"quantity": "3"}, token_page=f"/events/{event.id}"
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/checkout/")
    checkout = (await client.get(response.headers["location"])).text
    assert "€45.00" in checkout
    assert "Your seats are held until" in checkout
    assert "data-expires=" in checkout
    fresh = await services.store.get_event(event.id)
    assert fresh is not None
    assert (fresh.seats_held, fresh.seats_left) == (3, 7)


async def test_too_many_seats_says_how_many_are_left_and_keeps_the_form(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    event = await _event(services, price=0, capacity=3)
    await sign_up_verified(client, settings, "late@example.com")
    others = await services.store.get_user_by_email("late@example.com")
    assert others is not None
    await services.registrations.register(others, event.id, 1, [])
    response = await post_form(
        client,
        f"/events/{event.id}/register",
        {"quantity": "3", "attendee_names": "Keep Me"},
        token_page=f"/events/{event.id}",
    )
    assert response.status_code == 409
    assert "Only 2 seats left." in response.text
    assert "Keep Me" in response.text


async def test_sold_out_event_says_so_instead_of_a_form(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    event = await _event(services, price=0, capacity=1)
    await sign_up_verified(client, settings, "first@example.com")
    user = await services.store.get_user_by_email("first@example.com")
    assert user is not None
    await services.registrations.register(user, event.id, 1, [])
    page = (await client.get(f"/events/{event.id}")).text
    assert "Sold out" in page
    assert "Get free tickets" not in page


@pytest.mark.parametrize("quantity", ["0", "-1", "11", "two", ""])
async def test_bad_quantities_get_a_message(
    client: httpx.AsyncClient, settings: Settings, services: Services, quantity: str
) -> None:
    event = await _event(services, price=0, capacity=50)
    await sign_up_verified(client, settings, "q@example.com")
    response = await post_form(
        client,
        f"/events/{event.id}/register",
        {"quantity": quantity},
        token_page=f"/events/{event.id}",
    )
    assert response.status_code == 422
    assert 'id="f-quantity-error"' in response.text


async def test_closed_events_refuse_with_a_message(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await sign_up_verified(client, settings, "c@example.com")
    cancelled = await _event(services, status=EventStatus.CANCELLED)
    page = (await client.get(f"/events/{cancelled.id}")).text
    assert "This event was cancelled." in page
    response = await post_form(
        client, f"/events/{cancelled.id}/register", {"quantity": "1"}, token_page="/"
    )
    assert response.status_code == 409
    assert "This event was cancelled." in response.text


async def test_posting_while_logged_out_returns_to_the_event_after_login(
    client: httpx.AsyncClient, services: Services
) -> None:
    event = await _event(services)
    token_page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', token_page.text)
    assert token
    response = await client.post(
        f"/events/{event.id}/register",
        data={"quantity": "1", "csrf_token": token.group(1)},
        headers={"Referer": f"http://testserver/events/{event.id}"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/events/{event.id}"


async def test_attendee_cancels_until_the_event_starts(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    event = await _event(services, price=0, capacity=5)
    started = await _event(services, price=0, capacity=5, days=-0.01)
    await sign_up_verified(client, settings, "x@example.com")
    user = await services.store.get_user_by_email("x@example.com")
    assert user is not None
    registration = await services.registrations.register(user, event.id, 2, [])
    page = (await client.get(f"/my/registrations/{registration.id}")).text
    assert "Cancel this registration" in page
    response = await post_form(
        client,
        f"/my/registrations/{registration.id}/cancel",
        {},
        token_page=f"/my/registrations/{registration.id}",
    )
    assert response.status_code == 303
    page = (await client.get(f"/my/registrations/{registration.id}")).text
    assert "Your registration is cancelled" in page
    assert "Cancelled" in page
    assert "Cancel this registration" not in page
    fresh = await services.store.get_event(event.id)
    assert fresh is not None
    assert fresh.seats_left == 5

    # Once the event has started, the attendee can no longer cancel.
    running = await services.registrations.register(user, started.id, 1, [])
    page = (await client.get(f"/my/registrations/{running.id}")).text
    assert "Cancel this registration" not in page


async def test_another_attendee_cannot_see_my_registration(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    event = await _event(services, price=0)
    await services.accounts.sign_up("a@example.com", "Sup3rSecret", "A", "attendee", verified=True)
    owner = await services.store.get_user_by_email("a@example.com")
    assert owner is not None
    registration = await services.registrations.register(owner, event.id, 1, [])
    await sign_up_verified(client, settings, "b@example.com")
    assert (await client.get(f"/my/registrations/{registration.id}")).status_code == 404
    assert (await client.get(f"/checkout/{registration.id}")).status_code == 404
    response = await post_form(
        client, f"/my/registrations/{registration.id}/cancel", {}, token_page="/"
    )
    assert response.status_code == 404


@pytest.mark.settings(hold_minutes=0.001)
async def test_expired_hold_is_shown_as_expired_and_seats_return(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    event = await _event(services, price=900, capacity=2)
    await sign_up_verified(client, settings, "slow@example.com")
    response = await post_form(
        client, f"/events/{event.id}/register", {"quantity": "2"}, token_page=f"/events/{event.id}"
    )
    registration_id = response.headers["location"].rsplit("/", 1)[1]
    await _wait_past(timedelta(seconds=0.1))
    page = (await client.get(f"/events/{event.id}")).text
    assert "2 left" in page
    mine = (await client.get(f"/my/registrations/{registration_id}")).text
    assert "Expired" in mine
    # The checkout of an expired hold sends back to the registration.
    assert (await client.get(f"/checkout/{registration_id}")).status_code == 303


async def _wait_past(delay: timedelta) -> None:
    import asyncio

    await asyncio.sleep(delay.total_seconds())
