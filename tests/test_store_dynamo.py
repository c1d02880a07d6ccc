"""The Store contract on DynamoDB (moto in server mode), plus the table layout check."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from aiobotocore.session import AioSession

from models.domain import PaymentOutcome, RegistrationStatus, new_id, utcnow
from models.dynamo import LAYOUT, DynamoStore, create_tables
from models.dynamo.tables import table_definition
from models.errors import Forbidden, NotFound, StoreNotReady, ValidationFailed
from models.tickets import DEFAULT_GRACE, CheckinAttempt, CheckinResult, TicketStatus, tickets_for
from tests.moto_server import moto, moto_server  # noqa: F401 (fixtures)
from tests.store_contract import StoreContract, make_event, make_registration

REGION = "eu-west-1"
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
NAMES = {logical: f"admit-test-{logical.replace('_', '-')}" for logical in LAYOUT}


def client(endpoint: str):
    return AioSession().create_client(
        "dynamodb", endpoint_url=endpoint, region_name=REGION, **CREDENTIALS
    )


@pytest.fixture
async def store(moto: str) -> AsyncIterator[DynamoStore]:  # noqa: F811
    async with client(moto) as dynamodb:
        await create_tables(dynamodb, NAMES)
    store = DynamoStore(NAMES, endpoint_url=moto, region=REGION, credentials=CREDENTIALS)
    await store.open()
    yield store
    await store.close()


class TestDynamoStore(StoreContract):
    """The contract, plus operations it does not cover yet (payments, the door, door staff,
    webhooks); these extras belong in tests/store_contract.py, to run on SQLite too."""

    async def test_payment_is_applied_once(self, store: DynamoStore) -> None:
        event = make_event(capacity=3, price=1000)
        await store.create_event(event)
        held = make_registration(event, 2, held_for=timedelta(minutes=5))
        await store.hold_seats(held, utcnow())
        tickets = tickets_for(held, utcnow())
        outcomes = await asyncio.gather(
            *(store.confirm_payment(held.id, tickets, utcnow()) for _ in range(8))
        )
        assert outcomes.count(PaymentOutcome.CONFIRMED) == 1
        assert outcomes.count(PaymentOutcome.ALREADY_CONFIRMED) == 7
        figures = await store.get_event(event.id)
        assert figures is not None
        assert (figures.seats_confirmed, figures.seats_held, figures.revenue) == (2, 0, 2000)
        assert [t.id for t in await store.list_registration_tickets(held.id)] == [
            t.id for t in tickets
        ]
        assert len(await store.list_user_tickets(held.user_id)) == 2
        assert await store.search_event_tickets(event.id, "BEA", 10) != []
        refunded = await store.refund_registration(held.id, utcnow())
        assert refunded.status is RegistrationStatus.REFUNDED
        assert (await store.refund_registration(held.id, utcnow())).status is refunded.status
        assert {t.status for t in await store.list_registration_tickets(held.id)} == {
            TicketStatus.VOID
        }
        assert await store.confirm_payment(held.id, (), utcnow()) is PaymentOutcome.NOT_PAYABLE
        with pytest.raises(NotFound):
            await store.confirm_payment("missing", (), utcnow())

    async def test_late_payment_gets_seats_only_if_free(self, store: DynamoStore) -> None:
        event = make_event(capacity=2)
        await store.create_event(event)
        late = make_registration(event, 2, held_for=timedelta(seconds=-1))
        await store.hold_seats(late, utcnow())
        await store.release_expired_holds(event.id, utcnow())
        other = make_registration(event, 1)
        await store.hold_seats(other, utcnow())
        outcome = await store.confirm_payment(late.id, tickets_for(late, utcnow()), utcnow())
        assert outcome is PaymentOutcome.NO_SEATS
        await store.cancel_registration(other.id, RegistrationStatus.CANCELLED, utcnow())
        outcome = await store.confirm_payment(late.id, tickets_for(late, utcnow()), utcnow())
        assert outcome is PaymentOutcome.CONFIRMED
        figures = await store.get_event(event.id)
        assert figures is not None
        assert (figures.seats_confirmed, figures.seats_held) == (2, 0)

    async def test_a_ticket_admits_once(self, store: DynamoStore) -> None:
        event = make_event(days=0.01, capacity=5)
        await store.create_event(event)
        registration = make_registration(event, 2)
        tickets = tickets_for(registration, utcnow())
        await store.hold_seats(registration, utcnow(), tickets)
        assert await store.add_door_staff(event.id, "door", utcnow())
        assert not await store.add_door_staff(event.id, "door", utcnow())
        assert await store.is_door_staff(event.id, "door")
        assert await store.list_door_staff(event.id) == ["door"]
        assert await store.door_staff_events("door") == [event.id]

        def scan(by: str = "door") -> CheckinAttempt:
            return CheckinAttempt(new_id(), event.id, tickets[0].id, by, "A", "phone", utcnow())

        outcomes = await asyncio.gather(
            *(store.check_in(scan(), event.id, DEFAULT_GRACE) for _ in range(10))
        )
        results = [o.result for o in outcomes]
        assert results.count(CheckinResult.ADMITTED) == 1
        assert results.count(CheckinResult.ALREADY_USED) == 9
        assert all(o.admitted == 1 for o in outcomes if o.result is CheckinResult.ADMITTED)
        used = await store.get_ticket(tickets[0].id)
        assert used is not None
        assert used.status is TicketStatus.USED
        wrong = await store.check_in(scan(), "other-event", DEFAULT_GRACE)
        assert wrong.result is CheckinResult.WRONG_EVENT
        await store.cancel_registration(registration.id, RegistrationStatus.CANCELLED, utcnow())
        void = await store.check_in(
            CheckinAttempt(new_id(), event.id, tickets[1].id, "door", "A", "phone", utcnow()),
            event.id,
            DEFAULT_GRACE,
        )
        assert void.result is CheckinResult.VOID  # the unused ticket of a cancelled order
        with pytest.raises(Forbidden):
            await store.check_in(scan("stranger"), event.id, DEFAULT_GRACE)

    async def test_a_cursor_of_another_list_is_refused(self, store: DynamoStore) -> None:
        for _ in range(3):
            await store.create_event(make_event("me"))
        page = await store.list_organizer_events("me", limit=1)
        assert page.next_cursor is not None
        with pytest.raises(ValidationFailed):
            await store.list_organizer_events("someone-else", 1, cursor=page.next_cursor)
        with pytest.raises(ValidationFailed):
            await store.list_upcoming_events(utcnow(), 1, cursor=page.next_cursor)

    async def test_webhook_events_are_remembered(self, store: DynamoStore) -> None:
        assert not await store.webhook_event_seen("evt_1")
        await store.record_webhook_event("evt_1", "payment_intent.succeeded", utcnow())
        await store.record_webhook_event("evt_1", "payment_intent.succeeded", utcnow())
        assert await store.webhook_event_seen("evt_1")


async def test_open_refuses_missing_tables(moto: str) -> None:  # noqa: F811
    store = DynamoStore(NAMES, endpoint_url=moto, region=REGION, credentials=CREDENTIALS)
    with pytest.raises(StoreNotReady):
        await store.open()


def test_layout_matches_infra() -> None:
    """create_tables builds the keys and indexes of infra/dynamodb.yml."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    infra = yaml.load(
        (Path(__file__).parent.parent / "infra" / "dynamodb.yml").read_text(), Loader=Loader
    )
    resources = infra["Resources"]
    found = {}
    for resource in resources.values():
        props = resource["Properties"]
        found[props["TableName"]] = props
    assert len(found) == len(LAYOUT)
    for logical, table in LAYOUT.items():
        suffix = logical.replace("_", "-")
        props = next(p for name, p in found.items() if name.endswith(f"-{suffix}"))
        ours = table_definition("x", table)
        assert ours["KeySchema"] == props["KeySchema"]
        assert sorted(ours["AttributeDefinitions"], key=str) == sorted(
            props["AttributeDefinitions"], key=str
        )
        assert ours.get("GlobalSecondaryIndexes", []) == props.get("GlobalSecondaryIndexes", [])
        ttl = props.get("TimeToLiveSpecification", {}).get("AttributeName")
        assert table.ttl == ttl
