"""Registration questions over the JSON API (API.md, "Questions" and the fine print on
`answers`): every error of the contract, on either store (`--adapters=aws`), answers in
the registration, the organizer's list and the CSV (one column per question, one row per
ticket), and a deleted question's answers kept in exports."""

from __future__ import annotations

import csv
import io
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
    sign_up,
    stats,
)

pytestmark = pytest.mark.settings(require_email_verification=False)


def _path(event_id: str, question_id: str = "") -> str:
    return f"{API}/events/{event_id}/questions" + (f"/{question_id}" if question_id else "")


async def ask(
    client: httpx.AsyncClient, organizer: Person, event_id: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(_path(event_id), json=body, headers=organizer.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def asking_event(
    client: httpx.AsyncClient, organizer: Person, **changes: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A free published event asking a required T-shirt size per ticket, a diet (text)
    once, and a required code of conduct box once."""
    event = await create_event(client, organizer, **changes)
    size = await ask(
        client,
        organizer,
        event["id"],
        label="T-shirt size",
        kind="choice",
        options=["S", "M", "L"],
        required=True,
        per="ticket",
    )
    diet = await ask(client, organizer, event["id"], label="Diet", kind="text")
    conduct = await ask(
        client, organizer, event["id"], label="I follow the code of conduct", kind="checkbox",
        required=True,
    )  # fmt: skip
    return event, size, diet, conduct


async def csv_rows(client: httpx.AsyncClient, organizer: Person, event_id: str) -> list[dict]:
    response = await client.get(
        f"/organizer/events/{event_id}/registrations.csv", headers=organizer.headers
    )
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_questions_are_added_listed_in_order_edited_moved_and_deleted(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    """Fails without the questions routes: an event answers `questions` in order."""
    event, size, diet, conduct = await asking_event(client, organizer)
    assert size == {
        "id": size["id"],
        "label": "T-shirt size",
        "kind": "choice",
        "options": ["S", "M", "L"],
        "required": True,
        "per": "ticket",
        "position": 0,
    }
    assert (diet["required"], diet["per"], diet["options"]) == (False, "registration", [])
    public = await get_event(client, event["id"])
    assert [q["label"] for q in public["questions"]] == [
        "T-shirt size",
        "Diet",
        "I follow the code of conduct",
    ]
    moved = await client.patch(
        _path(event["id"], conduct["id"]),
        json={"position": 0, "label": "Code of conduct"},
        headers=organizer.headers,
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["label"], moved.json()["position"]) == ("Code of conduct", 0)
    deleted = await client.delete(_path(event["id"], diet["id"]), headers=organizer.headers)
    assert deleted.status_code == 204
    public = await get_event(client, event["id"])
    assert [(q["label"], q["position"]) for q in public["questions"]] == [
        ("Code of conduct", 0),
        ("T-shirt size", 1),
    ]
    again = await client.delete(_path(event["id"], diet["id"]), headers=organizer.headers)
    error_of(again, 404, "not_found")


async def test_bad_question_fields_are_422_naming_each_field(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    event = await create_event(client, organizer)
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"kind": "text"}, {"label"}),
        ({"label": "x" * 201, "kind": "text"}, {"label"}),
        ({"label": "Size", "kind": "essay"}, {"kind"}),
        ({"label": "Size", "kind": "choice"}, {"options"}),
        ({"label": "Size", "kind": "choice", "options": ["S"]}, {"options"}),
        ({"label": "Size", "kind": "choice", "options": ["S", "s"]}, {"options"}),
        ({"label": "Size", "kind": "choice", "options": "S,M"}, {"options"}),
        ({"label": "Size", "kind": "choice", "options": ["S", ""]}, {"options"}),
        ({"label": "Size", "kind": "text", "options": ["S", "M"]}, {"options"}),
        ({"label": "Size", "kind": "text", "required": "yes"}, {"required"}),
        ({"label": "Size", "kind": "text", "per": "seat"}, {"per"}),
        ({"label": "Size", "kind": "text", "position": -1}, {"position"}),
        ({"label": "Size", "kind": "text", "colour": "red"}, {"colour"}),
        ({"label": "A\tB", "kind": "text"}, {"label"}),
    ]
    for body, fields in cases:
        response = await client.post(_path(event["id"]), json=body, headers=organizer.headers)
        assert set(field_errors(response)) == fields, body
    await ask(client, organizer, event["id"], label="Diet", kind="text")
    taken = await client.post(
        _path(event["id"]), json={"label": "DIET", "kind": "text"}, headers=organizer.headers
    )
    assert set(field_errors(taken)) == {"label"}
    assert (await get_event(client, event["id"]))["questions"][0]["label"] == "Diet"


async def test_only_its_organizer_changes_questions(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event, size, _diet, _conduct = await asking_event(client, organizer)
    rival = await sign_up(client, "rival@example.com", "organizer")
    body = {"label": "Mine", "kind": "text"}
    error_of(await client.post(_path(event["id"]), json=body, headers=rival.headers), 404)
    error_of(await client.post(_path(event["id"]), json=body, headers=attendee.headers), 403)
    error_of(await client.post(_path(event["id"]), json=body), 401)
    patch = await client.patch(_path(event["id"], size["id"]), json=body, headers=rival.headers)
    error_of(patch, 404)
    error_of(await client.delete(_path(event["id"], size["id"]), headers=rival.headers), 404)
    error_of(
        await client.patch(_path(event["id"], "nope"), json=body, headers=organizer.headers), 404
    )


async def test_too_many_questions_is_409(client: httpx.AsyncClient, organizer: Person) -> None:
    event = await create_event(client, organizer)
    for n in range(50):
        await ask(client, organizer, event["id"], label=f"Q{n}", kind="text")
    response = await client.post(
        _path(event["id"]), json={"label": "One more", "kind": "text"}, headers=organizer.headers
    )
    error_of(response, 409, "too_many_questions")


async def test_answers_are_checked_before_anything_is_held(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    """Every wrong or missing answer at once, keyed as the contract says; no seat held."""
    event, size, diet, conduct = await asking_event(client, organizer)
    event_id, s, d, c = event["id"], size["id"], diet["id"], conduct["id"]
    items = [{"ticket_type_id": event["ticket_types"][0]["id"], "quantity": 2}]

    def seats(*sizes: object) -> list[dict[str, Any]]:
        return [{"answers": {s: size}} for size in sizes]

    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({}, {f"answers.{c}", f"attendees.0.answers.{s}", f"attendees.1.answers.{s}"}),
        (
            {"answers": {c: False, d: "x" * 1001}, "attendees": seats("XL", 3)},
            {f"answers.{c}", f"answers.{d}", f"attendees.0.answers.{s}",
             f"attendees.1.answers.{s}"},
        ),
        (
            {"answers": {c: "yes", d: 7}, "attendees": seats("M", "L")},
            {f"answers.{c}", f"answers.{d}"},
        ),
        (
            {
                "answers": {c: True, s: "M", "nope": "x"},
                "attendees": [{"answers": {s: "M", d: "Vegan"}}, {"answers": {s: "L"}}],
            },
            {f"answers.{s}", "answers.nope", f"attendees.0.answers.{d}"},
        ),
        ({"answers": [c]}, {"answers"}),
        (
            {"answers": {c: True}, "attendees": [{"answers": "M"}, {"answers": {s: "L"}}]},
            {"attendees.0.answers"},
        ),
        (
            {"answers": {c: True, d: "ok\u202eevil"}, "attendees": seats("S", "S")},
            {f"answers.{d}"},
        ),
    ]  # fmt: skip
    for extra, fields in cases:
        response = await client.post(
            f"{API}/registrations",
            json={"event_id": event_id, "items": items, **extra},
            headers=attendee.headers,
        )
        assert set(field_errors(response)) == fields, extra
    figures = await stats(client, organizer, event_id)
    assert (figures["seats_taken"], figures["seats_held"], figures["registrations"]) == (0, 0, 0)
    # The old way (a bare quantity) is asked the same questions.
    old = await register(client, attendee, event_id, 1, answers={c: True})
    assert set(field_errors(old)) == {f"attendees.0.answers.{s}"}


async def test_answers_land_in_the_registration_the_list_and_the_csv(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event, size, diet, conduct = await asking_event(client, organizer)
    event_id, s, d, c = event["id"], size["id"], diet["id"], conduct["id"]
    items = [{"ticket_type_id": event["ticket_types"][0]["id"], "quantity": 2}]
    registration = await registered(
        client,
        attendee,
        event_id,
        None,
        items=items,
        answers={c: True, d: "  =Vegan  "},
        attendees=[{"name": "Ana", "answers": {s: "M"}}, {"name": "Bo", "answers": {s: "L"}}],
    )
    assert registration["answers"] == {c: True, d: "=Vegan"}
    assert registration["attendees"] == [
        {"name": "Ana", "answers": {s: "M"}},
        {"name": "Bo", "answers": {s: "L"}},
    ]
    fetched = await client.get(
        f"{API}/registrations/{registration['id']}", headers=attendee.headers
    )
    assert fetched.json()["attendees"] == registration["attendees"]
    listed = await client.get(f"{API}/events/{event_id}/registrations", headers=organizer.headers)
    (item,) = listed.json()["items"]
    assert (item["answers"], item["attendees"]) == (
        registration["answers"],
        registration["attendees"],
    )
    rows = await csv_rows(client, organizer, event_id)
    assert [
        (r["Attendee name"], r["T-shirt size"], r["Diet"], r["I follow the code of conduct"])
        for r in rows
    ] == [("Ana", "M", "'=Vegan", "yes"), ("Bo", "L", "'=Vegan", "yes")]


async def test_a_deleted_questions_answers_stay_in_exports(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    """Deleting a question archives it: the CSV keeps its column while answers exist;
    a deleted question nobody answered has none."""
    event, size, diet, conduct = await asking_event(client, organizer)
    event_id = event["id"]
    unanswered = await ask(client, organizer, event_id, label="Never answered", kind="text")
    await registered(
        client,
        attendee,
        event_id,
        1,
        answers={conduct["id"]: True, diet["id"]: "Vegan"},
        attendees=[{"answers": {size["id"]: "S"}}],
    )
    for question in (diet, unanswered):
        response = await client.delete(_path(event_id, question["id"]), headers=organizer.headers)
        assert response.status_code == 204
    assert "Diet" not in [q["label"] for q in (await get_event(client, event_id))["questions"]]
    rows = await csv_rows(client, organizer, event_id)
    (row,) = rows
    assert row["Diet (deleted)"] == "Vegan"
    assert "Never answered (deleted)" not in row
    assert row["T-shirt size"] == "S"
    # Registering no longer asks it, and refuses an answer to it.
    response = await register(
        client,
        attendee,
        event_id,
        1,
        answers={conduct["id"]: True, diet["id"]: "Vegan"},
        attendees=[{"answers": {size["id"]: "S"}}],
    )
    assert set(field_errors(response)) == {f"answers.{diet['id']}"}
