"""The organizer's pages: create, edit, publish, figures, registrations, CSV, cancel."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx

from models.domain import utcnow
from tests.helpers import outbox_messages, post_form, sign_up_verified
from web.services.container import Services
from web.settings import Settings


def event_form(**changes: str) -> dict[str, str]:
    starts = (utcnow() + timedelta(days=10)).astimezone(ZoneInfo("America/New_York"))
    values = {
        "title": "Rooftop Concert",
        "description": "Line one\nLine two",
        "venue": "The Roof, NYC",
        "timezone": "America/New_York",
        "starts_at": starts.strftime("%Y-%m-%dT19:30"),
        "ends_at": starts.strftime("%Y-%m-%dT22:00"),
        "doors_open_at": "",
        "capacity": "50",
        "max_per_registration": "4",
        "price": "12.50",
        "currency": "usd",
        "category": "music",
    }
    values.update(changes)
    return values


async def _organizer(client: httpx.AsyncClient, settings: Settings) -> None:
    await sign_up_verified(client, settings, "org@example.com", role="organizer")


async def _create(client: httpx.AsyncClient, **changes: str) -> str:
    response = await post_form(client, "/organizer/events/new", event_form(**changes))
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/organizer/events/([0-9a-f]{32})", response.headers["location"])
    assert match
    return match.group(1)


async def test_create_shows_a_draft_with_local_times_stored_in_utc(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await _organizer(client, settings)
    form = await client.get("/organizer/events/new")
    for label in ("Title", "Description", "Venue", "Time zone", "Starts", "Ends", "Capacity"):
        assert f">{label}</label>" in form.text
    event_id = await _create(client)
    event = await services.store.get_event(event_id)
    assert event is not None
    assert event.status.value == "draft"
    assert (event.price, event.currency, event.capacity) == (1250, "USD", 50)
    local = event.starts_at.astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (19, 30)
    page = await client.get(f"/organizer/events/{event_id}")
    assert "Draft saved." in page.text
    assert "Publish" in page.text
    assert "No registrations yet." in page.text


async def test_bad_event_input_is_shown_next_to_fields_and_kept(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await _organizer(client, settings)
    starts = event_form()["starts_at"]
    response = await post_form(
        client,
        "/organizer/events/new",
        event_form(
            title="",
            capacity="0",
            price="-3",
            currency="XYZ",
            ends_at=starts.replace("T19:30", "T10:00"),
            timezone="Mars/Olympus",
            venue="Kept <venue>",
        ),
    )
    assert response.status_code == 422
    page = response.text
    for field in ("title", "capacity", "price", "currency", "timezone"):
        assert f'id="f-{field}-error"' in page, field
    assert 'value="Kept &lt;venue&gt;"' in page
    page_list = await services.store.list_upcoming_events(utcnow(), 10)
    assert page_list.items == []
    past = await post_form(
        client,
        "/organizer/events/new",
        event_form(starts_at="2020-01-01T10:00", ends_at="2020-01-01T12:00"),
    )
    assert "The start must be in the future." in past.text
    order = await post_form(
        client,
        "/organizer/events/new",
        event_form(ends_at=starts.replace("T19:30", "T18:00")),
    )
    assert "The end must be after the start." in order.text


async def test_publish_edit_and_capacity_guard(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await _organizer(client, settings)
    event_id = await _create(client, price="0", capacity="5")
    assert event_id not in (await client.get("/")).text
    response = await post_form(
        client,
        f"/organizer/events/{event_id}/publish",
        {},
        token_page=f"/organizer/events/{event_id}",
    )
    assert response.status_code == 303
    assert "Rooftop Concert" in (await client.get("/")).text
    again = await post_form(
        client,
        f"/organizer/events/{event_id}/publish",
        {},
        token_page=f"/organizer/events/{event_id}",
    )
    assert again.status_code == 303
    assert "This event is published." in (await client.get(f"/organizer/events/{event_id}")).text

    organizer = await services.store.get_user_by_email("org@example.com")
    assert organizer is not None
    await services.registrations.register(organizer, event_id, 3, [])
    edit = await client.get(f"/organizer/events/{event_id}/edit")
    assert 'value="Rooftop Concert"' in edit.text
    assert 'value="0.00"' in edit.text
    low = await post_form(
        client, f"/organizer/events/{event_id}/edit", event_form(price="0", capacity="2")
    )
    assert low.status_code == 409
    assert "Capacity cannot go below the 3 seats already taken." in low.text
    ok = await post_form(
        client,
        f"/organizer/events/{event_id}/edit",
        event_form(price="0", capacity="3", title="Rooftop Concert II"),
    )
    assert ok.status_code == 303
    page = (await client.get(f"/organizer/events/{event_id}")).text
    assert "Rooftop Concert II" in page
    assert "3<small> / 3</small>" in page


async def test_other_organizers_get_404(client: httpx.AsyncClient, settings: Settings) -> None:
    await _organizer(client, settings)
    event_id = await _create(client)
    client.cookies.clear()
    await sign_up_verified(client, settings, "rival@example.com", role="organizer")
    for path in (
        f"/organizer/events/{event_id}",
        f"/organizer/events/{event_id}/edit",
        f"/organizer/events/{event_id}/registrations.csv",
        f"/organizer/events/{event_id}/cancel",
        f"/events/{event_id}",
    ):
        assert (await client.get(path)).status_code == 404, path
    response = await post_form(
        client, f"/organizer/events/{event_id}/publish", {}, token_page="/organizer"
    )
    assert response.status_code == 404


async def test_registrations_search_filter_and_csv(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await _organizer(client, settings)
    event_id = await _create(client, price="0", capacity="100")
    await post_form(
        client,
        f"/organizer/events/{event_id}/publish",
        {},
        token_page=f"/organizer/events/{event_id}",
    )
    buyers = []
    for index, name in enumerate(["Zoë Müller", '=HYPERLINK("x")', "Plain Person"]):
        await services.accounts.sign_up(
            f"buyer{index}@example.com", "Sup3rSecret", name, "attendee", verified=True
        )
        user = await services.store.get_user_by_email(f"buyer{index}@example.com")
        assert user is not None
        buyers.append(await services.registrations.register(user, event_id, index + 1, []))
    organizer = await services.store.get_user_by_email("org@example.com")
    assert organizer is not None
    await services.registrations.cancel(organizer, buyers[2].id)

    found = await client.get(
        f"/organizer/events/{event_id}?q=müller", headers={"HX-Request": "true"}
    )
    assert "<html" not in found.text
    assert "Zoë Müller" in found.text
    assert "Plain Person" not in found.text
    cancelled = await client.get(f"/organizer/events/{event_id}?status=cancelled")
    assert "Plain Person" in cancelled.text
    assert "buyer0@example.com" not in cancelled.text
    none = await client.get(f"/organizer/events/{event_id}?q=nobody")
    assert "No registrations match." in none.text

    export = await client.get(f"/organizer/events/{event_id}/registrations.csv")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    assert export.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Registration id", "Name", "Email", "Status"]
    by_email = {row[2]: row for row in rows[1:]}
    assert by_email["buyer0@example.com"][1] == "Zoë Müller"
    assert by_email["buyer1@example.com"][1] == '\'=HYPERLINK("x")'
    assert by_email["buyer2@example.com"][3] == "cancelled"
    # One row per ticket (API.md): 1 + 2 + 3 seats.
    assert [row[5] for row in rows[1:] if row[2] == "buyer1@example.com"] == ["1 of 2", "2 of 2"]
    assert len(rows) == 7


async def test_cancel_event_asks_first_then_cancels_and_mails(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await _organizer(client, settings)
    event_id = await _create(client, price="0")
    await post_form(
        client,
        f"/organizer/events/{event_id}/publish",
        {},
        token_page=f"/organizer/events/{event_id}",
    )
    await services.accounts.sign_up(
        "fan@example.com", "Sup3rSecret", "Fan", "attendee", verified=True
    )
    fan = await services.store.get_user_by_email("fan@example.com")
    assert fan is not None
    registration = await services.registrations.register(fan, event_id, 2, [])
    confirm = await client.get(f"/organizer/events/{event_id}/cancel")
    assert "This cannot be undone." in confirm.text
    response = await post_form(
        client,
        f"/organizer/events/{event_id}/cancel",
        {},
        token_page=f"/organizer/events/{event_id}/cancel",
    )
    assert response.status_code == 303
    stored = await services.store.get_registration(registration.id)
    assert stored is not None
    assert stored.status.value == "cancelled"
    [mail] = [
        m for m in outbox_messages(settings, "fan@example.com") if "Cancelled" in m["Subject"]
    ]
    assert "Rooftop Concert" in mail["Subject"]
    assert "Rooftop Concert" not in (await client.get("/")).text
    event = await services.store.get_event(event_id)
    assert event is not None
    assert (event.status.value, event.seats_taken) == ("cancelled", 0)


async def test_door_staff_form_keeps_the_email_and_explains(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await _organizer(client, settings)
    event_id = await _create(client)
    page_path = f"/organizer/events/{event_id}"
    invalid = await post_form(
        client, f"{page_path}/door-staff", {"email": "ghost@example"}, token_page=page_path
    )
    assert invalid.status_code == 422
    assert 'value="ghost@example"' in invalid.text
    assert 'id="f-email-error"' in invalid.text
    assert ">Their email address</label>" in invalid.text
    await services.accounts.sign_up(
        "gate@example.com", "Sup3rSecret", "Gate", "attendee", verified=True
    )
    added = await post_form(
        client, f"{page_path}/door-staff", {"email": "Gate@example.com"}, token_page=page_path
    )
    assert added.status_code == 303
    page = (await client.get(page_path)).text
    assert "gate@example.com" in page
    assert "they can check tickets at the door" in page


async def test_csv_lists_ticket_ids_and_check_ins(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await _organizer(client, settings)
    event_id = await _create(client, price="0", capacity="10")
    await post_form(
        client,
        f"/organizer/events/{event_id}/publish",
        {},
        token_page=f"/organizer/events/{event_id}",
    )
    await services.accounts.sign_up("t@example.com", "Sup3rSecret", "T", "attendee", verified=True)
    buyer = await services.store.get_user_by_email("t@example.com")
    assert buyer is not None
    registration = await services.registrations.register(buyer, event_id, 2, [])
    tickets = await services.store.list_registration_tickets(registration.id)
    rows = list(
        csv.reader(
            io.StringIO(
                (
                    await client.get(f"/organizer/events/{event_id}/registrations.csv")
                ).content.decode("utf-8-sig")
            )
        )
    )
    assert sorted(row[8] for row in rows[1:]) == sorted(t.id for t in tickets)
    assert [row[9] for row in rows[1:]] == ["no", "no"]
