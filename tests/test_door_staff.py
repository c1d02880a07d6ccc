"""Door staff (issue 10): listed and removed, access that ends with the check-in window,
additions that do not tell whether an address has an account, and a door search that
never hands out ticket codes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from models.domain import Role, utcnow
from tests.api_helpers import API, Person, arrange_people, create_event, registered
from tests.helpers import GOOD_PASSWORD, latest_code, outbox_messages, post_form
from tests.store_contract import fields_from
from web.services.container import Services
from web.settings import Settings


async def _people(services: Services, count: int, prefix: str) -> list[Person]:
    return await arrange_people(services, count, prefix=prefix)


@pytest.fixture
async def event(client: httpx.AsyncClient, services: Services) -> dict[str, Any]:
    """An event with open doors, its organizer, a registration of two, and no door staff."""
    [organizer] = await _people(services, 1, "olivia")
    await services.store.add_role(organizer.id, Role.ORGANIZER)
    [attendee] = await _people(services, 1, "ana")
    made = await create_event(client, organizer, days=0.02, capacity=20, cancellation_hours=0)
    registration = await registered(client, attendee, made["id"], 2, attendee_names=["Ana Lima"])
    return {
        "organizer": organizer,
        "attendee": attendee,
        "event": made,
        "registration": registration,
        "staff_path": f"{API}/events/{made['id']}/door-staff",
    }


async def _add(client: httpx.AsyncClient, event: dict[str, Any], email: str) -> httpx.Response:
    return await client.post(
        event["staff_path"], json={"email": email}, headers=event["organizer"].headers
    )


async def _keys(client: httpx.AsyncClient, person: Person, event_id: str) -> int:
    response = await client.get(f"{API}/events/{event_id}/checkin-keys", headers=person.headers)
    return response.status_code


async def test_adding_answers_alike_with_or_without_an_account(
    client: httpx.AsyncClient, services: Services, settings: Settings, event: dict[str, Any]
) -> None:
    """Fails before issue 10: an unknown email was a 422 naming it, a known one a 201 with
    the account's name (account enumeration)."""
    [known] = await _people(services, 1, "kim")
    with_account = await _add(client, event, known.email)
    without = await _add(client, event, "newcomer@example.com")
    assert with_account.status_code == without.status_code == 201
    assert set(with_account.json()) == set(without.json()) == {"event_id", "id", "email"}
    assert "name" not in with_account.text
    assert known.name not in with_account.text
    # Both are told by mail; the existing account can scan at once.
    assert outbox_messages(settings, known.email)
    assert outbox_messages(settings, "newcomer@example.com")
    assert await _keys(client, known, event["event"]["id"]) == 200
    # The list shows both alike: an id and an email, by email.
    listed = await client.get(event["staff_path"], headers=event["organizer"].headers)
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [item["email"] for item in items] == [known.email, "newcomer@example.com"]
    assert all(set(item) == {"event_id", "id", "email"} for item in items)
    # Adding again changes nothing.
    again = await _add(client, event, "Newcomer@Example.com")
    assert again.json()["id"] == without.json()["id"]
    invalid = await _add(client, event, "not an address")
    assert invalid.status_code == 422
    assert "email" in invalid.json()["error"]["fields"]


async def test_an_invitation_applies_when_that_address_signs_up_and_verifies(
    client: httpx.AsyncClient, settings: Settings, event: dict[str, Any]
) -> None:
    """Fails before issue 10: an address without an account could not be added at all."""
    assert (await _add(client, event, "newcomer@example.com")).status_code == 201
    signed_up = await client.post(
        f"{API}/auth/signup",
        json={
            "email": "newcomer@example.com",
            "password": GOOD_PASSWORD,
            "name": "Nia",
            "role": "attendee",
        },
    )
    assert signed_up.status_code == 201, signed_up.text
    user = signed_up.json()["user"]
    assert "door_staff" not in user["roles"]  # not before the address is verified
    code = latest_code(settings, "newcomer@example.com")
    verified = await client.post(
        f"{API}/auth/verify", json={"email": "newcomer@example.com", "code": code}
    )
    assert verified.status_code == 200, verified.text
    assert "door_staff" in verified.json()["user"]["roles"]
    token = await client.post(
        f"{API}/auth/token", json={"email": "newcomer@example.com", "password": GOOD_PASSWORD}
    )
    nia = Person(user["id"], "newcomer@example.com", "Nia", token.json()["access_token"])
    assert await _keys(client, nia, event["event"]["id"]) == 200
    # The invitation became the account's entry: one entry, under the account's id.
    listed = await client.get(event["staff_path"], headers=event["organizer"].headers)
    assert [(i["id"], i["email"]) for i in listed.json()["items"]] == [
        (user["id"], "newcomer@example.com")
    ]


async def test_door_staff_are_listed_and_removed(
    client: httpx.AsyncClient, services: Services, event: dict[str, Any]
) -> None:
    """Fails before issue 10: there was no list and no DELETE (405)."""
    [staff, rival] = await _people(services, 2, "dora")
    await services.store.add_role(rival.id, Role.ORGANIZER)
    added = (await _add(client, event, staff.email)).json()
    assert added["id"] == staff.id
    await _add(client, event, "pending@example.com")
    event_id = event["event"]["id"]
    assert await _keys(client, staff, event_id) == 200

    for outsider in (staff, rival):  # door staff and another organizer may not see the list
        response = await client.get(event["staff_path"], headers=outsider.headers)
        assert response.status_code in (403, 404)
    missing = await client.delete(
        f"{event['staff_path']}/{event['attendee'].id}", headers=event["organizer"].headers
    )
    assert missing.status_code == 404
    theirs = await client.delete(f"{event['staff_path']}/{staff.id}", headers=rival.headers)
    assert theirs.status_code in (403, 404)

    removed = await client.delete(
        f"{event['staff_path']}/{staff.id}", headers=event["organizer"].headers
    )
    assert removed.status_code == 204
    assert await _keys(client, staff, event_id) == 403
    code = (
        await client.get(
            f"{API}/tickets/{event['registration']['tickets'][0]}",
            headers=event["attendee"].headers,
        )
    ).json()["code"]
    scan = await client.post(
        f"{API}/tickets/validate",
        json={"code": code, "event_id": event_id},
        headers=staff.headers,
    )
    assert scan.status_code == 403
    listed = (await client.get(event["staff_path"], headers=event["organizer"].headers)).json()
    [pending] = listed["items"]
    assert pending["email"] == "pending@example.com"
    # An invitation is withdrawn the same way.
    withdrawn = await client.delete(
        f"{event['staff_path']}/{pending['id']}", headers=event["organizer"].headers
    )
    assert withdrawn.status_code == 204
    listed = (await client.get(event["staff_path"], headers=event["organizer"].headers)).json()
    assert listed["items"] == []


async def test_door_staff_access_ends_with_the_check_in_window(
    client: httpx.AsyncClient, services: Services, event: dict[str, Any]
) -> None:
    """Fails before issue 10: door staff kept the scanner, offline list and search after
    the event (validations answered event_over instead of refusing them)."""
    [staff] = await _people(services, 1, "dora")
    await _add(client, event, staff.email)
    event_id = event["event"]["id"]
    code = (
        await client.get(
            f"{API}/tickets/{event['registration']['tickets'][0]}",
            headers=event["attendee"].headers,
        )
    ).json()["code"]
    now = utcnow()
    # It ended seven hours ago: past the six hours of grace.
    await services.store.update_event(
        event_id,
        lambda e: fields_from(
            e, starts_at=now - timedelta(hours=10), ends_at=now - timedelta(hours=7)
        ),
        now,
    )
    scan = await client.post(
        f"{API}/tickets/validate", json={"code": code, "event_id": event_id}, headers=staff.headers
    )
    assert scan.status_code == 403
    assert "ended" in scan.json()["error"]["message"]
    for path in (
        f"{API}/events/{event_id}/checkin-keys",
        f"{API}/events/{event_id}/door-search?q=ana",
        f"/door/{event_id}/offline-data",
        f"/door/{event_id}",
    ):
        response = await client.get(path, headers=staff.headers)
        assert response.status_code == 403, path
    # The organizer still reaches it all, and is told the event is over.
    organizer_scan = await client.post(
        f"{API}/tickets/validate",
        json={"code": code, "event_id": event_id},
        headers=event["organizer"].headers,
    )
    assert organizer_scan.json()["result"] == "event_over"
    assert await _keys(client, event["organizer"], event_id) == 200


async def test_door_search_answers_names_and_ids_never_codes(
    client: httpx.AsyncClient, services: Services, event: dict[str, Any]
) -> None:
    """Fails before issue 10: each item carried the ticket's code (the QR itself)."""
    [staff] = await _people(services, 1, "dora")
    await _add(client, event, staff.email)
    event_id = event["event"]["id"]
    codes = [
        (await client.get(f"{API}/tickets/{t}", headers=event["attendee"].headers)).json()["code"]
        for t in event["registration"]["tickets"]
    ]
    response = await client.get(
        f"{API}/events/{event_id}/door-search", params={"q": "a"}, headers=staff.headers
    )
    assert response.status_code == 200
    items = response.json()["items"]
    assert {item["ticket_id"] for item in items} == set(event["registration"]["tickets"])
    assert all("code" not in item for item in items)
    for code in codes:
        assert code not in response.text
        assert code.split("-", 2)[2] not in response.text
    # Admitting one found by name takes its id, for this event only.
    admitted = await client.post(
        f"{API}/tickets/validate",
        json={"ticket_id": items[0]["ticket_id"], "event_id": event_id},
        headers=staff.headers,
    )
    assert admitted.json()["result"] == "admitted"
    other = await create_event(client, event["organizer"], days=0.02, title="Other night")
    elsewhere = await client.post(
        f"{API}/tickets/validate",
        json={"ticket_id": items[1]["ticket_id"], "event_id": other["id"]},
        headers=event["organizer"].headers,
    )
    assert elsewhere.json()["result"] == "invalid"
    both = await client.post(
        f"{API}/tickets/validate",
        json={"ticket_id": items[1]["ticket_id"], "code": codes[1], "event_id": event_id},
        headers=staff.headers,
    )
    assert both.status_code == 422


async def test_organizer_page_lists_door_staff_with_remove_and_confirmation(
    client: httpx.AsyncClient, services: Services, settings: Settings
) -> None:
    """Fails before issue 10: the page listed names with no way to remove anyone."""
    from tests.test_organizer_pages import _create, _organizer

    await _organizer(client, settings)
    event_id = await _create(client)
    page_path = f"/organizer/events/{event_id}"
    assert "Nobody yet." in (await client.get(page_path)).text
    await services.accounts.sign_up(
        "gate@example.com", GOOD_PASSWORD, "Gate Keeper", "attendee", verified=True
    )
    for address in ("gate@example.com", "ghost@example.com"):
        added = await post_form(
            client, f"{page_path}/door-staff", {"email": address}, token_page=page_path
        )
        assert added.status_code == 303
    page = (await client.get(page_path)).text
    assert "gate@example.com" in page
    assert "ghost@example.com" in page
    assert "Gate Keeper" not in page  # names would tell which addresses have accounts
    gate = await services.store.get_user_by_email("gate@example.com")
    assert gate is not None
    remove_path = f"{page_path}/door-staff/{gate.id}/remove"
    assert f'href="{remove_path}"' in page
    confirm = await client.get(remove_path)
    assert confirm.status_code == 200
    assert "Remove gate@example.com from the door?" in confirm.text
    removed = await post_form(client, remove_path, {}, token_page=remove_path)
    assert removed.status_code == 303
    assert not await services.store.is_door_staff(event_id, gate.id)
    page = (await client.get(page_path)).text
    assert "can no longer check tickets" in page
    assert "gate@example.com" not in page.split('id="door-staff"')[1].split("</section>")[0]


async def test_an_address_our_mail_cannot_reach_is_refused_before_anything_is_stored(
    client: httpx.AsyncClient, event: dict[str, Any], services: Services
) -> None:
    """Before, an address with an accent was stored as an invitation, then the mail could
    not be built: a 500 with the invitation half-written."""
    response = await _add(client, event, "zoë@example.com")
    assert response.status_code == 422, response.text
    assert "email" in response.json()["error"]["fields"]
    assert await services.store.list_door_invitations(event["event"]["id"]) == []
