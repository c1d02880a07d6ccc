"""Questions on the pages (issue 13): the organizer adds, edits, reorders and deletes
them (forms keep what was typed); the registration form asks them once and for each seat
(following the quantities, through htmx), keeps what was typed with each error next to
its field; the organizer sees the answers."""

from __future__ import annotations

import re

import httpx

from models.questions import asked
from tests.helpers import GOOD_PASSWORD, post_form, sign_up_verified
from tests.test_organizer_pages import _create, _organizer
from web.services.container import Services
from web.settings import Settings


async def _labels(services: Services, event_id: str) -> list[str]:
    return [q.label for q in asked(await services.store.list_questions(event_id))]


async def test_the_organizer_adds_edits_reorders_and_deletes_questions(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    """The question pages did not exist before."""
    await _organizer(client, settings)
    event_id = await _create(client)
    new = f"/organizer/events/{event_id}/questions/new"
    form = await client.get(new)
    for label in ("Question", "Kind of answer", "Options", "Asked"):
        assert f">{label}</label>" in form.text
    typed = {"label": "T-shirt size", "kind": "choice", "options": "S", "per": "ticket"}
    response = await post_form(client, new, typed)
    assert response.status_code == 422
    assert 'id="f-options-error"' in response.text
    assert 'value="T-shirt size"' in response.text  # what was typed stays
    assert '<option value="ticket" selected>' in response.text
    response = await post_form(client, new, {**typed, "options": "S\nM\nL", "required": "on"})
    assert response.status_code == 303, response.text
    response = await post_form(client, new, {"label": "Diet", "kind": "text"})
    assert response.status_code == 303, response.text
    assert await _labels(services, event_id) == ["T-shirt size", "Diet"]
    page = (await client.get(f"/organizer/events/{event_id}")).text
    assert 'id="questions"' in page
    assert "One of: S, M, L" in page
    (diet,) = [q for q in await services.store.list_questions(event_id) if q.label == "Diet"]
    edit = f"/organizer/events/{event_id}/questions/{diet.id}/edit"
    assert 'value="Diet"' in (await client.get(edit)).text
    response = await post_form(client, edit, {"label": "", "kind": "text"})
    assert response.status_code == 422
    assert 'id="f-label-error"' in response.text
    response = await post_form(client, edit, {"label": "Dietary needs", "kind": "text"})
    assert response.status_code == 303, response.text
    dashboard = f"/organizer/events/{event_id}"
    move = f"/organizer/events/{event_id}/questions/{diet.id}/move"
    response = await post_form(client, move, {"by": "-1"}, token_page=dashboard)
    assert response.status_code == 303, response.text
    assert await _labels(services, event_id) == ["Dietary needs", "T-shirt size"]
    delete = f"/organizer/events/{event_id}/questions/{diet.id}/delete"
    response = await post_form(client, delete, {}, token_page=dashboard)
    assert response.status_code == 303, response.text
    assert await _labels(services, event_id) == ["T-shirt size"]


async def test_the_form_asks_once_and_per_seat_and_keeps_what_was_typed(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await _organizer(client, settings)
    event_id = await _create(client, price="0")
    new = f"/organizer/events/{event_id}/questions/new"
    size = {"label": "T-shirt size", "kind": "choice", "options": "S\nM", "per": "ticket"}
    await post_form(client, new, {**size, "required": "on"})
    await post_form(client, new, {"label": "Diet", "kind": "text", "required": "on"})
    organizer = await services.store.get_user_by_email("org@example.com")
    assert organizer is not None
    await services.events.publish(organizer, event_id)
    by_label = {q.label: q for q in await services.store.list_questions(event_id)}
    size_id, diet_id = by_label["T-shirt size"].id, by_label["Diet"].id
    client.cookies.clear()
    await sign_up_verified(client, settings, "ana@example.com", name="Ana")
    page = (await client.get(f"/events/{event_id}")).text
    assert "Ticket 1 · General admission" in page
    assert f'name="answers.{diet_id}"' in page
    assert 'name="attendee_names"' not in page  # a name per seat instead
    seats = await client.get(
        f"/events/{event_id}/attendees",
        params={"quantity": "2", "attendees.0.name": "Ana Typed"},
        headers={"HX-Request": "true"},
    )
    assert "<html" not in seats.text
    assert "Ticket 2 · General admission" in seats.text
    assert 'value="Ana Typed"' in seats.text
    form = {
        "quantity": "2",
        f"answers.{diet_id}": "",
        "attendees.0.name": "Ana",
        f"attendees.0.answers.{size_id}": "M",
        "attendees.1.name": "Bo",
        f"attendees.1.answers.{size_id}": "",
    }
    response = await post_form(client, f"/events/{event_id}/register", form, f"/events/{event_id}")
    assert response.status_code == 422
    assert f'id="f-answers.{diet_id}-error"' in response.text
    assert f'id="f-attendees.1.answers.{size_id}-error"' in response.text
    assert f'id="f-attendees.0.answers.{size_id}-error"' not in response.text
    assert 'value="Bo"' in response.text
    assert '<option value="M" selected>' in response.text
    event = await services.store.get_event(event_id)
    assert event is not None
    assert event.seats_taken == 0  # nothing held
    form.update({f"answers.{diet_id}": "Vegan", f"attendees.1.answers.{size_id}": "S"})
    response = await post_form(client, f"/events/{event_id}/register", form, f"/events/{event_id}")
    assert response.status_code == 303, response.text
    match = re.search(r"/my/registrations/([0-9a-f]{32})", response.headers["location"])
    assert match
    registration = await services.store.get_registration(match.group(1))
    assert registration is not None
    assert registration.answers == {diet_id: "Vegan"}
    assert registration.seat_answers == ({size_id: "M"}, {size_id: "S"})
    assert registration.attendee_names == ("Ana", "Bo")
    client.cookies.clear()
    response = await post_form(
        client, "/login", {"email": "org@example.com", "password": GOOD_PASSWORD}
    )
    assert response.status_code == 303, response.text
    dashboard = (await client.get(f"/organizer/events/{event_id}")).text
    assert "Ticket 2: T-shirt size" in dashboard
    assert "Vegan" in dashboard
