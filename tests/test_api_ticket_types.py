"""Ticket types over the JSON API (API.md, "Ticket types" and "Registering with types"):
every error code of the contract, on either store (`--adapters=aws`)."""

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
    get_event,
    register,
    registered,
    rfc3339,
    sign_up,
    stats_by_type,
)

pytestmark = pytest.mark.settings(require_email_verification=False)


@pytest.fixture
async def rival(client: httpx.AsyncClient) -> Person:
    return await sign_up(client, "rival@example.com", "organizer")


def _types_path(event_id: str, type_id: str = "") -> str:
    return f"{API}/events/{event_id}/ticket-types" + (f"/{type_id}" if type_id else "")


async def add_type(
    client: httpx.AsyncClient, organizer: Person, event_id: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(_types_path(event_id), json=body, headers=organizer.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def typed_event(
    client: httpx.AsyncClient, organizer: Person, **changes: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A published event with General admission renamed Standard (30.00) and a Student
    type (15.00, 2 seats)."""
    event = await create_event(client, organizer, **{"price": 3000, **changes})
    (general,) = event["ticket_types"]
    response = await client.patch(
        _types_path(event["id"], general["id"]),
        json={"name": "Standard"},
        headers=organizer.headers,
    )
    assert response.status_code == 200, response.text
    student = await add_type(client, organizer, event["id"], name="Student", price=1500, capacity=2)
    return event, response.json(), student


async def test_an_event_made_the_old_way_answers_its_general_admission_type(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    """Old calls work exactly: price/capacity make one type, quantity buys it."""
    event = await create_event(client, organizer, price=2500, capacity=50)
    (kind,) = event["ticket_types"]
    assert kind == {
        "id": kind["id"],
        "name": "General admission",
        "description": "",
        "price": 2500,
        "currency": "EUR",
        "capacity": None,
        "seats_left": 50,
        "sales_start": None,
        "sales_end": None,
        "max_per_registration": 10,
        "hidden": False,
        "on_sale": True,
    }
    registration = await registered(client, attendee, event["id"], 2)
    assert registration["items"] == [
        {
            "ticket_type_id": kind["id"],
            "name": "General admission",
            "quantity": 2,
            "unit_price": 2500,
            "discount": 0,
        }
    ]
    assert registration["amount"] == 5000


async def test_several_types_in_one_registration_with_attendees_in_item_order(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event, standard, student = await typed_event(client, organizer, capacity=10)
    assert (await get_event(client, event["id"]))["price"] == 1500  # the lowest
    body = await registered(
        client,
        attendee,
        event["id"],
        quantity=None,
        items=[
            {"ticket_type_id": standard["id"], "quantity": 2},
            {"ticket_type_id": student["id"], "quantity": 1},
        ],
        attendees=[{"name": "Bo"}, {}, {"name": "Cy"}],
    )
    assert body["quantity"] == 3
    assert body["amount"] == 2 * 3000 + 1500
    assert [(i["name"], i["quantity"], i["unit_price"]) for i in body["items"]] == [
        ("Standard", 2, 3000),
        ("Student", 1, 1500),
    ]
    assert [a["name"] for a in body["attendees"]] == ["Bo", "Ana", "Cy"]
    pay = await client.post(
        f"{API}/registrations/{body['id']}/simulated-payment",
        json={"card_number": "4242424242424242"},
        headers=attendee.headers,
    )
    assert pay.status_code == 200, pay.text
    tickets = []
    for ticket_id in pay.json()["tickets"]:
        response = await client.get(f"{API}/tickets/{ticket_id}", headers=attendee.headers)
        tickets.append(response.json())
    assert [(t["attendee_name"], t["ticket_type_name"]) for t in tickets] == [
        ("Bo", "Standard"),
        ("Ana", "Standard"),
        ("Cy", "Student"),
    ]
    assert {t["ticket_type_id"] for t in tickets} == {standard["id"], student["id"]}
    figures = await stats_by_type(client, organizer, event["id"])
    assert figures["by_ticket_type"] == [
        {
            "ticket_type_id": standard["id"],
            "name": "Standard",
            "capacity": None,
            "sold": 2,
            "held": 0,
            "revenue": 6000,
        },
        {
            "ticket_type_id": student["id"],
            "name": "Student",
            "capacity": 2,
            "sold": 1,
            "held": 0,
            "revenue": 1500,
        },
    ]
    validate = await client.post(
        f"{API}/tickets/validate",
        json={"code": tickets[2]["code"], "event_id": event["id"]},
        headers=organizer.headers,
    )
    assert validate.json()["ticket"]["ticket_type_name"] == "Student"


async def test_quantity_alone_only_while_one_type_is_visible(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event, _, student = await typed_event(client, organizer)
    assert "items" in field_errors(await register(client, attendee, event["id"], 1))
    response = await client.patch(
        _types_path(event["id"], student["id"]), json={"hidden": True}, headers=organizer.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["hidden"] is True
    await registered(client, attendee, event["id"], 1)  # one visible type again
    # A hidden type: not shown to the public, 422 to buy without a code.
    public = await get_event(client, event["id"])
    assert [t["name"] for t in public["ticket_types"]] == ["Standard"]
    own = await get_event(client, event["id"], organizer)
    assert [t["name"] for t in own["ticket_types"]] == ["Standard", "Student"]
    items = [{"ticket_type_id": student["id"], "quantity": 1}]
    fields = field_errors(await register(client, attendee, event["id"], None, items=items))
    assert "items" in fields
    unknown = [{"ticket_type_id": "nope", "quantity": 1}]
    assert "items" in field_errors(
        await register(client, attendee, event["id"], None, items=unknown)
    )
    for bad in (
        [],
        [{"ticket_type_id": student["id"]}],
        "x",
        [{"ticket_type_id": 1, "quantity": 1}],
    ):
        response = await register(client, attendee, event["id"], None, items=bad)
        assert "items" in field_errors(response), bad


async def test_a_type_at_its_capacity_is_named_and_the_event_stays_the_limit(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event, standard, student = await typed_event(client, organizer, capacity=4, price=0)
    items = [{"ticket_type_id": student["id"], "quantity": 3}]
    error = error_of(
        await register(client, attendee, event["id"], None, items=items), 409, "not_enough_seats"
    )
    assert (error["seats_left"], error["ticket_type_id"]) == (2, student["id"])
    items = [{"ticket_type_id": student["id"], "quantity": 2}]
    await registered(client, attendee, event["id"], None, items=items)
    error = error_of(
        await register(client, attendee, event["id"], None, items=items), 409, "sold_out"
    )
    assert error["ticket_type_id"] == student["id"]
    items = [{"ticket_type_id": standard["id"], "quantity": 3}]
    error = error_of(
        await register(client, attendee, event["id"], None, items=items), 409, "not_enough_seats"
    )
    assert error["seats_left"] == 2
    assert "ticket_type_id" not in error
    kinds = {t["name"]: t for t in (await get_event(client, event["id"]))["ticket_types"]}
    assert (kinds["Standard"]["seats_left"], kinds["Student"]["seats_left"]) == (2, 0)


async def test_a_type_outside_its_sales_window_is_409(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event = await create_event(client, organizer)
    now = datetime.now(UTC).replace(microsecond=0)
    over = await add_type(
        client,
        organizer,
        event["id"],
        name="Early bird",
        price=0,
        sales_end=rfc3339(now - timedelta(hours=1)),
    )
    assert over["on_sale"] is False
    later = await add_type(
        client,
        organizer,
        event["id"],
        name="Late",
        price=0,
        sales_start=rfc3339(now + timedelta(days=1)),
    )
    for kind in (over, later):
        items = [{"ticket_type_id": kind["id"], "quantity": 1}]
        error = error_of(
            await register(client, attendee, event["id"], None, items=items),
            409,
            "ticket_type_not_on_sale",
        )
        assert error["ticket_type_id"] == kind["id"]


async def test_type_fields_are_checked_and_names_unique(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    event = await create_event(client, organizer)
    path = _types_path(event["id"])
    cases: list[tuple[dict[str, Any], str]] = [
        ({"price": 100}, "name"),
        ({"name": "", "price": 100}, "name"),
        ({"name": "x" * 101, "price": 100}, "name"),
        ({"name": "General admission", "price": 100}, "name"),
        ({"name": "general ADMISSION", "price": 100}, "name"),
        ({"name": "A"}, "price"),
        ({"name": "A", "price": -1}, "price"),
        ({"name": "A", "price": 1, "capacity": 0}, "capacity"),
        ({"name": "A", "price": 1, "max_per_registration": 101}, "max_per_registration"),
        ({"name": "A", "price": 1, "hidden": "yes"}, "hidden"),
        ({"name": "A", "price": 1, "sales_start": "tomorrow"}, "sales_start"),
        (
            {
                "name": "A",
                "price": 1,
                "sales_start": "2030-01-02T00:00:00+00:00",
                "sales_end": "2030-01-01T00:00:00+00:00",
            },
            "sales_end",
        ),
        ({"name": "A", "price": 1, "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        response = await client.post(path, json=body, headers=organizer.headers)
        assert field in field_errors(response), (body, response.text)
    assert len((await get_event(client, event["id"]))["ticket_types"]) == 1  # nothing stored


async def test_capacity_below_sold_in_use_and_last_type(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event, standard, student = await typed_event(client, organizer, price=0)
    items = [{"ticket_type_id": standard["id"], "quantity": 3}]
    await registered(client, attendee, event["id"], None, items=items)
    path = _types_path(event["id"], standard["id"])
    error = error_of(
        await client.patch(path, json={"capacity": 2}, headers=organizer.headers),
        409,
        "capacity_below_sold",
    )
    assert error["seats_taken"] == 3
    error_of(await client.delete(path, headers=organizer.headers), 409, "ticket_type_in_use")
    response = await client.delete(
        _types_path(event["id"], student["id"]), headers=organizer.headers
    )
    assert response.status_code == 204, response.text
    other = await create_event(client, organizer)
    (only,) = other["ticket_types"]
    error_of(
        await client.delete(_types_path(other["id"], only["id"]), headers=organizer.headers),
        409,
        "last_ticket_type",
    )
    error_of(await client.delete(_types_path(other["id"], "nope"), headers=organizer.headers), 404)


async def test_only_the_organizer_changes_types(
    client: httpx.AsyncClient, organizer: Person, rival: Person, attendee: Person
) -> None:
    event, standard, _ = await typed_event(client, organizer)
    path = _types_path(event["id"], standard["id"])
    for person in (rival, attendee):
        response = await client.patch(path, json={"price": 1}, headers=person.headers)
        assert response.status_code in (403, 404), response.text
        response = await client.post(
            _types_path(event["id"]), json={"name": "X", "price": 1}, headers=person.headers
        )
        assert response.status_code in (403, 404), response.text
        assert (await client.delete(path, headers=person.headers)).status_code in (403, 404)
    error_of(await client.patch(path, json={"price": 1}), 401)


async def test_the_event_price_moves_its_only_type(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    event = await create_event(client, organizer, price=2500)
    response = await client.patch(
        f"{API}/events/{event['id']}", json={"price": 3000}, headers=organizer.headers
    )
    assert response.status_code == 200, response.text
    assert [t["price"] for t in response.json()["ticket_types"]] == [3000]
    await add_type(client, organizer, event["id"], name="Student", price=1000)
    response = await client.patch(
        f"{API}/events/{event['id']}", json={"price": 10}, headers=organizer.headers
    )
    assert "price" in field_errors(response)
    assert (await get_event(client, event["id"]))["price"] == 1000
