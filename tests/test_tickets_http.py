"""Tickets and the door over HTTP: access, PDF links, every validation result, and
invariant 2 (of many concurrent scans exactly one admits)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from models.domain import Role, new_id, utcnow
from tests.api_helpers import API, Person, arrange_people, create_event, registered
from tests.helpers import outbox_messages, printed_code
from tests.store_contract import fields_from
from web.services.container import Services
from web.settings import Settings


async def _people(services: Services, *roles: str, prefix: str = "person") -> list[Person]:
    people = await arrange_people(services, len(roles), prefix=prefix)
    for person, role in zip(people, roles, strict=True):
        if role != "attendee":
            await services.store.add_role(person.id, Role(role))
    return people


async def _ticket(client: httpx.AsyncClient, person: Person, ticket_id: str) -> dict[str, Any]:
    response = await client.get(f"{API}/tickets/{ticket_id}", headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _validate(
    client: httpx.AsyncClient, person: Person, code: str, event_id: str, **extra: str
) -> httpx.Response:
    return await client.post(
        f"{API}/tickets/validate",
        json={"code": code, "event_id": event_id, **extra},
        headers=person.headers,
    )


@pytest.fixture
async def door(client: httpx.AsyncClient, services: Services) -> dict[str, Any]:
    """An event whose doors are open, with a free registration of two tickets."""
    organizer, attendee, staff, stranger = await _people(
        services, "organizer", "attendee", "attendee", "attendee"
    )
    # Starts in about 30 minutes; attendees may cancel until the start.
    event = await create_event(client, organizer, days=0.02, capacity=50, cancellation_hours=0)
    registration = await registered(client, attendee, event["id"], 2, attendee_names=["Ana"])
    response = await client.post(
        f"{API}/events/{event['id']}/door-staff",
        json={"email": staff.email},
        headers=organizer.headers,
    )
    assert response.status_code == 201, response.text
    return {
        "organizer": organizer,
        "attendee": attendee,
        "staff": staff,
        "stranger": stranger,
        "event": event,
        "registration": registration,
    }


async def test_confirmed_registration_has_one_ticket_per_seat(
    client: httpx.AsyncClient, door: dict[str, Any]
) -> None:
    ticket_ids = door["registration"]["tickets"]
    assert len(ticket_ids) == 2
    first, second = [await _ticket(client, door["attendee"], t) for t in ticket_ids]
    assert first["attendee_name"] == "Ana"
    assert second["attendee_name"] == door["attendee"].name
    assert first["status"] == "valid"
    assert first["code"] != second["code"]
    assert first["code"].startswith("AD1-")
    organizer_view = await _ticket(client, door["organizer"], ticket_ids[0])
    assert organizer_view["code"] == first["code"]


async def test_other_people_cannot_read_a_ticket(
    client: httpx.AsyncClient, door: dict[str, Any]
) -> None:
    ticket_id = door["registration"]["tickets"][0]
    for person in (door["stranger"], door["staff"]):
        response = await client.get(f"{API}/tickets/{ticket_id}", headers=person.headers)
        assert response.status_code == 404
    registration_id = door["registration"]["id"]
    response = await client.get(
        f"{API}/registrations/{registration_id}", headers=door["stranger"].headers
    )
    assert response.status_code == 404
    assert (await client.get(f"{API}/tickets/{ticket_id}")).status_code == 401


@pytest.mark.local_adapters  # links to /files/ are LocalFiles'; S3 checks its own
async def test_pdf_link_works_alone_and_refuses_tampering(
    client: httpx.AsyncClient, door: dict[str, Any], settings: Settings
) -> None:
    ticket = await _ticket(client, door["attendee"], door["registration"]["tickets"][0])
    url = ticket["download_url"]
    path = url.removeprefix("http://testserver")
    client.cookies.clear()
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    for tampered in (
        path.replace("sig=", "sig=0"),
        path.replace("expires=", "expires=9"),
        path.replace(ticket["id"], door["registration"]["tickets"][1]),
    ):
        refused = await client.get(tampered)
        assert refused.status_code == 403
        assert "Link not valid" in refused.text


@pytest.mark.local_adapters  # links to /files/ are LocalFiles'; S3 checks its own
@pytest.mark.settings(download_ttl=1)
async def test_expired_link_offers_a_fresh_one_to_its_owner(
    client: httpx.AsyncClient, door: dict[str, Any], services: Services
) -> None:
    ticket = await _ticket(client, door["attendee"], door["registration"]["tickets"][0])
    path = ticket["download_url"].removeprefix("http://testserver")
    await asyncio.sleep(2.1)
    refused = await client.get(path)
    assert refused.status_code == 403
    assert "Link expired" in refused.text
    assert "Log in to get a fresh link" in refused.text


@pytest.mark.local_adapters  # deletes the PDF from the data folder
async def test_missing_pdf_is_rendered_again(
    client: httpx.AsyncClient, door: dict[str, Any], settings: Settings
) -> None:
    ticket = await _ticket(client, door["attendee"], door["registration"]["tickets"][0])
    stored = next((settings.data_dir / "files").rglob(f"{ticket['id']}.pdf"))
    stored.unlink()
    again = await _ticket(client, door["attendee"], ticket["id"])
    assert stored.exists()
    response = await client.get(again["download_url"].removeprefix("http://testserver"))
    assert response.status_code == 200


async def test_confirmation_mail_carries_the_pdf_tickets(
    client: httpx.AsyncClient, door: dict[str, Any], settings: Settings
) -> None:
    [mail] = outbox_messages(settings, door["attendee"].email)
    attachments = list(mail.iter_attachments())
    kinds = sorted(a.get_content_type() for a in attachments)
    assert kinds == ["application/pdf", "application/pdf", "text/calendar"]
    pdfs = [a for a in attachments if a.get_content_type() == "application/pdf"]
    assert all(a.get_content().startswith(b"%PDF") for a in pdfs)
    [calendar] = [a for a in attachments if a.get_content_type() == "text/calendar"]
    assert "BEGIN:VEVENT" in calendar.get_content()


async def test_printed_qr_decodes_and_admits(
    client: httpx.AsyncClient, door: dict[str, Any], tmp_path: Path
) -> None:
    """The round trip a door phone makes: PDF -> pixels -> decoder -> validate."""
    ticket = await _ticket(client, door["attendee"], door["registration"]["tickets"][0])
    url = ticket["download_url"]
    if url.startswith("http://testserver"):
        pdf = (await client.get(url.removeprefix("http://testserver"))).content
    else:  # a pre-signed S3 link: fetched without any of the app's credentials
        async with httpx.AsyncClient() as outside:
            pdf = (await outside.get(url)).content
    decoded = printed_code(pdf, tmp_path)
    assert decoded == ticket["code"]
    response = await _validate(client, door["staff"], decoded, door["event"]["id"])
    assert response.json()["result"] == "admitted"


@pytest.mark.local_adapters  # reads the SQLite file
async def test_every_result_at_the_door(
    client: httpx.AsyncClient, door: dict[str, Any], services: Services, settings: Settings
) -> None:
    staff, event_id = door["staff"], door["event"]["id"]
    first_id, second_id = door["registration"]["tickets"]
    code = (await _ticket(client, door["attendee"], first_id))["code"]

    admitted = await _validate(client, staff, f"  {code}\n", event_id, gate="North", device="d1")
    body = admitted.json()
    assert body["result"] == "admitted"
    assert body["ticket"]["attendee_name"] == "Ana"
    assert body["progress"] == {"admitted": 1, "total": 2}

    again = (await _validate(client, staff, code, event_id, gate="South")).json()
    assert again["result"] == "already_used"
    assert again["first_gate"] == "North"
    assert again["first_checked_in_at"] is not None
    assert again["progress"]["admitted"] == 1

    assert (await _validate(client, staff, code.lower(), event_id)).json()["result"] == "invalid"
    assert (await _validate(client, staff, "garbage", event_id)).json()["result"] == "invalid"

    # A genuine code of another event (same organizer, so the same staff could be there).
    other = await create_event(client, door["organizer"], days=0.02, title="Other")
    other_reg = await registered(client, door["attendee"], other["id"], 1)
    other_code = (await _ticket(client, door["attendee"], other_reg["tickets"][0]))["code"]
    assert (await _validate(client, staff, other_code, event_id)).json()["result"] == "wrong_event"

    # Once a ticket was admitted its attendee may not cancel; the organizer's cancellation
    # voids the unused ticket.
    registration_id = door["registration"]["id"]
    response = await client.post(
        f"{API}/registrations/{registration_id}/cancel", headers=door["attendee"].headers
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "ticket_used"
    response = await client.post(
        f"{API}/registrations/{registration_id}/cancel", headers=door["organizer"].headers
    )
    assert response.status_code == 200
    second_code = (await _ticket(client, door["attendee"], second_id))["code"]
    assert (await _validate(client, staff, second_code, event_id)).json()["result"] == "void"

    with sqlite3.connect(settings.database_path) as db:
        results = [
            row[0]
            for row in db.execute(
                "SELECT result FROM checkins WHERE event_id = ? ORDER BY at", (event_id,)
            )
        ]
    assert results == ["admitted", "already_used", "invalid", "invalid", "wrong_event", "void"]


async def test_door_hours(client: httpx.AsyncClient, services: Services) -> None:
    organizer, attendee = await _people(services, "organizer", "attendee")
    early = await create_event(client, organizer, days=3)
    registration = await registered(client, attendee, early["id"], 1)
    code = (await _ticket(client, attendee, registration["tickets"][0]))["code"]
    result = (await _validate(client, organizer, code, early["id"])).json()["result"]
    assert result == "not_yet_open"

    # Move the event into the past: it ended seven hours ago, past the six-hour grace.
    now = utcnow()
    await services.store.update_event(
        early["id"],
        lambda e: fields_from(
            e, starts_at=now - timedelta(hours=10), ends_at=now - timedelta(hours=7)
        ),
        now,
    )
    result = (await _validate(client, organizer, code, early["id"])).json()["result"]
    assert result == "event_over"
    await services.store.update_event(
        early["id"],
        lambda e: fields_from(
            e, starts_at=now - timedelta(hours=10), ends_at=now - timedelta(hours=5)
        ),
        now,
    )
    result = (await _validate(client, organizer, code, early["id"])).json()["result"]
    assert result == "admitted"  # within the grace after the end


async def test_a_signed_code_of_a_missing_ticket_is_invalid(
    client: httpx.AsyncClient, door: dict[str, Any], services: Services
) -> None:
    event_id = door["event"]["id"]
    signed = services.tickets.signer.sign(new_id(), event_id)
    result = (await _validate(client, door["staff"], signed, event_id)).json()["result"]
    assert result == "invalid"


async def test_who_may_validate(
    client: httpx.AsyncClient, door: dict[str, Any], services: Services
) -> None:
    event_id = door["event"]["id"]
    code = (await _ticket(client, door["attendee"], door["registration"]["tickets"][0]))["code"]
    for person in (door["attendee"], door["stranger"]):
        response = await _validate(client, person, code, event_id)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    # Door staff of this event are strangers at another organizer's event.
    [rival] = await _people(services, "organizer", prefix="rival")
    elsewhere = await create_event(client, rival, days=0.02)
    response = await _validate(client, door["staff"], code, elsewhere["id"])
    assert response.status_code == 403
    response = await client.get(
        f"{API}/events/{elsewhere['id']}/checkin-keys", headers=door["staff"].headers
    )
    assert response.status_code == 403
    keys = await client.get(f"{API}/events/{event_id}/checkin-keys", headers=door["staff"].headers)
    [key] = keys.json()["keys"]
    assert key["algorithm"] == "Ed25519"
    assert code.split("-")[1] == key["key_id"]


async def test_door_search_finds_people_without_a_code(
    client: httpx.AsyncClient, door: dict[str, Any]
) -> None:
    event_id = door["event"]["id"]
    response = await client.get(
        f"{API}/events/{event_id}/door-search",
        params={"q": "an"},
        headers=door["staff"].headers,
    )
    items = response.json()["items"]
    assert [item["attendee_name"] for item in items][:1] == ["Ana"]
    result = await client.post(
        f"{API}/tickets/validate",
        json={"ticket_id": items[0]["ticket_id"], "event_id": event_id},
        headers=door["staff"].headers,
    )
    assert result.json()["result"] == "admitted"
    response = await client.get(
        f"{API}/events/{event_id}/door-search", params={"q": "an"}, headers=door["stranger"].headers
    )
    assert response.status_code == 403


async def test_door_staff_assignment_errors(
    client: httpx.AsyncClient, door: dict[str, Any]
) -> None:
    path = f"{API}/events/{door['event']['id']}/door-staff"
    invalid = await client.post(
        path, json={"email": "nobody at example"}, headers=door["organizer"].headers
    )
    assert invalid.status_code == 422
    assert "email" in invalid.json()["error"]["fields"]
    not_theirs = await client.post(
        path, json={"email": door["stranger"].email}, headers=door["staff"].headers
    )
    assert not_theirs.status_code == 403


async def test_fifty_concurrent_scans_admit_exactly_once(
    client: httpx.AsyncClient, door: dict[str, Any]
) -> None:
    event_id = door["event"]["id"]
    code = (await _ticket(client, door["attendee"], door["registration"]["tickets"][0]))["code"]
    people = [door["staff"], door["organizer"]]
    answers = await asyncio.gather(
        *(_validate(client, people[n % 2], code, event_id, gate=f"Gate {n % 5}") for n in range(50))
    )
    results = [answer.json()["result"] for answer in answers]
    assert results.count("admitted") == 1
    assert results.count("already_used") == 49
    assert all(answer.status_code == 200 for answer in answers)
