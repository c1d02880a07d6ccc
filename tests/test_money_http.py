"""Money and seats over HTTP (issue 10): the limit on one account (`max_per_account`), the
attendee's cancellation window and used tickets, and the organizer who can still cancel.
Runs on the local adapters and, with `--adapters=aws`, on DynamoDB."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from models.domain import new_id, utcnow
from models.tickets import DEFAULT_GRACE, CheckinAttempt, CheckinResult
from tests.api_helpers import (
    API,
    Person,
    arrange_people,
    create_event,
    error_of,
    event_body,
    field_errors,
    get_event,
    register,
    registered,
    stats,
)
from tests.helpers import post_form, sign_up_verified
from tests.store_contract import make_event
from tests.test_organizer_pages import event_form
from web.services.container import Services
from web.settings import Settings

pytestmark = pytest.mark.settings(require_email_verification=False)


async def _cancel(
    client: httpx.AsyncClient, person: Person, registration_id: str
) -> httpx.Response:
    return await client.post(
        f"{API}/registrations/{registration_id}/cancel", headers=person.headers
    )


async def _admit(
    client: httpx.AsyncClient, attendee: Person, organizer: Person, ticket_id: str, event_id: str
) -> None:
    ticket = await client.get(f"{API}/tickets/{ticket_id}", headers=attendee.headers)
    assert ticket.status_code == 200, ticket.text
    scan = await client.post(
        f"{API}/tickets/validate",
        json={"code": ticket.json()["code"], "event_id": event_id},
        headers=organizer.headers,
    )
    assert scan.status_code == 200, scan.text
    assert scan.json()["result"] == CheckinResult.ADMITTED.value


# -- max_per_account ----------------------------------------------------------------------


async def test_max_per_account_is_an_event_field(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    event = await create_event(client, organizer, publish=False)
    assert event["max_per_account"] == 10
    for bad in (0, 1001, "ten", True, 2.5):
        response = await client.post(
            f"{API}/events", json=event_body(max_per_account=bad), headers=organizer.headers
        )
        assert "max_per_account" in field_errors(response), bad
    biggest = await create_event(client, organizer, publish=False, max_per_account=1000)
    assert biggest["max_per_account"] == 1000
    patched = await client.patch(
        f"{API}/events/{event['id']}", json={"max_per_account": 3}, headers=organizer.headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["max_per_account"] == 3
    assert (await get_event(client, event["id"], organizer))["max_per_account"] == 3
    refused = await client.patch(
        f"{API}/events/{event['id']}", json={"max_per_account": 0}, headers=organizer.headers
    )
    assert "max_per_account" in field_errors(refused)


async def test_one_account_is_limited_over_all_its_registrations(
    client: httpx.AsyncClient, organizer: Person, services: Services
) -> None:
    """Fails on the code before issue 10: one account could book every seat."""
    event = await create_event(client, organizer, capacity=50, max_per_account=3)
    ana, ben = await arrange_people(services, 2)
    first = await registered(client, ana, event["id"], 2)
    error = error_of(await register(client, ana, event["id"], 2), 409, "account_limit")
    assert error["seats_allowed"] == 1
    await registered(client, ana, event["id"], 1)
    error = error_of(await register(client, ana, event["id"], 1), 409, "account_limit")
    assert error["seats_allowed"] == 0
    await registered(client, ben, event["id"], 3)
    # A cancelled registration gives its seats back to the account's allowance.
    assert (await _cancel(client, ana, first["id"])).status_code == 200
    await registered(client, ana, event["id"], 2)
    assert (await stats(client, organizer, event["id"]))["seats_taken"] == 6


async def test_concurrent_holds_of_one_account_stop_at_the_limit(
    client: httpx.AsyncClient, organizer: Person, services: Services
) -> None:
    """Fails on the code before issue 10: 30 concurrent holds of one account all won."""
    event = await create_event(client, organizer, capacity=60, price=900, max_per_account=4)
    greedy, *others = await arrange_people(services, 11)
    answers = await asyncio.gather(
        *(register(client, greedy, event["id"], 1) for _ in range(30)),
        *(register(client, person, event["id"], 2) for person in others),
    )
    mine, theirs = answers[:30], answers[30:]
    assert sum(a.status_code == 201 for a in mine) == 4
    for refused in (a for a in mine if a.status_code != 201):
        assert error_of(refused, 409, "account_limit")["seats_allowed"] == 0
    assert all(a.status_code == 201 for a in theirs), [a.text for a in theirs]
    figures = await stats(client, organizer, event["id"])
    assert figures["seats_held"] == 4 + 2 * len(others)


@pytest.mark.settings(require_email_verification=False, hold_minutes=0.002)
async def test_holds_that_ran_out_give_the_allowance_back(
    client: httpx.AsyncClient, organizer: Person, services: Services
) -> None:
    event = await create_event(client, organizer, capacity=20, price=900, max_per_account=2)
    [ana] = await arrange_people(services, 1)
    await registered(client, ana, event["id"], 2)
    await asyncio.sleep(0.3)  # the hold (0.12 s) runs out
    again = await registered(client, ana, event["id"], 2)
    assert again["status"] == "held"
    error_of(await register(client, ana, event["id"], 1), 409, "account_limit")


# -- the attendee's cancellation ------------------------------------------------------------


async def test_an_admitted_attendee_cannot_cancel_but_the_organizer_can(
    client: httpx.AsyncClient, organizer: Person, services: Services
) -> None:
    """Fails on the code before issue 10: an attendee was admitted, then cancelled."""
    event = await create_event(client, organizer, days=0.01, cancellation_hours=0)
    [ana] = await arrange_people(services, 1)
    registration = await registered(client, ana, event["id"], 2)
    await _admit(client, ana, organizer, registration["tickets"][0], event["id"])

    error_of(await _cancel(client, ana, registration["id"]), 409, "ticket_used")
    kept = await client.get(f"{API}/registrations/{registration['id']}", headers=ana.headers)
    assert kept.json()["status"] == "confirmed"

    cancelled = await _cancel(client, organizer, registration["id"])
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    statuses = []
    for ticket_id in registration["tickets"]:
        ticket = await client.get(f"{API}/tickets/{ticket_id}", headers=ana.headers)
        statuses.append(ticket.json()["status"])
    assert statuses == ["used", "void"]


async def test_the_attendee_window_closes_when_the_doors_open(
    client: httpx.AsyncClient, organizer: Person, services: Services
) -> None:
    """Fails on the code before issue 10: with cancellation_hours 0 an attendee could
    cancel (for a refund) until the start, hours after the doors opened."""
    starts = (datetime.now(UTC) + timedelta(hours=5)).replace(microsecond=0)
    event = await create_event(
        client,
        organizer,
        starts_at=starts.isoformat(),
        ends_at=(starts + timedelta(hours=2)).isoformat(),
        doors_open_at=(datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0).isoformat(),
        cancellation_hours=0,
    )
    [ana] = await arrange_people(services, 1)
    registration = await registered(client, ana, event["id"], 1)
    error = error_of(await _cancel(client, ana, registration["id"]), 409, "cancellation_closed")
    assert "Ask the organizer" in error["message"]
    answer = await _cancel(client, organizer, registration["id"])
    assert answer.status_code == 200, answer.text


async def test_a_paid_cancellation_in_the_window_is_refunded(
    client: httpx.AsyncClient, organizer: Person, services: Services
) -> None:
    event = await create_event(client, organizer, price=1500, capacity=5, max_per_account=5)
    [ana] = await arrange_people(services, 1)
    registration = await registered(client, ana, event["id"], 2)
    paid = await client.post(
        f"{API}/registrations/{registration['id']}/simulated-payment",
        json={"card_number": "4242424242424242"},
        headers=ana.headers,
    )
    assert paid.json()["status"] == "confirmed", paid.text
    refunded = await _cancel(client, ana, registration["id"])
    assert refunded.status_code == 200, refunded.text
    body: dict[str, Any] = refunded.json()
    assert body["status"] == "refunded"
    assert body["payment"]["amount_refunded"] == 3000
    figures = await stats(client, organizer, event["id"])
    assert (figures["seats_taken"], figures["revenue"]) == (0, 0)


@pytest.mark.settings(require_email_verification=True)
async def test_the_page_says_why_the_attendee_cannot_cancel(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    event = make_event("org", days=0.01, price=0, cancellation_hours=0)  # doors are open
    await services.store.create_event(event)
    await sign_up_verified(client, settings, "ana@example.com")
    ana = await services.store.get_user_by_email("ana@example.com")
    assert ana is not None
    registration = await services.registrations.register(ana, event.id, 1, [])
    [ticket] = await services.store.list_registration_tickets(registration.id)
    attempt = CheckinAttempt(new_id(), event.id, ticket.id, "org", "A", "phone", utcnow())
    outcome = await services.store.check_in(attempt, event.id, DEFAULT_GRACE)
    assert outcome.result is CheckinResult.ADMITTED

    page = (await client.get(f"/my/registrations/{registration.id}")).text
    assert "Cancel this registration" not in page
    assert "already been used at the door" in page
    response = await post_form(
        client,
        f"/my/registrations/{registration.id}/cancel",
        {},
        token_page=f"/my/registrations/{registration.id}",
    )
    assert response.status_code == 303
    page = (await client.get(f"/my/registrations/{registration.id}")).text
    assert "already been used at the door" in page
    assert "Confirmed" in page


@pytest.mark.settings(require_email_verification=True)
async def test_the_organizer_form_sets_the_limit(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await sign_up_verified(client, settings, "olga@example.com", role="organizer")
    form = await client.get("/organizer/events/new")
    assert ">Tickets per account</label>" in form.text
    assert 'name="max_per_account"' in form.text
    refused = await post_form(client, "/organizer/events/new", event_form(max_per_account="0"))
    assert refused.status_code == 422
    assert "Enter a number from 1 to 1,000." in refused.text
    assert 'value="0"' in refused.text  # what was typed is kept
    created = await post_form(client, "/organizer/events/new", event_form(max_per_account="25"))
    assert created.status_code == 303, created.text
    event_id = created.headers["location"].rsplit("/", 1)[1]
    event = await services.store.get_event(event_id)
    assert event is not None
    assert event.max_per_account == 25
    edit = await client.get(f"/organizer/events/{event_id}/edit")
    assert 'value="25"' in edit.text
