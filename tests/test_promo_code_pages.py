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
