"""Promo codes over the JSON API (API.md, "Promo codes" and "Registering with types,
answers and a code"): every error of the contract, on either store (`--adapters=aws`).
Each test would fail before promo codes existed (the routes and `promo_code` were not
there)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.api_helpers import (
    API,
    Person,
    create_event,
    error_of,
    field_errors,
    register,
    registered,
    rfc3339,
    sign_up,
)

pytestmark = pytest.mark.settings(require_email_verification=False)


def _path(event_id: str, promo_id: str = "") -> str:
    return f"{API}/events/{event_id}/promo-codes" + (f"/{promo_id}" if promo_id else "")


async def add_code(
    client: httpx.AsyncClient, organizer: Person, event_id: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(_path(event_id), json=body, headers=organizer.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def paid_event(
    client: httpx.AsyncClient, organizer: Person, **changes: Any
) -> dict[str, Any]:
    return await create_event(client, organizer, **{"price": 2000, **changes})


async def uses_of(
    client: httpx.AsyncClient, organizer: Person, event_id: str, promo_id: str
) -> int:
    response = await client.get(_path(event_id, promo_id), headers=organizer.headers)
    assert response.status_code == 200, response.text
    uses: int = response.json()["uses"]
    return uses


# -- the organizer's codes ----------------------------------------------------------------


async def test_an_organizer_creates_lists_edits_and_deletes_codes(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    event = await paid_event(client, organizer)
    until = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    created = await add_code(
        client, organizer, event["id"], code="Early_Bird-1", percent_off=25, max_uses=10,
        valid_until=rfc3339(until),
    )  # fmt: skip
    assert created == {
        "id": created["id"],
        "code": "Early_Bird-1",
        "percent_off": 25,
        "amount_off": None,
        "max_uses": 10,
        "uses": 0,
        "valid_from": None,
        "valid_until": created["valid_until"],
        "ticket_type_ids": [],
        "unlocks_hidden": False,
    }
    assert datetime.fromisoformat(created["valid_until"]) == until
    response = await client.get(_path(event["id"]), headers=organizer.headers)
    assert response.json() == {"items": [created], "next_cursor": None}
    response = await client.patch(
        _path(event["id"], created["id"]), json={"amount_off": 500}, headers=organizer.headers
    )
    assert response.status_code == 200, response.text
    assert (response.json()["amount_off"], response.json()["percent_off"]) == (500, None)
    response = await client.delete(_path(event["id"], created["id"]), headers=organizer.headers)
    assert response.status_code == 204
    response = await client.get(_path(event["id"], created["id"]), headers=organizer.headers)
    error_of(response, 404, "not_found")
    response = await client.patch(
        _path(event["id"], created["id"]), json={"max_uses": 3}, headers=organizer.headers
    )
    error_of(response, 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "ab", "percent_off": 10}, "code"),
        ({"code": "x" * 41, "percent_off": 10}, "code"),
        ({"code": "NO SPACES", "percent_off": 10}, "code"),
        ({"code": "ÉTÉ2026", "percent_off": 10}, "code"),
        ({"percent_off": 10}, "code"),
        ({"code": "ZERO", "percent_off": 0}, "percent_off"),
        ({"code": "OVER", "percent_off": 101}, "percent_off"),
        ({"code": "NEG", "amount_off": -1}, "amount_off"),
        ({"code": "TEXT", "amount_off": "5"}, "amount_off"),
        ({"code": "BOTH", "percent_off": 10, "amount_off": 100}, "amount_off"),
        ({"code": "NONE"}, "percent_off"),
        ({"code": "NOUSE", "percent_off": 10, "max_uses": 0}, "max_uses"),
        (
            {
                "code": "DATES",
                "percent_off": 10,
                "valid_from": "2026-12-31T20:00:00+01:00",
                "valid_until": "2026-12-30T20:00:00+01:00",
            },
            "valid_until",
        ),
        ({"code": "NAIVE", "percent_off": 10, "valid_from": "2026-12-31T20:00:00"}, "valid_from"),
        ({"code": "TYPES", "percent_off": 10, "ticket_type_ids": ["nope"]}, "ticket_type_ids"),
        ({"code": "FLAG", "percent_off": 10, "unlocks_hidden": "yes"}, "unlocks_hidden"),
        ({"code": "EXTRA", "percent_off": 10, "colour": "red"}, "colour"),
    ],
)
async def test_bad_fields_are_422_naming_them_and_nothing_is_stored(
    client: httpx.AsyncClient, organizer: Person, body: dict[str, Any], field: str
) -> None:
    event = await paid_event(client, organizer)
    response = await client.post(_path(event["id"]), json=body, headers=organizer.headers)
    assert field in field_errors(response)
    response = await client.get(_path(event["id"]), headers=organizer.headers)
    assert response.json()["items"] == []


async def test_a_spelling_differing_only_in_case_is_taken(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    event = await paid_event(client, organizer)
    await add_code(client, organizer, event["id"], code="Summer", percent_off=10)
    response = await client.post(
        _path(event["id"]), json={"code": "SUMMER", "amount_off": 100}, headers=organizer.headers
    )
    assert "code" in field_errors(response)


async def test_only_the_events_organizer_manages_its_codes(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event = await paid_event(client, organizer)
    promo = await add_code(client, organizer, event["id"], code="MINE", percent_off=10)
    rival = await sign_up(client, "rival@example.com", "organizer")
    for person, status in ((rival, 404), (attendee, 403)):
        for method, path in (
            ("GET", _path(event["id"])),
            ("GET", _path(event["id"], promo["id"])),
            ("PATCH", _path(event["id"], promo["id"])),
            ("DELETE", _path(event["id"], promo["id"])),
        ):
            body = {"max_uses": 1} if method == "PATCH" else None
            response = await client.request(method, path, json=body, headers=person.headers)
            assert response.status_code == status, (person.email, method, path, response.text)
    response = await client.get(_path(event["id"]))
    error_of(response, 401)


# -- registering with a code -----------------------------------------------------------------


async def test_a_code_discounts_each_ticket_and_counts_one_use(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event = await paid_event(client, organizer)
    promo = await add_code(client, organizer, event["id"], code="Friends", percent_off=25)
    body = await registered(client, attendee, event["id"], 3, promo_code="fRIENDS")
    assert body["status"] == "held"
    assert body["promo_code"] == "Friends"  # as the organizer wrote it
    (item,) = body["items"]
    assert (item["unit_price"], item["discount"], item["quantity"]) == (2000, 500, 3)
    assert body["amount"] == 3 * 1500
    assert await uses_of(client, organizer, event["id"], promo["id"]) == 1
    plain = await registered(client, attendee, event["id"], 1)
    assert plain["promo_code"] is None
    assert plain["items"][0]["discount"] == 0
    # Cancelling gives the use back.
    response = await client.post(
        f"{API}/registrations/{body['id']}/cancel", headers=attendee.headers
    )
    assert response.status_code == 200, response.text
    assert await uses_of(client, organizer, event["id"], promo["id"]) == 0


async def test_an_amount_off_never_goes_below_zero_and_confirms_at_once(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    """A registration whose amount comes to 0 is confirmed at once, with tickets."""
    event = await paid_event(client, organizer)
    await add_code(client, organizer, event["id"], code="COMP", amount_off=5000)
    body = await registered(client, attendee, event["id"], 2, promo_code="comp")
    assert body["status"] == "confirmed"
    assert body["amount"] == 0
    assert body["items"][0]["discount"] == 2000
    assert body["payment"] is None
    assert len(body["tickets"]) == 2


async def test_a_full_percent_code_gives_comp_tickets(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event = await paid_event(client, organizer)
    await add_code(client, organizer, event["id"], code="GUEST", percent_off=100, max_uses=1)
    body = await registered(client, attendee, event["id"], 1, promo_code="GUEST")
    assert (body["status"], body["amount"], len(body["tickets"])) == ("confirmed", 0, 1)
    response = await client.get(f"{API}/tickets/{body['tickets'][0]}", headers=attendee.headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("code", ["NOPE", "no", "x" * 41, "BAD CODE"])
async def test_an_unknown_code_is_422_on_promo_code_and_holds_nothing(
    client: httpx.AsyncClient, organizer: Person, attendee: Person, code: str
) -> None:
    event = await paid_event(client, organizer)
    await add_code(client, organizer, event["id"], code="REAL", percent_off=10)
    response = await register(client, attendee, event["id"], 1, promo_code=code)
    assert "promo_code" in field_errors(response)
    response = await client.get(f"{API}/registrations", headers=attendee.headers)
    assert response.json()["items"] == []


async def test_a_code_of_another_event_is_unknown(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event = await paid_event(client, organizer)
    other = await paid_event(client, organizer)
    await add_code(client, organizer, other["id"], code="OTHER", percent_off=10)
    response = await register(client, attendee, event["id"], 1, promo_code="OTHER")
    assert "promo_code" in field_errors(response)


async def test_promo_code_must_be_text(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event = await paid_event(client, organizer)
    response = await register(client, attendee, event["id"], 1, promo_code=12345)
    assert "promo_code" in field_errors(response)


async def test_a_code_outside_its_dates_is_422(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    event = await paid_event(client, organizer)
    await add_code(
        client, organizer, event["id"], code="LATER", percent_off=10,
        valid_from=rfc3339(now + timedelta(days=1)),
    )  # fmt: skip
    await add_code(
        client, organizer, event["id"], code="OVER", percent_off=10,
        valid_from=rfc3339(now - timedelta(days=2)), valid_until=rfc3339(now - timedelta(days=1)),
    )  # fmt: skip
    for code in ("later", "over"):
        response = await register(client, attendee, event["id"], 1, promo_code=code)
        assert "promo_code" in field_errors(response)


async def test_a_used_up_code_is_409_and_its_use_returns_on_cancel(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event = await paid_event(client, organizer)
    promo = await add_code(client, organizer, event["id"], code="ONCE", percent_off=50, max_uses=1)
    first = await registered(client, attendee, event["id"], 1, promo_code="ONCE")
    response = await register(client, attendee, event["id"], 1, promo_code="once")
    error_of(response, 409, "promo_code_used_up")
    response = await client.post(
        f"{API}/registrations/{first['id']}/cancel", headers=organizer.headers
    )
    assert response.status_code == 200, response.text
    assert await uses_of(client, organizer, event["id"], promo["id"]) == 0
    await registered(client, attendee, event["id"], 1, promo_code="ONCE")


async def test_the_limit_cannot_drop_below_the_uses(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event = await paid_event(client, organizer)
    promo = await add_code(client, organizer, event["id"], code="FEW", percent_off=5, max_uses=5)
    for _ in range(2):
        await registered(client, attendee, event["id"], 1, promo_code="FEW")
    response = await client.patch(
        _path(event["id"], promo["id"]), json={"max_uses": 1}, headers=organizer.headers
    )
    assert "max_uses" in field_errors(response)
    assert await uses_of(client, organizer, event["id"], promo["id"]) == 2


async def _typed(client: httpx.AsyncClient, organizer: Person) -> tuple[dict[str, Any], str, str]:
    """An event with General admission (20.00) and a hidden VIP type (80.00)."""
    event = await paid_event(client, organizer)
    general = event["ticket_types"][0]["id"]
    response = await client.post(
        f"{API}/events/{event['id']}/ticket-types",
        json={"name": "VIP", "price": 8000, "hidden": True},
        headers=organizer.headers,
    )
    assert response.status_code == 201, response.text
    return event, general, response.json()["id"]


async def test_a_code_limited_to_types_discounts_only_those(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event, general, vip = await _typed(client, organizer)
    await add_code(
        client, organizer, event["id"], code="VIPONLY", amount_off=1000,
        ticket_type_ids=[vip], unlocks_hidden=True,
    )  # fmt: skip
    body = await registered(
        client, attendee, event["id"], None,
        items=[{"ticket_type_id": general, "quantity": 1}, {"ticket_type_id": vip, "quantity": 2}],
        promo_code="viponly",
    )  # fmt: skip
    assert [(i["name"], i["discount"]) for i in body["items"]] == [
        ("General admission", 0), ("VIP", 1000),
    ]  # fmt: skip
    assert body["amount"] == 2000 + 2 * 7000
    # A code that applies to none of the tickets chosen is refused.
    response = await register(
        client, attendee, event["id"], None,
        items=[{"ticket_type_id": general, "quantity": 1}], promo_code="VIPONLY",
    )  # fmt: skip
    assert "promo_code" in field_errors(response)


async def test_a_hidden_type_is_422_unless_a_code_unlocks_it(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event, _, vip = await _typed(client, organizer)
    await add_code(client, organizer, event["id"], code="PLAIN", percent_off=10)
    await add_code(client, organizer, event["id"], code="SECRET", unlocks_hidden=True)
    items = [{"ticket_type_id": vip, "quantity": 1}]
    response = await register(client, attendee, event["id"], None, items=items)
    assert "items" in field_errors(response)
    response = await register(client, attendee, event["id"], None, items=items, promo_code="PLAIN")
    assert "items" in field_errors(response)
    body = await registered(client, attendee, event["id"], None, items=items, promo_code="secret")
    assert (body["amount"], body["items"][0]["discount"], body["promo_code"]) == (
        8000, 0, "SECRET",
    )  # fmt: skip


async def test_a_registration_lists_its_code_to_its_organizer(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event = await paid_event(client, organizer)
    await add_code(client, organizer, event["id"], code="Listed", percent_off=10)
    body = await registered(client, attendee, event["id"], 1, promo_code="LISTED")
    response = await client.get(f"{API}/registrations/{body['id']}", headers=organizer.headers)
    assert response.json()["promo_code"] == "Listed"
    response = await client.get(
        f"{API}/events/{event['id']}/registrations", headers=organizer.headers
    )
    assert response.json()["items"][0]["promo_code"] == "Listed"
