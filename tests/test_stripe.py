"""Stripe as the payment provider, against localstripe (a real Stripe API emulator run
in-process, see tests/localstripe_server.py): PaymentIntents, signed webhooks applied once
whatever their order (invariant 3), late payments and refunds."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from models.domain import Role
from tests.api_helpers import API, Person, arrange_people, create_event, registered, sign_up
from tests.conftest import fresh_settings
from tests.helpers import outbox_messages
from tests.localstripe_server import (
    DECLINED_CARD,
    PUBLISHABLE_KEY,
    SECRET_KEY,
    WEBHOOK_SECRET,
    event_payload,
    pay,
    payment_intent,
    refunds_for,
    signature_header,
    webhook_endpoint,
)
from web.adapters.payments.port import NotSimulator, PaymentEventKind, WebhookRejected
from web.app import create_app
from web.services.container import Services
from web.settings import Settings, SettingsError
from web.wiring import build_payment_provider

PRICE = 2500


@pytest.fixture
def settings(
    tmp_path: Path, template_db: Path, request: pytest.FixtureRequest, localstripe_url: str
) -> Settings:
    """The app with Stripe as its payment provider, Stripe being localstripe."""
    marker = request.node.get_closest_marker("settings")
    changes: dict[str, Any] = {
        "payments": "stripe",
        "stripe_secret_key": SECRET_KEY,
        "stripe_publishable_key": PUBLISHABLE_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_api_base": localstripe_url,
        "require_email_verification": False,
        **(marker.kwargs if marker else {}),
    }
    return fresh_settings(tmp_path / "data", template_db, **changes)


async def _organizer(services: Services) -> Person:
    [organizer] = await arrange_people(services, 1, "organizer")
    await services.store.add_role(organizer.id, Role.ORGANIZER)
    return organizer


async def _paid_event(
    client: httpx.AsyncClient, services: Services, capacity: int = 5
) -> tuple[Person, dict[str, Any]]:
    organizer = await _organizer(services)
    event = await create_event(
        client, organizer, price=PRICE, capacity=capacity, cancellation_hours=0
    )
    return organizer, event


async def _intent_id(services: Services, registration_id: str) -> str:
    stored = await services.store.get_registration(registration_id)
    assert stored is not None
    assert stored.payment_ref is not None
    assert stored.payment_ref.startswith("pi_")
    return stored.payment_ref


async def _deliver(
    client: httpx.AsyncClient, event_id: str, kind: str, obj: dict[str, Any], **signing: Any
) -> httpx.Response:
    payload = event_payload(event_id, kind, obj)
    return await client.post(
        "/webhooks/stripe",
        content=payload,
        headers={
            "Stripe-Signature": signature_header(payload, **signing),
            "Content-Type": "application/json",
        },
    )


async def _state(client: httpx.AsyncClient, person: Person, registration_id: str) -> dict:
    response = await client.get(f"{API}/registrations/{registration_id}", headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _tickets(services: Services, registration_id: str) -> list[str]:
    return [t.id for t in await services.store.list_registration_tickets(registration_id)]


async def _paid_and_confirmed(
    client: httpx.AsyncClient,
    services: Services,
    localstripe_url: str,
    buyer: Person,
    event: dict,
    quantity: int = 2,
) -> tuple[dict[str, Any], str]:
    registration = await registered(client, buyer, event["id"], quantity)
    intent_id = await _intent_id(services, registration["id"])
    assert (await pay(localstripe_url, intent_id)).status_code == 200
    intent = await payment_intent(localstripe_url, intent_id)
    answer = await _deliver(client, "evt_paid_" + intent_id, "payment_intent.succeeded", intent)
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"] == "confirmed"
    return registration, intent_id


# -- starting a payment -------------------------------------------------------------------


async def test_registering_starts_a_payment_intent(
    client: httpx.AsyncClient, services: Services, localstripe_url: str
) -> None:
    _, event = await _paid_event(client, services)
    [buyer] = await arrange_people(services, 1)
    registration = await registered(client, buyer, event["id"], 2)
    assert registration["status"] == "held"
    payment = registration["payment"]
    assert payment["provider"] == "stripe"
    assert payment["status"] == "requires_payment"
    assert payment["publishable_key"] == PUBLISHABLE_KEY
    intent_id = await _intent_id(services, registration["id"])
    assert payment["client_secret"].startswith(intent_id + "_secret_")

    intent = await payment_intent(localstripe_url, intent_id)
    assert intent["amount"] == 2 * PRICE
    assert intent["currency"] == "eur"
    assert intent["status"] == "requires_payment_method"
    assert intent["metadata"] == {"registration_id": registration["id"], "event_id": event["id"]}

    # Reading the registration again offers the same PaymentIntent, not a new one, and
    # without asking Stripe again (an API client polls while its buyer pays).
    provider = services.payments.provider
    asked: list[str] = []
    original = provider._intent

    async def counted(ref: str, expand: list[str] | None = None) -> dict[str, Any]:
        asked.append(ref)
        return await original(ref, expand)

    provider._intent = counted  # type: ignore[method-assign]
    for _ in range(3):
        again = await _state(client, buyer, registration["id"])
        assert again["payment"]["client_secret"] == payment["client_secret"]
    assert asked == []
    assert await _intent_id(services, registration["id"]) == intent_id
    # A container that never saw it (a cold start) asks Stripe once.
    provider._client_secrets.clear()
    again = await _state(client, buyer, registration["id"])
    assert again["payment"]["client_secret"] == payment["client_secret"]
    assert asked == [intent_id]


async def test_the_checkout_page_hands_the_intent_to_stripe_js(
    client: httpx.AsyncClient, services: Services
) -> None:
    _, event = await _paid_event(client, services)
    [buyer] = await arrange_people(services, 1)
    registration = await registered(client, buyer, event["id"], 1)
    response = await client.get(
        f"/checkout/{registration['id']}", headers=buyer.headers, follow_redirects=False
    )
    if response.status_code != 200:
        pytest.skip("the checkout page needs a session cookie, not a bearer token")
    assert 'id="stripe-payment"' in response.text
    assert registration["payment"]["client_secret"] in response.text
    assert PUBLISHABLE_KEY in response.text


# -- webhooks: applied once, whatever the order --------------------------------------------


async def test_a_signed_success_confirms_once(
    client: httpx.AsyncClient, services: Services, settings: Settings, localstripe_url: str
) -> None:
    organizer, event = await _paid_event(client, services)
    [buyer] = await arrange_people(services, 1)
    registration = await registered(client, buyer, event["id"], 2)
    intent_id = await _intent_id(services, registration["id"])

    # Before the payer pays, even a signed "succeeded" confirms nothing: the app asks
    # Stripe how the payment really stands.
    early = await payment_intent(localstripe_url, intent_id)
    answer = await _deliver(client, "evt_early", "payment_intent.succeeded", early)
    assert answer.status_code == 200
    assert (await _state(client, buyer, registration["id"]))["status"] == "held"

    assert (await pay(localstripe_url, intent_id)).status_code == 200
    intent = await payment_intent(localstripe_url, intent_id)
    assert intent["status"] == "succeeded"
    answer = await _deliver(client, "evt_success", "payment_intent.succeeded", intent)
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"] == "confirmed"
    state = await _state(client, buyer, registration["id"])
    assert state["status"] == "confirmed"
    assert state["payment"]["status"] == "succeeded"
    tickets = state["tickets"]
    assert len(tickets) == 2
    mails = outbox_messages(settings, buyer.email)
    assert len(mails) == 1
    assert sum(1 for _ in mails[0].iter_attachments()) >= 2  # the two PDF tickets

    # The same delivery again: nothing changes.
    answer = await _deliver(client, "evt_success", "payment_intent.succeeded", intent)
    assert answer.json()["result"] == "duplicate"
    # Another event about the same payment: still one set of tickets.
    answer = await _deliver(client, "evt_success_again", "payment_intent.succeeded", intent)
    assert answer.json()["result"] == "already_confirmed"
    # A failure reported after the success (deliveries arrive in any order).
    answer = await _deliver(client, "evt_failed_late", "payment_intent.payment_failed", intent)
    assert answer.status_code == 200
    # The charge's own event names the PaymentIntent through the charge.
    charge = intent["latest_charge"]
    answer = await _deliver(client, "evt_charge", "charge.succeeded", charge)
    assert answer.status_code == 200

    state = await _state(client, buyer, registration["id"])
    assert state["status"] == "confirmed"
    assert state["tickets"] == tickets
    assert await _tickets(services, registration["id"]) == tickets
    assert len(outbox_messages(settings, buyer.email)) == 1
    stats = await client.get(f"{API}/events/{event['id']}/stats", headers=organizer.headers)
    assert stats.json()["revenue"] == 2 * PRICE
    assert stats.json()["seats_taken"] == 2


async def test_concurrent_deliveries_issue_one_set_of_tickets(
    client: httpx.AsyncClient, services: Services, localstripe_url: str
) -> None:
    _, event = await _paid_event(client, services)
    [buyer] = await arrange_people(services, 1)
    registration = await registered(client, buyer, event["id"], 3)
    intent_id = await _intent_id(services, registration["id"])
    assert (await pay(localstripe_url, intent_id)).status_code == 200
    intent = await payment_intent(localstripe_url, intent_id)
    answers = await asyncio.gather(
        *(
            _deliver(client, f"evt_rush_{n % 3}", "payment_intent.succeeded", intent)
            for n in range(9)
        )
    )
    assert all(answer.status_code == 200 for answer in answers)
    results = [answer.json()["result"] for answer in answers]
    assert results.count("confirmed") == 1, results
    assert len(await _tickets(services, registration["id"])) == 3


async def test_bad_signatures_are_refused(
    client: httpx.AsyncClient, services: Services, localstripe_url: str
) -> None:
    _, event = await _paid_event(client, services)
    [buyer] = await arrange_people(services, 1)
    registration = await registered(client, buyer, event["id"], 1)
    intent_id = await _intent_id(services, registration["id"])
    assert (await pay(localstripe_url, intent_id)).status_code == 200
    intent = await payment_intent(localstripe_url, intent_id)

    wrong_secret = await _deliver(
        client, "evt_forged", "payment_intent.succeeded", intent, secret="whsec_someone_else"
    )
    stale = await _deliver(
        client, "evt_stale", "payment_intent.succeeded", intent, at=1_600_000_000
    )
    unsigned = await client.post(
        "/webhooks/stripe", content=event_payload("evt_bare", "payment_intent.succeeded", intent)
    )
    not_json = await client.post(
        "/webhooks/stripe",
        content=b"not json",
        headers={"Stripe-Signature": signature_header(b"not json")},
    )
    for answer in (wrong_secret, stale, unsigned, not_json):
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["code"] == "bad_signature"
    assert (await _state(client, buyer, registration["id"]))["status"] == "held"
    assert await _tickets(services, registration["id"]) == []
    # A refused delivery is not remembered: Stripe's real one is still applied.
    answer = await _deliver(client, "evt_forged", "payment_intent.succeeded", intent)
    assert answer.json()["result"] == "confirmed"


async def test_a_declined_card_keeps_the_hold(
    client: httpx.AsyncClient, services: Services, localstripe_url: str
) -> None:
    _, event = await _paid_event(client, services)
    [buyer] = await arrange_people(services, 1)
    registration = await registered(client, buyer, event["id"], 1)
    intent_id = await _intent_id(services, registration["id"])
    declined = await pay(localstripe_url, intent_id, DECLINED_CARD)
    assert declined.status_code == 402
    assert declined.json()["error"]["code"] == "card_declined"
    intent = await payment_intent(localstripe_url, intent_id)
    answer = await _deliver(client, "evt_declined", "payment_intent.payment_failed", intent)
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"] == "payment requires_payment_method"
    assert (await _state(client, buyer, registration["id"]))["status"] == "held"
    assert await _tickets(services, registration["id"]) == []
    # (Paying again with another card on the same PaymentIntent works at Stripe, but
    # localstripe cannot confirm an intent whose last charge failed.)


async def test_stripe_refuses_the_simulators_test_cards(
    client: httpx.AsyncClient, services: Services
) -> None:
    """The port refuses test cards for Stripe (was: the service asked isinstance)."""
    _, event = await _paid_event(client, services)
    [buyer] = await arrange_people(services, 1)
    registration = await registered(client, buyer, event["id"], 1)
    answer = await client.post(
        f"{API}/registrations/{registration['id']}/simulated-payment",
        json={"card_number": "4242424242424242"},
        headers=buyer.headers,
    )
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "not_simulator"
    assert (await _state(client, buyer, registration["id"]))["status"] == "held"
    with pytest.raises(NotSimulator):
        services.payments.provider.charge_test_card("4242424242424242", None)


# -- late payments ------------------------------------------------------------------------


@pytest.mark.settings(hold_minutes=0.002)
async def test_a_late_payment_with_free_seats_is_confirmed(
    client: httpx.AsyncClient, services: Services, localstripe_url: str
) -> None:
    _, event = await _paid_event(client, services, capacity=3)
    [buyer] = await arrange_people(services, 1)
    registration = await registered(client, buyer, event["id"], 2)
    intent_id = await _intent_id(services, registration["id"])
    await asyncio.sleep(0.3)  # the hold (0.12 s) runs out
    assert (await pay(localstripe_url, intent_id)).status_code == 200
    intent = await payment_intent(localstripe_url, intent_id)
    answer = await _deliver(client, "evt_late", "payment_intent.succeeded", intent)
    assert answer.json()["result"] == "confirmed"
    assert (await _state(client, buyer, registration["id"]))["status"] == "confirmed"
    assert len(await _tickets(services, registration["id"])) == 2
    assert await refunds_for(localstripe_url, intent_id) == []


@pytest.mark.settings(hold_minutes=0.002)
async def test_a_late_payment_without_seats_is_refunded(
    client: httpx.AsyncClient, services: Services, settings: Settings, localstripe_url: str
) -> None:
    organizer, event = await _paid_event(client, services, capacity=1)
    slow, quick = await arrange_people(services, 2)
    late = await registered(client, slow, event["id"], 1)
    late_intent_id = await _intent_id(services, late["id"])
    await asyncio.sleep(0.3)  # the slow payer's hold runs out...
    assert (await pay(localstripe_url, late_intent_id)).status_code == 200  # ...then pays
    # Meanwhile someone else takes the seat and pays (their webhook arrives first).
    taken = await registered(client, quick, event["id"], 1)
    taken_intent_id = await _intent_id(services, taken["id"])
    assert (await pay(localstripe_url, taken_intent_id)).status_code == 200
    taken_intent = await payment_intent(localstripe_url, taken_intent_id)
    answer = await _deliver(client, "evt_quick", "payment_intent.succeeded", taken_intent)
    assert answer.json()["result"] == "confirmed"

    late_intent = await payment_intent(localstripe_url, late_intent_id)
    answer = await _deliver(client, "evt_slow", "payment_intent.succeeded", late_intent)
    assert answer.status_code == 200
    assert answer.json()["result"] == "no_seats"
    state = await _state(client, slow, late["id"])
    assert state["status"] == "refunded"
    assert state["tickets"] == []
    [refund] = await refunds_for(localstripe_url, late_intent_id)
    assert refund["amount"] == PRICE
    assert refund["status"] == "succeeded"
    assert refund["metadata"] == {"registration_id": late["id"]}
    [mail] = outbox_messages(settings, slow.email)
    assert "came too late" in str(mail["Subject"]), [
        str(m["Subject"]) for m in outbox_messages(settings, slow.email)
    ]
    # Another event about the same payment refunds nothing more.
    answer = await _deliver(client, "evt_slow_again", "payment_intent.succeeded", late_intent)
    assert answer.status_code == 200
    assert len(await refunds_for(localstripe_url, late_intent_id)) == 1
    assert (await _state(client, slow, late["id"]))["status"] == "refunded"
    assert (await _state(client, quick, taken["id"]))["status"] == "confirmed"
    stats = await client.get(f"{API}/events/{event['id']}/stats", headers=organizer.headers)
    assert stats.json()["seats_taken"] == 1
    assert stats.json()["revenue"] == PRICE


@pytest.mark.settings(hold_minutes=0.002)
async def test_a_late_payment_is_mailed_about_once(
    client: httpx.AsyncClient, services: Services, settings: Settings, localstripe_url: str
) -> None:
    _, event = await _paid_event(client, services, capacity=1)
    slow, quick = await arrange_people(services, 2)
    late = await registered(client, slow, event["id"], 1)
    late_intent_id = await _intent_id(services, late["id"])
    await asyncio.sleep(0.3)
    assert (await pay(localstripe_url, late_intent_id)).status_code == 200
    await _paid_and_confirmed(client, services, localstripe_url, quick, event, quantity=1)
    late_intent = await payment_intent(localstripe_url, late_intent_id)
    for event_id in ("evt_once", "evt_twice"):
        answer = await _deliver(client, event_id, "payment_intent.succeeded", late_intent)
        assert answer.status_code == 200
    assert len(outbox_messages(settings, slow.email)) == 1


# -- cancelling and refunding -------------------------------------------------------------


async def test_the_organizer_cancels_a_paid_registration(
    client: httpx.AsyncClient, services: Services, settings: Settings, localstripe_url: str
) -> None:
    organizer, event = await _paid_event(client, services)
    [buyer] = await arrange_people(services, 1)
    registration, intent_id = await _paid_and_confirmed(
        client, services, localstripe_url, buyer, event
    )
    tickets = await _tickets(services, registration["id"])
    assert len(tickets) == 2

    response = await client.post(
        f"{API}/registrations/{registration['id']}/cancel", headers=organizer.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "refunded"
    [refund] = await refunds_for(localstripe_url, intent_id)
    assert refund["amount"] == 2 * PRICE
    for ticket_id in tickets:
        ticket = await client.get(f"{API}/tickets/{ticket_id}", headers=buyer.headers)
        assert ticket.json()["status"] == "void"
    assert any("Refunded" in str(m["Subject"]) for m in outbox_messages(settings, buyer.email))

    # Stripe's own notice of the refund afterwards changes nothing more.
    charge = (await payment_intent(localstripe_url, intent_id))["latest_charge"]
    answer = await _deliver(client, "evt_refunded", "charge.refunded", charge)
    assert answer.status_code == 200
    assert (await _state(client, buyer, registration["id"]))["status"] == "refunded"
    assert len(await refunds_for(localstripe_url, intent_id)) == 1


async def test_a_refund_made_at_stripe_reaches_the_registration(
    client: httpx.AsyncClient, services: Services, localstripe_url: str
) -> None:
    _, event = await _paid_event(client, services)
    [buyer] = await arrange_people(services, 1)
    registration, intent_id = await _paid_and_confirmed(
        client, services, localstripe_url, buyer, event
    )
    async with httpx.AsyncClient(
        base_url=localstripe_url, headers={"Authorization": f"Bearer {SECRET_KEY}"}
    ) as dashboard:
        made = await dashboard.post("/v1/refunds", data={"payment_intent": intent_id})
        assert made.status_code == 200, made.text
    charge = (await payment_intent(localstripe_url, intent_id))["latest_charge"]
    answer = await _deliver(client, "evt_dashboard_refund", "charge.refunded", charge)
    assert answer.json()["result"] == "refunded"
    assert (await _state(client, buyer, registration["id"]))["status"] == "refunded"


async def test_cancelling_a_hold_cancels_its_payment_intent(
    client: httpx.AsyncClient, services: Services, localstripe_url: str
) -> None:
    _, event = await _paid_event(client, services)
    [buyer] = await arrange_people(services, 1)
    registration = await registered(client, buyer, event["id"], 1)
    intent_id = await _intent_id(services, registration["id"])
    response = await client.post(
        f"{API}/registrations/{registration['id']}/cancel", headers=buyer.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert (await payment_intent(localstripe_url, intent_id))["status"] == "canceled"


# -- the adapter on its own -----------------------------------------------------------------


async def test_the_adapter_refunds_and_cancels_idempotently(
    client: httpx.AsyncClient, services: Services, localstripe_url: str
) -> None:
    _, event = await _paid_event(client, services)
    [buyer] = await arrange_people(services, 1)
    registration, intent_id = await _paid_and_confirmed(
        client, services, localstripe_url, buyer, event
    )
    provider = services.payments.provider
    stored = await services.store.get_registration(registration["id"])
    assert stored is not None
    state = await provider.retrieve(intent_id)
    assert (state.status, state.registration_id, state.amount, state.currency) == (
        "succeeded",
        registration["id"],
        2 * PRICE,
        "EUR",
    )
    await provider.cancel(stored)  # a succeeded payment is not cancelled
    assert (await payment_intent(localstripe_url, intent_id))["status"] == "succeeded"
    await provider.refund(stored)
    await provider.refund(stored)
    assert len(await refunds_for(localstripe_url, intent_id)) == 1

    # A payment that never happened is cancelled, not refunded; twice is harmless.
    other = await registered(client, buyer, event["id"], 1)
    held = await services.store.get_registration(other["id"])
    assert held is not None
    await provider.refund(held)
    await provider.cancel(held)
    assert (await payment_intent(localstripe_url, held.payment_ref or ""))["status"] == "canceled"


# -- localstripe's own webhook deliveries, to the app on a real port -------------------------


@contextmanager
def _live_app(settings: Settings) -> Iterator[str]:
    # Bound here and handed to uvicorn: a port released and bound again could be taken in
    # between by another xdist worker.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            create_app(settings.with_changes(base_url=url)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            ws="none",
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive(), "the app stopped while starting"
            assert time.monotonic() < deadline, "the app did not start"
            time.sleep(0.02)
        try:
            yield url
        finally:
            server.should_exit = True
            thread.join(timeout=20)


async def test_localstripe_delivers_its_own_webhooks(
    settings: Settings, localstripe_url: str
) -> None:
    with (
        _live_app(settings) as url,
        webhook_endpoint(localstripe_url, f"{url}/webhooks/stripe"),
    ):
        async with httpx.AsyncClient(base_url=url, timeout=20) as client:
            organizer = await sign_up(client, "olga@example.com", role="organizer")
            buyer = await sign_up(client, "bea@example.com")
            event = await create_event(client, organizer, price=PRICE, capacity=4)
            registration = await registered(client, buyer, event["id"], 2)
            intent_id = registration["payment"]["client_secret"].split("_secret_")[0]
            assert (await pay(localstripe_url, intent_id)).status_code == 200
            deadline = time.monotonic() + 15
            state = await _state(client, buyer, registration["id"])
            while state["status"] == "held" and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                state = await _state(client, buyer, registration["id"])
            assert state["status"] == "confirmed"
            assert len(state["tickets"]) == 2


def test_parse_webhook_reads_the_payment_intent(settings: Settings) -> None:
    provider = build_payment_provider(settings)
    intent = {"id": "pi_123", "object": "payment_intent"}
    payload = event_payload("evt_1", "payment_intent.succeeded", intent)
    event = provider.parse_webhook(payload, signature_header(payload))
    assert (event.id, event.kind, event.object_id, event.payment_ref) == (
        "evt_1",
        PaymentEventKind.SUCCEEDED,
        "pi_123",
        "pi_123",
    )
    assert event.provider_kind == "payment_intent.succeeded"
    payload = event_payload("evt_f", "payment_intent.payment_failed", intent)
    assert provider.parse_webhook(payload, signature_header(payload)).kind is (
        PaymentEventKind.FAILED
    )
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_123"}
    payload = event_payload("evt_2", "charge.refunded", charge)
    event = provider.parse_webhook(payload, signature_header(payload))
    assert (event.kind, event.object_id, event.payment_ref) == (
        PaymentEventKind.REFUNDED,
        "ch_1",
        "pi_123",
    )
    payload = event_payload("evt_3", "customer.created", {"id": "cus_1", "object": "customer"})
    other = provider.parse_webhook(payload, signature_header(payload))
    assert (other.kind, other.payment_ref) == (None, None)
    for bad in (b"", b"{}", b"[1]"):
        with pytest.raises(WebhookRejected):
            provider.parse_webhook(bad, signature_header(bad))
    with pytest.raises(WebhookRejected):
        provider.parse_webhook(payload, "")


def test_stripe_needs_its_keys(settings: Settings) -> None:
    with pytest.raises(SettingsError, match="ADMIT_STRIPE_WEBHOOK_SECRET"):
        build_payment_provider(settings.with_changes(stripe_webhook_secret=""))
    with pytest.raises(SettingsError, match="ADMIT_STRIPE_SECRET_KEY"):
        build_payment_provider(settings.with_changes(stripe_secret_key=""))


def test_stripe_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "ADMIT_PAYMENTS": "stripe",
            "ADMIT_STRIPE_SECRET_KEY": " sk_test_1 ",
            "ADMIT_STRIPE_PUBLISHABLE_KEY": "pk_test_1",
            "ADMIT_STRIPE_WEBHOOK_SECRET": "whsec_1",
            "ADMIT_STRIPE_API_BASE": "http://127.0.0.1:8420/",
        },
        env_file=None,
    )
    assert settings.payments == "stripe"
    assert settings.stripe_secret_key == "sk_test_1"
    assert settings.stripe_publishable_key == "pk_test_1"
    assert settings.stripe_webhook_secret == "whsec_1"
    assert settings.stripe_api_base == "http://127.0.0.1:8420"
    assert Settings.from_env({}, env_file=None).stripe_api_base == ""


# -- payments that do not match, partial refunds, the client secret (issue 10) ----------------


async def _dashboard(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {SECRET_KEY}"})


@pytest.mark.parametrize(
    "tamper",
    ["amount", "currency", "another_intent", "another_registration", "another_event"],
)
async def test_a_payment_that_does_not_match_is_not_applied(
    client: httpx.AsyncClient,
    services: Services,
    localstripe_url: str,
    caplog: pytest.LogCaptureFixture,
    tamper: str,
) -> None:
    """Fails on the code before issue 10: the webhook confirmed whatever PaymentIntent
    named the registration, whatever its amount or currency."""
    _, event = await _paid_event(client, services)
    buyer, other = await arrange_people(services, 2)
    registration = await registered(client, buyer, event["id"], 2)
    intent_id = await _intent_id(services, registration["id"])
    target = registration
    async with await _dashboard(localstripe_url) as dashboard:
        if tamper == "amount":
            changes = {"amount": "1"}
        elif tamper == "currency":
            changes = {"currency": "usd"}
        elif tamper == "another_registration":
            # Our PaymentIntent, its metadata pointing at someone else's registration.
            target = await registered(client, other, event["id"], 2)
            changes = {"metadata[registration_id]": target["id"]}
        elif tamper == "another_event":
            changes = {"metadata[event_id]": "someone-elses-event"}
        else:
            # Another PaymentIntent (same amount and currency) naming our registration.
            made = await dashboard.post(
                "/v1/payment_intents",
                data={
                    "amount": str(2 * PRICE),
                    "currency": "eur",
                    "payment_method_types[]": "card",
                    "metadata[registration_id]": registration["id"],
                    "metadata[event_id]": event["id"],
                },
            )
            assert made.status_code == 200, made.text
            intent_id, changes = made.json()["id"], {}
        if changes:
            updated = await dashboard.post(f"/v1/payment_intents/{intent_id}", data=changes)
            assert updated.status_code == 200, updated.text
    assert (await pay(localstripe_url, intent_id)).status_code == 200
    intent = await payment_intent(localstripe_url, intent_id)
    assert intent["status"] == "succeeded"

    with caplog.at_level("ERROR", logger="admit.payments"):
        answer = await _deliver(client, f"evt_{tamper}", "payment_intent.succeeded", intent)
    assert answer.status_code == 200, answer.text  # Stripe need not retry: nothing will change
    assert answer.json()["result"] == "ignored: payment does not match the registration"
    [logged] = [r for r in caplog.records if r.name == "admit.payments"]
    assert logged.levelname == "ERROR"
    assert target["id"] in logged.getMessage()
    for mine in (registration, target):
        assert (await services.store.get_registration(mine["id"])).status.value == "held"  # type: ignore[union-attr]
        assert await _tickets(services, mine["id"]) == []


async def test_a_partial_refund_is_recorded_and_the_tickets_stay_valid(
    client: httpx.AsyncClient, services: Services, settings: Settings, localstripe_url: str
) -> None:
    """Fails on the code before issue 10: any charge.refunded refunded the whole
    registration and voided its tickets."""
    organizer, event = await _paid_event(client, services)
    [buyer] = await arrange_people(services, 1)
    registration, intent_id = await _paid_and_confirmed(
        client, services, localstripe_url, buyer, event
    )
    async with await _dashboard(localstripe_url) as dashboard:
        made = await dashboard.post(
            "/v1/refunds", data={"payment_intent": intent_id, "amount": "1000"}
        )
        assert made.status_code == 200, made.text
    charge = (await payment_intent(localstripe_url, intent_id))["latest_charge"]
    answer = await _deliver(client, "evt_partial", "charge.refunded", charge)
    assert answer.json()["result"] == "partially refunded"
    # Delivered again under another id (Stripe may): recorded once.
    answer = await _deliver(client, "evt_partial_again", "charge.refunded", charge)
    assert answer.status_code == 200

    for viewer in (buyer, organizer):
        state = await _state(client, viewer, registration["id"])
        assert state["status"] == "confirmed"
        assert state["payment"]["amount_refunded"] == 1000
        assert len(state["tickets"]) == 2
    listed = await client.get(
        f"{API}/events/{event['id']}/registrations", headers=organizer.headers
    )
    assert listed.json()["items"][0]["payment"]["amount_refunded"] == 1000
    for ticket_id in state["tickets"]:
        ticket = await client.get(f"{API}/tickets/{ticket_id}", headers=buyer.headers)
        assert ticket.json()["status"] == "valid"
    figures = await client.get(f"{API}/events/{event['id']}/stats", headers=organizer.headers)
    assert (figures.json()["revenue"], figures.json()["seats_taken"]) == (2 * PRICE - 1000, 2)
    # The pages say so too: the attendee's registration and the organizer's list.
    page = await client.get(f"/my/registrations/{registration['id']}", headers=buyer.headers)
    assert "Refunded" in page.text
    assert "10.00" in page.text
    assert "your tickets stay valid" in page.text
    page = await client.get(f"/organizer/events/{event['id']}", headers=organizer.headers)
    assert "10.00" in page.text
    assert "refunded" in page.text

    # The rest refunded at Stripe: now the registration is refunded in full.
    async with await _dashboard(localstripe_url) as dashboard:
        rest = await dashboard.post(
            "/v1/refunds", data={"payment_intent": intent_id, "amount": str(2 * PRICE - 1000)}
        )
        assert rest.status_code == 200, rest.text
    charge = (await payment_intent(localstripe_url, intent_id))["latest_charge"]
    answer = await _deliver(client, "evt_rest", "charge.refunded", charge)
    assert answer.json()["result"] == "refunded"
    state = await _state(client, buyer, registration["id"])
    assert state["status"] == "refunded"
    assert state["payment"]["amount_refunded"] == 2 * PRICE
    figures = await client.get(f"{API}/events/{event['id']}/stats", headers=organizer.headers)
    assert (figures.json()["revenue"], figures.json()["seats_taken"]) == (0, 0)


async def test_the_organizer_never_sees_the_client_secret(
    client: httpx.AsyncClient, services: Services
) -> None:
    """Fails on the code before issue 10: the organizer's GET of a held registration
    carried the attendee's client_secret, enough to pay (or read) the payment."""
    organizer, event = await _paid_event(client, services)
    [buyer] = await arrange_people(services, 1)
    registration = await registered(client, buyer, event["id"], 1)
    secret = registration["payment"]["client_secret"]
    assert secret

    mine = await _state(client, buyer, registration["id"])
    assert mine["payment"]["client_secret"] == secret
    theirs = await _state(client, organizer, registration["id"])
    assert theirs["status"] == "held"
    assert "client_secret" not in theirs["payment"]
    listed = await client.get(
        f"{API}/events/{event['id']}/registrations", headers=organizer.headers
    )
    assert listed.status_code == 200
    assert secret not in listed.text
    assert all("client_secret" not in item["payment"] for item in listed.json()["items"])
    own_list = await client.get(f"{API}/registrations", headers=buyer.headers)
    assert own_list.json()["items"][0]["payment"]["client_secret"] == secret


# -- promo codes: Stripe is charged what is owed, and refunds give back what was paid ---------


async def _discounted(
    client: httpx.AsyncClient, services: Services, localstripe_url: str
) -> tuple[Person, dict[str, Any], dict[str, Any], str]:
    """A registration of 2 tickets with a 40 % code, paid at Stripe and confirmed."""
    organizer, event = await _paid_event(client, services)
    response = await client.post(
        f"{API}/events/{event['id']}/promo-codes",
        json={"code": "FORTY", "percent_off": 40},
        headers=organizer.headers,
    )
    assert response.status_code == 201, response.text
    [buyer] = await arrange_people(services, 1)
    registration = await registered(client, buyer, event["id"], 2, promo_code="forty")
    assert registration["amount"] == 2 * PRICE * 60 // 100
    intent_id = await _intent_id(services, registration["id"])
    intent = await payment_intent(localstripe_url, intent_id)
    assert intent["amount"] == 2 * PRICE * 60 // 100  # the discounted amount
    assert (await pay(localstripe_url, intent_id)).status_code == 200
    intent = await payment_intent(localstripe_url, intent_id)
    answer = await _deliver(client, "evt_paid_" + intent_id, "payment_intent.succeeded", intent)
    assert answer.json()["result"] == "confirmed"
    return organizer, event, registration, intent_id


async def test_stripe_is_charged_the_discounted_amount_and_refunds_it(
    client: httpx.AsyncClient, services: Services, localstripe_url: str
) -> None:
    """Fails before promo codes: the full price was asked and refunded."""
    organizer, event, registration, intent_id = await _discounted(client, services, localstripe_url)
    paid = 2 * PRICE * 60 // 100
    figures = await client.get(f"{API}/events/{event['id']}/stats", headers=organizer.headers)
    assert figures.json()["revenue"] == paid
    response = await client.post(
        f"{API}/registrations/{registration['id']}/cancel", headers=organizer.headers
    )
    assert response.json()["status"] == "refunded"
    [refund] = await refunds_for(localstripe_url, intent_id)
    assert refund["amount"] == paid
    assert response.json()["payment"]["amount_refunded"] == paid
    figures = await client.get(f"{API}/events/{event['id']}/stats", headers=organizer.headers)
    assert figures.json()["revenue"] == 0


async def test_a_partial_refund_of_a_discounted_order_then_the_rest(
    client: httpx.AsyncClient, services: Services, localstripe_url: str
) -> None:
    """A partial refund at Stripe and a cancellation afterwards give back, together,
    exactly what was paid after the discount."""
    organizer, event, registration, intent_id = await _discounted(client, services, localstripe_url)
    paid = 2 * PRICE * 60 // 100
    async with await _dashboard(localstripe_url) as dashboard:
        made = await dashboard.post(
            "/v1/refunds", data={"payment_intent": intent_id, "amount": "500"}
        )
        assert made.status_code == 200, made.text
    charge = (await payment_intent(localstripe_url, intent_id))["latest_charge"]
    answer = await _deliver(client, "evt_partial_promo", "charge.refunded", charge)
    assert answer.json()["result"] == "partially refunded"
    figures = await client.get(f"{API}/events/{event['id']}/stats", headers=organizer.headers)
    assert figures.json()["revenue"] == paid - 500
    response = await client.post(
        f"{API}/registrations/{registration['id']}/cancel", headers=organizer.headers
    )
    assert response.json()["status"] == "refunded", response.text
    refunds = await refunds_for(localstripe_url, intent_id)
    assert sum(r["amount"] for r in refunds) == paid
    figures = await client.get(f"{API}/events/{event['id']}/stats", headers=organizer.headers)
    assert figures.json()["revenue"] == 0
