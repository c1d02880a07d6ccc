"""Promo codes on the pages: the organizer adds, edits and deletes codes and sees their
uses; the attendee applies a code on the event page (htmx), sees the discount at
checkout, and a 100 % code confirms at once without payment. The pages did not exist
before promo codes."""

from __future__ import annotations

import re

import httpx

from tests.helpers import post_form, sign_up_verified
from tests.test_organizer_pages import _create, _organizer
from web.services.container import Services
from web.settings import Settings


async def _published_with_codes(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> str:
    """An event at 12.50 with FRIENDS (20 %, 3 uses) and COMP (100 %), then Ana logged in."""
    await _organizer(client, settings)
    event_id = await _create(client)
    new = f"/organizer/events/{event_id}/promo-codes/new"
    for code, off in (("Friends", "20"), ("COMP", "100")):
        data = {"code": code, "kind": "percent", "off": off, "max_uses": "3"}
        response = await post_form(client, new, data)
        assert response.status_code == 303, response.text
    organizer = await services.store.get_user_by_email("org@example.com")
    assert organizer is not None
    await services.events.publish(organizer, event_id)
    client.cookies.clear()
    await sign_up_verified(client, settings, "ana@example.com", name="Ana")
    return event_id


async def test_the_organizer_adds_edits_and_deletes_codes_and_sees_uses(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await _organizer(client, settings)
    event_id = await _create(client)
    new = f"/organizer/events/{event_id}/promo-codes/new"
    form = await client.get(new)
    for label in ("Code", "Percent or amount off", "Most uses", "Valid from", "Valid until"):
        assert f">{label}</label>" in form.text
    response = await post_form(client, new, {"code": "no", "kind": "percent", "off": "150"})
    assert response.status_code == 422
    assert 'id="f-code-error"' in response.text
    assert 'id="f-off-error"' in response.text
    assert 'value="150"' in response.text  # what was typed stays
    data = {"code": "Summer_26", "kind": "amount", "off": "2.50", "max_uses": "10"}
    response = await post_form(client, new, data)
    assert response.status_code == 303, response.text
    response = await post_form(client, new, {"code": "SUMMER_26", "kind": "percent", "off": "5"})
    assert response.status_code == 422
    assert "spelled the same" in response.text
    (promo,) = await services.store.list_promo_codes(event_id)
    assert (promo.code, promo.amount_off, promo.max_uses) == ("Summer_26", 250, 10)
    page = await client.get(f"/organizer/events/{event_id}")
    assert 'id="promo-codes"' in page.text
    assert "Summer_26" in page.text
    assert "0 / 10" in page.text
    edit = f"/organizer/events/{event_id}/promo-codes/{promo.id}/edit"
    form = await client.get(edit)
    assert 'value="2.50"' in form.text
    response = await post_form(
        client, edit, {"code": "Summer_26", "kind": "percent", "off": "15", "max_uses": ""}
    )
    assert response.status_code == 303, response.text
    changed = await services.store.get_promo_code(event_id, promo.id)
    assert changed is not None
    assert (changed.percent_off, changed.amount_off, changed.max_uses) == (15, None, None)
    page = await client.get(f"/organizer/events/{event_id}")
    assert "0 / ∞" in page.text
    response = await post_form(
        client,
        f"/organizer/events/{event_id}/promo-codes/{promo.id}/delete",
        {},
        token_page=f"/organizer/events/{event_id}",
    )
    assert response.status_code == 303, response.text
    assert await services.store.list_promo_codes(event_id) == []


async def test_applying_a_code_shows_the_discount_and_keeps_what_was_typed(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    event_id = await _published_with_codes(client, settings, services)
    page = await client.get(f"/events/{event_id}")
    assert ">Promo code" in page.text
    assert "Apply" in page.text
    applied = await client.get(
        f"/events/{event_id}/promo",
        params={"quantity": "2", "promo_code": "friends"},
        headers={"HX-Request": "true"},
    )
    assert "Friends" in applied.text
    assert "$25.00" in applied.text  # the price before
    assert "\u2212$5.00" in applied.text  # the discount
    assert "$20.00" in applied.text  # the total
    wrong = await client.get(
        f"/events/{event_id}/promo",
        params={"quantity": "1", "promo_code": "NOSUCH"},
        headers={"HX-Request": "true"},
    )
    assert 'id="f-promo_code-error"' in wrong.text
    # Registering with a wrong code keeps the form and says so next to the field.
    response = await post_form(
        client,
        f"/events/{event_id}/register",
        {"quantity": "1", "promo_code": "NOSUCH"},
        f"/events/{event_id}",
    )
    assert response.status_code == 422
    assert 'id="f-promo_code-error"' in response.text
    assert 'value="NOSUCH"' in response.text


async def test_checkout_shows_the_price_the_discount_and_the_total(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    event_id = await _published_with_codes(client, settings, services)
    response = await post_form(
        client,
        f"/events/{event_id}/register",
        {"quantity": "2", "promo_code": "FRIENDS"},
        f"/events/{event_id}",
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/checkout/")
    checkout = await client.get(response.headers["location"])
    assert "Discount" in checkout.text
    assert "Friends" in checkout.text
    assert "$25.00" in checkout.text
    assert "\u2212$5.00" in checkout.text
    assert "Pay $20.00" in checkout.text


async def test_a_full_code_confirms_at_once_without_payment(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    event_id = await _published_with_codes(client, settings, services)
    response = await post_form(
        client,
        f"/events/{event_id}/register",
        {"quantity": "1", "promo_code": "comp"},
        f"/events/{event_id}",
    )
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/my/registrations/([0-9a-f]{32})", response.headers["location"])
    assert match, response.headers["location"]
    registration = await services.store.get_registration(match.group(1))
    assert registration is not None
    assert (registration.status.value, registration.amount) == ("confirmed", 0)
    assert len(await services.store.list_registration_tickets(registration.id)) == 1


async def test_a_code_unlocking_hidden_types_shows_them_to_choose_and_buy(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    """Failed before: "Apply" swapped only the code's result, the page never listed the
    hidden types a code unlocks, so they could not be chosen or bought from the page."""
    await _organizer(client, settings)
    event_id = await _create(client, price="10")
    await post_form(
        client,
        f"/organizer/events/{event_id}/ticket-types/new",
        {"name": "Crew", "price": "4", "hidden": "on"},
    )
    new_question = f"/organizer/events/{event_id}/questions/new"
    await post_form(client, new_question, {"label": "Badge name", "kind": "text", "per": "ticket"})
    organizer = await services.store.get_user_by_email("org@example.com")
    assert organizer is not None
    types = {t.name: t for t in await services.store.list_ticket_types(event_id)}
    general, crew = types["General admission"], types["Crew"]
    assert crew.hidden
    raw = {"code": "CrewPass", "percent_off": 50, "ticket_type_ids": [crew.id]}
    await services.promo_codes.create(organizer, event_id, {**raw, "unlocks_hidden": True}, "json")
    await services.events.publish(organizer, event_id)
    client.cookies.clear()
    await sign_up_verified(client, settings, "ana@example.com", name="Ana")
    page = await client.get(f"/events/{event_id}")
    assert f"qty.{crew.id}" not in page.text
    assert 'name="quantity"' in page.text  # one visible type: a bare quantity

    hx = {"HX-Request": "true"}
    applied = await client.get(
        f"/events/{event_id}/promo",
        params={"quantity": "2", "promo_code": "crewpass", "attendees.0.name": "Ana Typed"},
        headers=hx,
    )
    assert "CrewPass" in applied.text
    assert "It unlocks Crew" in applied.text  # not "does not apply": Crew is to choose
    assert 'id="f-promo_code-error"' not in applied.text
    assert 'id="tickets" hx-swap-oob="innerHTML"' in applied.text
    assert f'name="qty.{crew.id}"' in applied.text  # now one quantity per type
    assert "Crew" in applied.text
    # The quantity chosen before stays, as the visible type's.
    assert re.search(rf'name="qty\.{general.id}".*?<option value="2" selected>', applied.text, re.S)
    assert 'id="attendee-seats" hx-swap-oob="innerHTML"' in applied.text
    assert 'value="Ana Typed"' in applied.text

    chosen = {f"qty.{general.id}": "2", f"qty.{crew.id}": "1", "promo_code": "crewpass"}
    total = await client.get(f"/events/{event_id}/total", params=chosen, headers=hx)
    assert "$24.00" in total.text  # before: 2 at 10 and 1 at 4
    assert "$22.00" in total.text  # half off the Crew ticket
    seats = await client.get(f"/events/{event_id}/attendees", params=chosen, headers=hx)
    assert "Ticket 3 · Crew" in seats.text

    register = f"/events/{event_id}/register"
    seat_fields = {f"attendees.{i}.name": name for i, name in enumerate(("Ana", "Bo", "Cy"))}
    # Without the code the hidden type is refused, and the form stays as typed.
    response = await post_form(
        client, register, {**chosen, **seat_fields, "promo_code": ""}, f"/events/{event_id}"
    )
    assert response.status_code == 422
    assert 'id="f-items-error"' in response.text
    assert 'value="Bo"' in response.text
    # A wrong code after a good one: still refused, the code typed kept next to its error.
    response = await post_form(
        client, register, {**chosen, **seat_fields, "promo_code": "NOSUCH"}, f"/events/{event_id}"
    )
    assert response.status_code == 422
    assert 'value="NOSUCH"' in response.text
    response = await post_form(client, register, {**chosen, **seat_fields}, f"/events/{event_id}")
    assert response.status_code == 303, response.text
    match = re.search(r"/checkout/([0-9a-f]{32})", response.headers["location"])
    assert match, response.headers["location"]
    registration = await services.store.get_registration(match.group(1))
    assert registration is not None
    assert [(i.name, i.quantity) for i in registration.items] == [
        ("General admission", 2),
        ("Crew", 1),
    ]
    assert registration.amount == 2200
