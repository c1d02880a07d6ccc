"""Payments through the simulator: Stripe's test cards, a payment applied exactly once
(invariant 3), late payments, refunds and a rush of paid checkouts."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from models.domain import RegistrationStatus, Role, utcnow
from tests.api_helpers import API, Person, arrange_people, create_event, registered
from tests.helpers import outbox_messages
from web.services.container import Services
from web.settings import Settings

GOOD = "4242 4242 4242 4242"


async def _people(services: Services, count: int, prefix: str) -> list[Person]:
    return await arrange_people(services, count, prefix=prefix)


async def _organizer(services: Services) -> Person:
    [organizer] = await _people(services, 1, "organizer")
    await services.store.add_role(organizer.id, Role.ORGANIZER)
    return organizer


async def _pay(
    client: httpx.AsyncClient, person: Person, registration_id: str, card: str, **extra: str
) -> httpx.Response:
    return await client.post(
        f"{API}/registrations/{registration_id}/simulated-payment",
        json={"card_number": card, **extra},
        headers=person.headers,
    )


@pytest.fixture
async def paid(client: httpx.AsyncClient, services: Services) -> dict[str, Any]:
    organizer = await _organizer(services)
    [buyer] = await _people(services, 1, "buyer")
    event = await create_event(client, organizer, price=2500, capacity=5, cancellation_hours=0)
    registration = await registered(client, buyer, event["id"], 2)
    return {"organizer": organizer, "buyer": buyer, "event": event, "registration": registration}


async def test_held_registration_offers_the_simulator(paid: dict[str, Any]) -> None:
    registration = paid["registration"]
    assert registration["status"] == "held"
    assert registration["payment"] == {
        "provider": "simulator",
        "status": "requires_payment",
        "amount_refunded": 0,
    }
    assert registration["tickets"] == []


async def test_a_good_card_confirms_once(
    client: httpx.AsyncClient, paid: dict[str, Any], settings: Settings, services: Services
) -> None:
    buyer, registration_id = paid["buyer"], paid["registration"]["id"]
    response = await _pay(client, buyer, registration_id, GOOD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["payment"]["status"] == "succeeded"
    assert len(body["tickets"]) == 2
    again = await _pay(client, buyer, registration_id, GOOD)
    assert again.status_code == 200
    assert again.json()["tickets"] == body["tickets"]
    # A duplicate report through the service (as a redelivered webhook would) changes nothing.
    await services.payments.apply_success(registration_id)
    assert len(await services.store.list_registration_tickets(registration_id)) == 2
    stats = await client.get(
        f"{API}/events/{paid['event']['id']}/stats", headers=paid["organizer"].headers
    )
    assert stats.json()["revenue"] == 5000
    assert stats.json()["seats_held"] == 0
    [mail] = [m for m in outbox_messages(settings, buyer.email) if "going" in m["Subject"]]
    kinds = sorted(part.get_content_type() for part in mail.iter_attachments())
    assert kinds == ["application/pdf", "application/pdf", "text/calendar"]


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ("4000000000000002", "card_declined"),
        ("4000 0000 0000 9995", "insufficient_funds"),
        ("4000-0000-0000-0069", "expired_card"),
        ("4000002500003155", "authentication_required"),
    ],
)
async def test_declined_cards_keep_the_hold(
    client: httpx.AsyncClient, paid: dict[str, Any], card: str, code: str
) -> None:
    registration_id = paid["registration"]["id"]
    response = await _pay(client, paid["buyer"], registration_id, card)
    assert response.status_code == 402
    assert response.json()["error"]["code"] == code
    state = await client.get(
        f"{API}/registrations/{registration_id}", headers=paid["buyer"].headers
    )
    assert state.json()["status"] == "held"
    assert (await _pay(client, paid["buyer"], registration_id, GOOD)).status_code == 200


async def test_three_d_secure_step(client: httpx.AsyncClient, paid: dict[str, Any]) -> None:
    registration_id = paid["registration"]["id"]
    failed = await _pay(
        client, paid["buyer"], registration_id, "4000002500003155", authenticate="fail"
    )
    assert failed.json()["error"]["code"] == "authentication_failed"
    approved = await _pay(
        client, paid["buyer"], registration_id, "4000002500003155", authenticate="approve"
    )
    assert approved.json()["status"] == "confirmed"


async def test_other_numbers_get_a_hint(client: httpx.AsyncClient, paid: dict[str, Any]) -> None:
    response = await _pay(client, paid["buyer"], paid["registration"]["id"], "5555555555554444")
    assert response.status_code == 422
    assert "test card" in response.json()["error"]["fields"]["card_number"]
    bad = await _pay(client, paid["buyer"], paid["registration"]["id"], GOOD, authenticate="x")
    assert bad.status_code == 422


async def test_only_the_buyer_pays(
    client: httpx.AsyncClient, paid: dict[str, Any], services: Services
) -> None:
    [other] = await _people(services, 1, "other")
    response = await _pay(client, other, paid["registration"]["id"], GOOD)
    assert response.status_code == 404


@pytest.mark.settings(hold_minutes=0.001)
async def test_after_the_hold_ran_out_the_simulator_refuses(
    client: httpx.AsyncClient, paid: dict[str, Any]
) -> None:
    await asyncio.sleep(0.1)
    response = await _pay(client, paid["buyer"], paid["registration"]["id"], GOOD)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "hold_expired"


# Holds of 1.2 s: long enough for the quick buyers to pay within theirs on any store
# (moto answers in milliseconds, not microseconds), short enough to wait out.
@pytest.mark.settings(hold_minutes=0.02)
async def test_late_payment_gets_free_seats_or_a_refund(
    client: httpx.AsyncClient, paid: dict[str, Any], services: Services, settings: Settings
) -> None:
    """Stripe may report a success after the hold ran out (the payer was slow)."""
    await asyncio.sleep(1.3)
    # Seats are still free: the late payment is honoured.
    applied = await services.payments.apply_success(paid["registration"]["id"])
    assert applied.outcome.value == "confirmed"
    assert len(await services.store.list_registration_tickets(paid["registration"]["id"])) == 2

    # Now someone's hold runs out, the seats are sold to others, and its payment arrives.
    [slow, fast] = await _people(services, 2, "late")
    late = await registered(client, slow, paid["event"]["id"], 3)
    await asyncio.sleep(1.3)
    for _ in range(3):  # three free single seats, bought and paid at once
        quick = await registered(client, fast, paid["event"]["id"], 1)
        assert (await _pay(client, fast, quick["id"], GOOD)).status_code == 200
    applied = await services.payments.apply_success(late["id"])
    assert applied.outcome.value == "no_seats"
    assert applied.registration.status is RegistrationStatus.REFUNDED
    assert await services.store.list_registration_tickets(late["id"]) == []
    [mail] = [m for m in outbox_messages(settings, slow.email) if "too late" in m["Subject"]]
    assert "refunded" in mail.get_body(("plain",)).get_content()
    # Reported again: still refunded once, still no tickets.
    again = await services.payments.apply_success(late["id"])
    assert again.outcome.value == "not_payable"
    event = await services.store.get_event(paid["event"]["id"])
    assert event is not None
    assert (event.seats_confirmed, event.seats_held) == (5, 0)


async def test_attendee_cancels_paid_seats_for_a_refund(
    client: httpx.AsyncClient, paid: dict[str, Any], settings: Settings
) -> None:
    buyer, registration_id = paid["buyer"], paid["registration"]["id"]
    await _pay(client, buyer, registration_id, GOOD)
    response = await client.post(
        f"{API}/registrations/{registration_id}/cancel", headers=buyer.headers
    )
    assert response.status_code == 200
    assert response.json()["status"] == "refunded"
    assert response.json()["payment"]["status"] == "refunded"
    assert any("Refunded" in m["Subject"] for m in outbox_messages(settings, buyer.email))
    stats = await client.get(
        f"{API}/events/{paid['event']['id']}/stats", headers=paid["organizer"].headers
    )
    assert (stats.json()["revenue"], stats.json()["seats_left"]) == (0, 5)


async def test_attendees_cannot_cancel_after_the_deadline(
    client: httpx.AsyncClient, services: Services
) -> None:
    organizer = await _organizer(services)
    [buyer] = await _people(services, 1, "buyer")
    # Starts in 12 hours; the default window closes 24 hours before the start.
    event = await create_event(client, organizer, days=0.5, price=1000)
    registration = await registered(client, buyer, event["id"], 1)
    await _pay(client, buyer, registration["id"], GOOD)
    response = await client.post(
        f"{API}/registrations/{registration['id']}/cancel", headers=buyer.headers
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "cancellation_closed"
    assert "time to cancel ended" in response.json()["error"]["message"]
    by_organizer = await client.post(
        f"{API}/registrations/{registration['id']}/cancel", headers=organizer.headers
    )
    assert by_organizer.json()["status"] == "refunded"


async def test_cancelling_the_event_refunds_everyone(
    client: httpx.AsyncClient, paid: dict[str, Any], services: Services
) -> None:
    await _pay(client, paid["buyer"], paid["registration"]["id"], GOOD)
    [holder] = await _people(services, 1, "holder")
    held = await registered(client, holder, paid["event"]["id"], 1)
    response = await client.post(
        f"{API}/events/{paid['event']['id']}/cancel", headers=paid["organizer"].headers
    )
    assert response.status_code == 200
    paid_after = await services.store.get_registration(paid["registration"]["id"])
    held_after = await services.store.get_registration(held["id"])
    assert paid_after is not None
    assert held_after is not None
    assert paid_after.status is RegistrationStatus.REFUNDED
    assert held_after.status is RegistrationStatus.CANCELLED
    tickets = await services.store.list_registration_tickets(paid["registration"]["id"])
    assert {t.status.value for t in tickets} == {"void"}


async def test_a_rush_of_paid_checkouts_confirms_exactly_the_capacity(
    client: httpx.AsyncClient, services: Services
) -> None:
    """100 buyers register and pay at once for 30 seats: 30 confirmed, nobody charged
    without tickets."""
    organizer = await _organizer(services)
    buyers = await _people(services, 100, "rush")
    event = await create_event(client, organizer, price=1500, capacity=30)

    async def checkout(buyer: Person) -> tuple[int, int | None, dict[str, Any] | None]:
        held = await client.post(
            f"{API}/registrations",
            json={"event_id": event["id"], "quantity": 1},
            headers=buyer.headers,
        )
        if held.status_code != 201:
            return held.status_code, None, None
        paid = await _pay(client, buyer, held.json()["id"], GOOD)
        return held.status_code, paid.status_code, paid.json()

    results = await asyncio.gather(*(checkout(buyer) for buyer in buyers))
    assert all(status < 500 for status, _, _ in results)
    assert all(paid is None or paid < 500 for _, paid, _ in results)
    charged = [body for _, paid, body in results if paid == 200]
    assert len(charged) == 30
    assert all(body is not None and len(body["tickets"]) == 1 for body in charged)
    assert sum(1 for status, _, _ in results if status == 409) == 70
    figures = await services.store.get_event(event["id"])
    assert figures is not None
    assert (figures.seats_confirmed, figures.seats_held, figures.revenue) == (30, 0, 45000)
    assert figures.checked_in == 0
    assert utcnow() < figures.starts_at


async def test_a_provider_outage_is_a_503_and_takes_no_money(
    client: httpx.AsyncClient,
    paid: dict[str, Any],
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from web.adapters.payments.port import ProviderUnavailable

    def down(*args: object, **kwargs: object) -> None:
        raise ProviderUnavailable("connection refused")

    # A double only to force the fault: the simulator never fails by itself.
    monkeypatch.setattr(services.payments.provider, "charge_test_card", down)
    response = await _pay(client, paid["buyer"], paid["registration"]["id"], GOOD)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "payment_provider_unavailable"
    assert response.headers["retry-after"] == "5"
    state = await client.get(
        f"{API}/registrations/{paid['registration']['id']}", headers=paid["buyer"].headers
    )
    assert state.json()["status"] == "held"


class _CountingStore:
    """The real store, with a count of the calls made through it."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        if not callable(attribute):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            return attribute(*args, **kwargs)

        return counted


async def test_a_payment_reads_its_rows_once_each(
    client: httpx.AsyncClient, paid: dict[str, Any], services: Services
) -> None:
    """Issue 12: a simulated payment read the event three times and the registration three."""
    buyer = await services.store.get_user(paid["buyer"].id)
    assert buyer is not None
    counting = _CountingStore(services.payments.store)
    services.payments.store = counting  # type: ignore[assignment]
    try:
        applied = await services.payments.pay_simulated(
            buyer, paid["registration"]["id"], GOOD.replace(" ", ""), None
        )
    finally:
        services.payments.store = counting._store
    assert applied.registration.status is RegistrationStatus.CONFIRMED
    assert counting.calls.get("get_event", 0) == 0
    # Once to check it, once after the confirming transaction for the answer.
    assert counting.calls["get_registration"] == 2
    assert counting.calls["confirm_payment"] == 1
