"""Ticket types on the pages: the organizer adds, edits (hides) and reorders them and sees
sold/held/left per type; the attendee picks a quantity per type with a running total."""

from __future__ import annotations

import re

import httpx

from models.domain import Role
from tests.helpers import post_form, sign_up_verified
from tests.test_organizer_pages import _create, _organizer
from web.services.container import Services
from web.settings import Settings


async def _types_of(services: Services, event_id: str) -> list[str]:
    return [t.name for t in await services.store.list_ticket_types(event_id)]


async def test_the_organizer_adds_edits_hides_and_reorders_types(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    """The pages for types did not exist before: add, keep what was typed, edit, move."""
    await _organizer(client, settings)
    event_id = await _create(client)
    new = f"/organizer/events/{event_id}/ticket-types/new"
    form = await client.get(new)
    for label in ("Name", "Price (USD)", "Capacity", "Sales start", "Sales end"):
        assert f">{label}</label>" in form.text
    response = await post_form(client, new, {"name": "", "price": "abc"})
    assert response.status_code == 422
    assert 'id="f-name-error"' in response.text
    assert 'id="f-price-error"' in response.text
    assert 'value="abc"' in response.text  # what was typed stays
    response = await post_form(client, new, {"name": "general admission", "price": "5"})
    assert response.status_code == 422
    assert "has this name" in response.text
    assert 'value="general admission"' in response.text
    response = await post_form(client, new, {"name": "VIP", "price": "80", "capacity": "5"})
    assert response.status_code == 303, response.text
    assert await _types_of(services, event_id) == ["General admission", "VIP"]
    page = await client.get(f"/organizer/events/{event_id}")
    assert 'id="ticket-types"' in page.text
    assert "VIP" in page.text
    (vip,) = [t for t in await services.store.list_ticket_types(event_id) if t.name == "VIP"]
    edit = f"/organizer/events/{event_id}/ticket-types/{vip.id}/edit"
    form = await client.get(edit)
    assert 'value="80.00"' in form.text
    response = await post_form(
        client, edit, {"name": "VIP lounge", "price": "90", "capacity": "5", "hidden": "on"}
    )
    assert response.status_code == 303, response.text
    (vip,) = [t for t in await services.store.list_ticket_types(event_id) if t.id == vip.id]
    assert (vip.name, vip.price, vip.hidden) == ("VIP lounge", 9000, True)
    response = await post_form(
        client,
        f"/organizer/events/{event_id}/ticket-types/{vip.id}/move",
        {"by": "-1"},
        token_page=f"/organizer/events/{event_id}",
    )
    assert response.status_code == 303, response.text
    assert await _types_of(services, event_id) == ["VIP lounge", "General admission"]


async def test_the_attendee_picks_a_quantity_per_type_with_a_running_total(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await _organizer(client, settings)
    event_id = await _create(client, price="10")
    await post_form(
        client,
        f"/organizer/events/{event_id}/ticket-types/new",
        {"name": "Student", "price": "4", "capacity": "1"},
    )
    await post_form(
        client,
        f"/organizer/events/{event_id}/ticket-types/new",
        {"name": "Gone", "price": "1", "capacity": "1"},
    )
    organizer = await services.store.get_user_by_email("org@example.com")
    assert organizer is not None
    assert organizer.has_role(Role.ORGANIZER)
    await services.events.publish(organizer, event_id)
    (gone,) = [t for t in await services.store.list_ticket_types(event_id) if t.name == "Gone"]
    await services.registrations.register(organizer, event_id, None, [], [(gone.id, 1)])
    client.cookies.clear()
    await sign_up_verified(client, settings, "ana@example.com", name="Ana")
    page = await client.get(f"/events/{event_id}")
    types = {t.name: t for t in await services.store.list_ticket_types(event_id)}
    general, student = types["General admission"], types["Student"]
    assert f'name="qty.{general.id}"' in page.text
    assert f'name="qty.{student.id}"' in page.text
    assert f'name="qty.{gone.id}"' not in page.text
    assert "Sold out" in page.text
    total = await client.get(
        f"/events/{event_id}/total",
        params={f"qty.{general.id}": "2", f"qty.{student.id}": "1"},
        headers={"HX-Request": "true"},
    )
    assert "$24.00" in total.text
    assert "3 tickets" in total.text
    form = {f"qty.{general.id}": "0", f"qty.{student.id}": "0", f"qty.{gone.id}": "0"}
    response = await post_form(client, f"/events/{event_id}/register", form, f"/events/{event_id}")
    assert response.status_code == 422
    assert 'id="f-items-error"' in response.text
    form = {f"qty.{general.id}": "2", f"qty.{student.id}": "1", "attendee_names": "Bo\nCy\nDi"}
    response = await post_form(client, f"/events/{event_id}/register", form, f"/events/{event_id}")
    assert response.status_code == 303, response.text
    registration_id = re.search(r"/checkout/([0-9a-f]{32})", response.headers["location"])
    assert registration_id
    registration = await services.store.get_registration(registration_id.group(1))
    assert registration is not None
    assert [(i.name, i.quantity) for i in registration.items] == [
        ("General admission", 2),
        ("Student", 1),
    ]
    assert registration.amount == 2400
