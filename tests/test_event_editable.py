"""One rule for "a cancelled or ended event cannot be changed" (`models.event_rules.editable`
and `Events.editable`): the event, its ticket types, questions and promo codes answer
alike, and the organizer's page offers no change for such an event."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest

from models.domain import EventStatus
from models.event_rules import editable
from tests.api_helpers import API, Person, create_event, error_of, sign_up
from tests.store_contract import make_event
from tests.test_organizer_pages import _create, _organizer
from web.services.container import Services
from web.settings import Settings

CHANGES: list[tuple[str, str, dict[str, Any]]] = [
    ("PATCH", "", {"title": "Another title"}),
    ("POST", "/ticket-types", {"name": "VIP", "price": 5000}),
    ("POST", "/questions", {"label": "Diet", "kind": "text"}),
    ("POST", "/promo-codes", {"code": "FRIENDS", "percent_off": 10}),
]


@pytest.mark.parametrize("status", list(EventStatus))
def test_only_a_draft_or_a_published_event_is_editable(status: EventStatus) -> None:
    """Failed before: the rule was written out in each service, with no predicate."""
    expected = status in (EventStatus.DRAFT, EventStatus.PUBLISHED)
    assert editable(replace(make_event(), status=status)) is expected


async def _close(services: Services, event_id: str, status: EventStatus) -> None:
    await services.store.set_event_status(
        event_id, frozenset({EventStatus.DRAFT, EventStatus.PUBLISHED}), status
    )


@pytest.mark.settings(require_email_verification=False)
@pytest.mark.parametrize("status", [EventStatus.CANCELLED, EventStatus.ENDED])
async def test_a_closed_event_refuses_every_change_with_one_answer(
    client: httpx.AsyncClient, services: Services, status: EventStatus
) -> None:
    """The event, a ticket type, a question and a promo code each answer the same 409
    (the services' four copies of the rule, now one), and a draft still accepts them."""
    organizer: Person = await sign_up(client, "org@example.com", "organizer", "Olga")
    open_event = await create_event(client, organizer, publish=False)
    event = await create_event(client, organizer)
    await _close(services, event["id"], status)
    for method, tail, body in CHANGES:
        path = f"{API}/events/{event['id']}{tail}"
        refused = await client.request(method, path, json=body, headers=organizer.headers)
        error = error_of(refused, 409, "invalid_state")
        assert error["message"] == f"A {status.value} event cannot be changed.", (path, error)
        path = f"{API}/events/{open_event['id']}{tail}"
        accepted = await client.request(method, path, json=body, headers=organizer.headers)
        assert accepted.status_code in (200, 201), (path, accepted.text)


@pytest.mark.parametrize("status", [EventStatus.CANCELLED, EventStatus.ENDED])
async def test_the_organizer_page_offers_no_change_to_a_closed_event(
    client: httpx.AsyncClient, settings: Settings, services: Services, status: EventStatus
) -> None:
    """The page's links follow the same predicate (`is editable`) as the services."""
    await _organizer(client, settings)
    event_id = await _create(client)
    offers = (
        f"/organizer/events/{event_id}/edit",
        f"/organizer/events/{event_id}/ticket-types/new",
        f"/organizer/events/{event_id}/questions/new",
        f"/organizer/events/{event_id}/promo-codes/new",
    )
    page = await client.get(f"/organizer/events/{event_id}")
    assert all(f'href="{link}"' in page.text for link in offers)
    await _close(services, event_id, status)
    page = await client.get(f"/organizer/events/{event_id}")
    assert page.status_code == 200
    assert not any(f'href="{link}"' in page.text for link in offers)
