"""Single-line fields refuse control characters (issue 10): a tab, a line break, an
escape sequence or a bidi override in a name, a title or a gate is a 422 naming the field,
not something stored and later shown in a list, a mail header or a CSV."""

from __future__ import annotations

import httpx
import pytest

from models.domain import Role, name_problem, one_line_problem
from tests.api_helpers import API, arrange_people, create_event, event_body, register
from tests.helpers import GOOD_PASSWORD, post_form
from web.services.container import Services
from web.settings import Settings

BAD = [
    "Gig\tnight",
    "Gig\nBcc: x@example.com",
    "Gig\rnight",
    "Gig\x00",
    "Gig\x1b[31m",
    "Gig\x7f",
    "Gig\x85",
    "Gig\x9b",
    "Gig\u2028night",
    "Gig \u202eevil",
    "Gig \u2066x\u2069",
]
GOOD = ["Gig night", "Zoë Ñandú", "ライブ", "حفلة", "Café \u2013 late set", "A\u200dB"]


@pytest.mark.parametrize("value", BAD)
def test_the_one_rule_refuses_controls_and_bidi_overrides(value: str) -> None:
    assert one_line_problem(value)
    assert name_problem(value)


@pytest.mark.parametrize("value", GOOD)
def test_the_one_rule_lets_real_text_through(value: str) -> None:
    assert one_line_problem(value) is None


@pytest.fixture
async def people(services: Services) -> dict[str, object]:
    organizer, attendee = await arrange_people(services, 2, prefix="person")
    await services.store.add_role(organizer.id, Role.ORGANIZER)
    return {"organizer": organizer, "attendee": attendee}


@pytest.mark.parametrize("field", ["title", "venue", "category"])
async def test_event_fields_refuse_control_characters(
    client: httpx.AsyncClient, people: dict, field: str
) -> None:
    """Fails before issue 10: a title or venue with a tab or newline was stored (and a
    category with a trailing newline accepted)."""
    organizer = people["organizer"]
    value = {"title": "Gig\tnight", "venue": "Hall\u202eA", "category": "music\n"}[field]
    response = await client.post(
        f"{API}/events", json=event_body(**{field: value}), headers=organizer.headers
    )
    assert response.status_code == 422, response.text
    assert set(response.json()["error"]["fields"]) == {field}
    event = await create_event(client, organizer, publish=False)
    patched = await client.patch(
        f"{API}/events/{event['id']}", json={field: value}, headers=organizer.headers
    )
    assert patched.status_code == 422
    assert field in patched.json()["error"]["fields"]


async def test_a_multi_line_description_is_still_fine(
    client: httpx.AsyncClient, people: dict
) -> None:
    body = event_body(description="Doors at 19:00.\nFirst set at 20:00.")
    response = await client.post(f"{API}/events", json=body, headers=people["organizer"].headers)
    assert response.status_code == 201


async def test_sign_up_name_refuses_control_characters(client: httpx.AsyncClient) -> None:
    """Fails before issue 10: "Ana\\x1b[31m" was a valid name."""
    response = await client.post(
        f"{API}/auth/signup",
        json={
            "email": "ana@example.com",
            "password": GOOD_PASSWORD,
            "name": "Ana\x1b[31m",
            "role": "attendee",
        },
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"name"}


async def test_attendee_names_refuse_control_characters(
    client: httpx.AsyncClient, people: dict
) -> None:
    """Fails before issue 10: names were silently cleaned (tabs) or kept (DEL, overrides)."""
    event = await create_event(client, people["organizer"])
    for name in ("Bea\u202eX", "Bea\x7f", "Bea\tLima"):
        response = await register(client, people["attendee"], event["id"], 1, attendee_names=[name])
        assert response.status_code == 422, name
        assert set(response.json()["error"]["fields"]) == {"attendee_names"}
    fine = await register(
        client, people["attendee"], event["id"], 1, attendee_names=["  Bea   Lima "]
    )
    assert fine.status_code == 201
    assert fine.json()["attendee_names"] == ["Bea Lima"]


async def test_gate_and_door_search_refuse_control_characters(
    client: httpx.AsyncClient, people: dict
) -> None:
    """Fails before issue 10: a gate with DEL or an override was recorded as typed."""
    organizer = people["organizer"]
    event = await create_event(client, organizer, days=0.02)
    response = await client.post(
        f"{API}/tickets/validate",
        json={"code": "AD1-X", "event_id": event["id"], "gate": "North\u202e"},
        headers=organizer.headers,
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"gate"}
    search = await client.get(
        f"{API}/events/{event['id']}/door-search",
        params={"q": "an\x00"},
        headers=organizer.headers,
    )
    assert search.status_code == 422
    assert set(search.json()["error"]["fields"]) == {"q"}


async def test_pages_show_the_error_next_to_the_field_and_keep_the_text(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    from tests.test_organizer_pages import _organizer, event_form

    signup = await post_form(
        client,
        "/signup",
        {
            "email": "bob@example.com",
            "password": GOOD_PASSWORD,
            "name": "Bob\u202e",
            "role": "attendee",
        },
    )
    assert signup.status_code == 422
    assert 'id="f-name-error"' in signup.text
    await _organizer(client, settings)
    created = await post_form(
        client, "/organizer/events/new", event_form(venue="Hall\tA", title="Gig")
    )
    assert created.status_code == 422
    assert 'id="f-venue-error"' in created.text
    assert "control characters" in created.text
    assert 'value="Gig"' in created.text
