"""The door's offline list over HTTP (`GET /door/{event_id}/offline-data`): who may have
it, what it says after check-ins and cancellations, and that its public keys verify the
codes Admit issues (checked here with `cryptography`, as the phone checks them with
WebCrypto)."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from models.ticket_codes import CodeSigner, public_bytes
from tests import test_tickets_http
from tests.api_helpers import API, create_event, parse_time, registered, sign_up
from tests.helpers import GOOD_PASSWORD, post_form
from tests.test_tickets_http import _people, _ticket, _validate
from web.services.container import Services

# The fixture of the door's HTTP tests: an event whose doors are open, its organizer, door
# staff, an attendee with a registration of two tickets ("Ana" and the buyer), a stranger.
door = test_tickets_http.door

COLUMNS = [
    "id",
    "status",
    "attendee_name",
    "seat_no",
    "seats",
    "ticket_type_name",
    "code_generation",
    "checked_in_at",
    "checked_in_gate",
]


def _path(event_id: str) -> str:
    return f"/door/{event_id}/offline-data"


async def _offline_list(
    client: httpx.AsyncClient, person: Any, event_id: str, status: int = 200
) -> dict[str, Any]:
    response = await client.get(_path(event_id), headers=person.headers)
    assert response.status_code == status, response.text
    return response.json() if status == 200 else {}


def _rows(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The tickets of a list by id, each as a dict of the columns it has."""
    assert body["columns"] == COLUMNS
    return {row[0]: dict(zip(COLUMNS, row, strict=False)) for row in body["tickets"]}


def _verify(code: str, keys: list[dict[str, str]]) -> tuple[str, str]:
    """(ticket id, event id) of `code`, checked with a key of the list only."""
    version, kid, body = code.split("-")
    assert version == "AD1"
    (key,) = [k for k in keys if k["key_id"] == kid]
    assert key["algorithm"] == "Ed25519"
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    raw = base64.b32decode(body + "=" * (-len(body) % 8))
    ticket, event, signature = raw[:16], raw[16:32], raw[32:]
    public.verify(signature, f"AD1-{kid}-".encode() + ticket + event)  # raises if forged
    return ticket.hex(), event.hex()


async def test_door_staff_and_organizer_get_the_list(
    client: httpx.AsyncClient, door: dict[str, Any]
) -> None:
    event, registration = door["event"], door["registration"]
    for person, scanner in ((door["staff"], "door_staff"), (door["organizer"], "organizer")):
        response = await client.get(_path(event["id"]), headers=person.headers)
        assert response.status_code == 200, response.text
        # The phone decides as the server would for whoever synced (door staff's access
        # ends with the door hours; before, the phone always decided as the organizer).
        assert response.json()["scanner"] == scanner
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert body["event_id"] == event["id"]
        rows = _rows(body)
        assert sorted(rows) == sorted(registration["tickets"])
        first, second = (rows[t] for t in registration["tickets"])
        assert first == {
            "id": first["id"],
            "status": "valid",
            "attendee_name": "Ana",
            "seat_no": 1,
            "seats": 2,
            "ticket_type_name": "General admission",
            "code_generation": 0,
        }
        assert (second["attendee_name"], second["seat_no"]) == (door["attendee"].name, 2)
    # The door hours the server checks: from the doors' opening (two hours before the
    # start by default) to the end plus ADMIT_CHECKIN_GRACE_HOURS (6).
    starts, ends = parse_time(event["starts_at"]), parse_time(event["ends_at"])
    assert datetime.fromisoformat(body["opens_at"]) == starts - timedelta(hours=2)
    assert datetime.fromisoformat(body["closes_at"]) == ends + timedelta(hours=6)
    assert abs(datetime.fromisoformat(body["synced_at"]) - datetime.now().astimezone()) < (
        timedelta(minutes=1)
    )


async def test_nobody_else_gets_the_list(
    client: httpx.AsyncClient, door: dict[str, Any], services: Services
) -> None:
    event_id = door["event"]["id"]
    for person in (door["attendee"], door["stranger"]):
        await _offline_list(client, person, event_id, status=403)
    # Door staff of another event of the same organizer.
    (elsewhere,) = await _people(services, "attendee", prefix="elsewhere")
    other = await create_event(client, door["organizer"], days=0.02, title="Other night")
    response = await client.post(
        f"{API}/events/{other['id']}/door-staff",
        json={"email": elsewhere.email},
        headers=door["organizer"].headers,
    )
    assert response.status_code == 201, response.text
    await _offline_list(client, elsewhere, other["id"])
    await _offline_list(client, elsewhere, event_id, status=403)
    await _offline_list(client, door["staff"], "0" * 32, status=404)
    # Nobody signed in: sent to log in, like the other door pages.
    response = await client.get(_path(event_id))
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.settings(require_email_verification=False)
async def test_the_scanner_session_gets_the_list(
    client: httpx.AsyncClient, door: dict[str, Any]
) -> None:
    """The scanner page fetches it with its session cookie, no bearer token."""
    gate = await sign_up(client, "gatekeeper@example.com")
    event_id = door["event"]["id"]
    response = await client.post(
        f"{API}/events/{event_id}/door-staff",
        json={"email": gate.email},
        headers=door["organizer"].headers,
    )
    assert response.status_code == 201, response.text
    response = await post_form(client, "/login", {"email": gate.email, "password": GOOD_PASSWORD})
    assert response.status_code == 303, response.text
    scanner = await client.get(f"/door/{event_id}")
    assert scanner.status_code == 200
    assert f'data-offline-url="{_path(event_id)}"' in scanner.text
    assert scanner.headers["cache-control"] == "private, no-store"
    response = await client.get(_path(event_id))
    assert response.status_code == 200
    assert len(response.json()["tickets"]) == 2


async def test_the_list_follows_check_ins_and_cancellations(
    client: httpx.AsyncClient, door: dict[str, Any]
) -> None:
    staff, attendee, event_id = door["staff"], door["attendee"], door["event"]["id"]
    first_id, second_id = door["registration"]["tickets"]
    code = (await _ticket(client, attendee, first_id))["code"]
    answer = (await _validate(client, staff, code, event_id, gate="North")).json()
    assert answer["result"] == "admitted"
    used_at = parse_time((await _ticket(client, attendee, first_id))["checked_in_at"])

    rows = _rows(await _offline_list(client, staff, event_id))
    assert rows[first_id]["status"] == "used"
    assert rows[first_id]["checked_in_gate"] == "North"
    # To the second (the door shows minutes).
    assert datetime.fromisoformat(rows[first_id]["checked_in_at"]) == used_at.replace(microsecond=0)
    assert rows[second_id]["status"] == "valid"
    assert "checked_in_at" not in rows[second_id]

    # A ticket of it was admitted, so only the organizer may cancel it now (issue 10).
    response = await client.post(
        f"{API}/registrations/{door['registration']['id']}/cancel",
        headers=door["organizer"].headers,
    )
    assert response.status_code == 200, response.text
    later = await registered(client, door["stranger"], event_id, 1)

    rows = _rows(await _offline_list(client, staff, event_id))
    assert (rows[first_id]["status"], rows[second_id]["status"]) == ("used", "void")
    (new_id,) = later["tickets"]
    assert rows[new_id]["status"] == "valid"
    assert rows[new_id]["attendee_name"] == door["stranger"].name
    assert len(rows) == 3


async def test_the_list_carries_what_was_passed_on(
    client: httpx.AsyncClient, door: dict[str, Any]
) -> None:
    """New with transfers: a ticket passed on is listed under its new holder's name with
    its new code generation, so a phone that synced voids the codes it had before."""
    staff, attendee, event_id = door["staff"], door["attendee"], door["event"]["id"]
    first_id, second_id = door["registration"]["tickets"]
    response = await client.post(
        f"{API}/tickets/{first_id}/transfer",
        json={"name": "Tom Taker", "email": "tom@example.com"},
        headers=attendee.headers,
    )
    assert response.status_code == 200, response.text
    rows = _rows(await _offline_list(client, staff, event_id))
    assert (rows[first_id]["attendee_name"], rows[first_id]["code_generation"]) == (
        "Tom Taker",
        1,
    )
    assert rows[second_id]["code_generation"] == 0


async def test_the_list_keys_verify_the_codes_issued(
    client: httpx.AsyncClient, door: dict[str, Any]
) -> None:
    event_id = door["event"]["id"]
    body = await _offline_list(client, door["staff"], event_id)
    assert len(body["keys"]) == 1
    for ticket_id in door["registration"]["tickets"]:
        code = (await _ticket(client, door["attendee"], ticket_id))["code"]
        assert _verify(code, body["keys"]) == (ticket_id, event_id)
        assert ticket_id in _rows(body)
        # One character changed: the signature no longer holds.
        flipped = code[:-5] + ("B" if code[-5] == "A" else "A") + code[-4:]
        with pytest.raises(InvalidSignature):
            _verify(flipped, body["keys"])


OLD_KEY = Ed25519PrivateKey.generate()


@pytest.mark.settings(
    ticket_verify_keys=(base64.b64encode(public_bytes(OLD_KEY.public_key())).decode(),)
)
async def test_the_list_carries_the_keys_of_earlier_codes(
    client: httpx.AsyncClient, door: dict[str, Any]
) -> None:
    """After a key rotation, a PDF printed with the old key still checks offline."""
    event_id = door["event"]["id"]
    body = await _offline_list(client, door["staff"], event_id)
    assert len(body["keys"]) == 2
    ticket_id = door["registration"]["tickets"][0]
    old_code = CodeSigner(OLD_KEY).sign(ticket_id, event_id)
    assert _verify(old_code, body["keys"]) == (ticket_id, event_id)
    # The server agrees: the old key's code admits.
    answer = await _validate(client, door["staff"], old_code, event_id)
    assert answer.json()["result"] == "admitted"
