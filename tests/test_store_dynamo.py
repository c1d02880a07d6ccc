"""The Store contract on DynamoDB (moto in server mode), plus the table layout check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from aiobotocore.session import AioSession

from models.domain import utcnow
from models.dynamo import LAYOUT, DynamoStore, create_tables
from models.dynamo.tables import table_definition
from models.errors import StoreNotReady, ValidationFailed
from tests.moto_server import moto, moto_server  # noqa: F401 (fixtures)
from tests.session_contract import SessionStoreContract
from tests.store_contract import StoreContract, make_event
from tests.store_contract_attempts import AttemptsContract
from tests.store_contract_door_staff import DoorStaffContract
from tests.store_contract_figures import FiguresContract
from tests.store_contract_messages import MessagesContract
from tests.store_contract_money import MoneyContract
from tests.store_contract_outbox import OutboxContract
from tests.store_contract_promo_codes import PromoCodesContract
from tests.store_contract_questions import QuestionsContract
from tests.store_contract_rules import RulesContract
from tests.store_contract_seat_shards import SeatShardsContract
from tests.store_contract_ticket_types import TicketTypesContract
from tests.store_contract_transfers import TransferContract
from tests.store_contract_waitlist import WaitlistContract

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


class TestDynamoStore(
    StoreContract,
    AttemptsContract,
    MoneyContract,
    DoorStaffContract,
    SessionStoreContract,
    RulesContract,
    TicketTypesContract,
    OutboxContract,
    QuestionsContract,
    PromoCodesContract,
    FiguresContract,
    MessagesContract,
    SeatShardsContract,
    WaitlistContract,
    TransferContract,
):
    """The contract, plus what only a DynamoDB cursor can tell (the list it belongs to)."""

    async def test_a_cursor_of_another_list_is_refused(self, store: DynamoStore) -> None:
        for _ in range(3):
            await store.create_event(make_event("me"))
        page = await store.list_organizer_events("me", limit=1)
        assert page.next_cursor is not None
        with pytest.raises(ValidationFailed):
            await store.list_organizer_events("someone-else", 1, cursor=page.next_cursor)
        with pytest.raises(ValidationFailed):
            await store.list_upcoming_events(utcnow(), 1, cursor=page.next_cursor)


async def test_missing_tables_are_named_at_first_use(moto: str) -> None:  # noqa: F811
    store = DynamoStore(NAMES, endpoint_url=moto, region=REGION, credentials=CREDENTIALS)
    await store.open()
    try:
        with pytest.raises(StoreNotReady, match="DynamoDB table missing"):
            await store.get_user("someone")
        with pytest.raises(StoreNotReady, match="DynamoDB table missing"):
            await store.create_event(make_event("me"))
    finally:
        await store.close()


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
        # CloudFormation names only the view; CreateTable also says it is enabled.
        stream = ours.get("StreamSpecification", {}).get("StreamViewType")
        assert stream == props.get("StreamSpecification", {}).get("StreamViewType")


async def test_an_event_stored_before_ticket_types_gets_its_type_on_first_use(
    store: DynamoStore,
) -> None:
    """The lazy backfill (models/dynamo/ticket_type_backfill.py): an event item with no
    types, and its registration and tickets naming none, as the store wrote them before."""
    import asyncio
    from dataclasses import replace

    from models.domain import GENERAL_ADMISSION, RegistrationStatus, default_type_id
    from models.dynamo.codec import event_item, registration_item, ticket_item
    from models.tickets import tickets_for
    from tests.store_contract import make_registration

    event = make_event(price=2000, seats_confirmed=2, seats_held=1, registrations=1, revenue=4000)
    paid = make_registration(event, 2)
    held = make_registration(event, 1, held_for=timedelta(minutes=10))
    old_event = event_item(event)
    assert "ticket_type_ids" not in old_event
    await store.client.put_item(TableName=store.t("events"), Item=old_event)
    for registration in (paid, held):
        old = registration_item(registration)
        assert "items" not in old
        await store.client.put_item(TableName=store.t("registrations"), Item=old)
    for ticket in tickets_for(paid, utcnow()):
        old = ticket_item(replace(ticket, ticket_type_id="", ticket_type_name=""))
        await store.client.put_item(TableName=store.t("tickets"), Item=old)

    listed = await asyncio.gather(*(store.list_ticket_types(event.id) for _ in range(5)))
    assert all(len(types) == 1 for types in listed)
    (kind,) = listed[0]
    assert (kind.id, kind.name, kind.price, kind.capacity) == (
        default_type_id(event.id),
        GENERAL_ADMISSION,
        2000,
        None,
    )
    assert (kind.seats_confirmed, kind.seats_held, kind.revenue, kind.in_use) == (2, 1, 4000, True)
    tickets = await store.list_registration_tickets(paid.id)
    assert {(t.ticket_type_id, t.ticket_type_name) for t in tickets} == {
        (kind.id, GENERAL_ADMISSION)
    }
    await store.cancel_registration(held.id, RegistrationStatus.CANCELLED, utcnow())
    (kind,) = await store.list_ticket_types(event.id)
    assert kind.seats_held == 0
    fetched = await store.get_event(event.id)
    assert fetched is not None
    assert fetched.seats_held == 0


async def test_a_hold_on_an_event_stored_before_types_backfills_first(store: DynamoStore) -> None:
    """The first hold on an old event item creates its type, then counts against it."""
    from models.dynamo.codec import event_item
    from tests.store_contract import make_registration

    event = make_event(capacity=5, seats_confirmed=4)
    await store.client.put_item(TableName=store.t("events"), Item=event_item(event))
    await store.hold_seats(make_registration(event, 1), utcnow())
    (kind,) = await store.list_ticket_types(event.id)
    assert kind.seats_confirmed == 5


async def test_a_confirmation_puts_its_job_on_the_outbox_stream(
    store: DynamoStore,
    moto: str,  # noqa: F811
) -> None:
    """What the deliverer is handed: an INSERT record keyed by the job id (web/lambda.py
    reads `dynamodb.Keys.id`), from the same transaction that confirmed the seats."""
    from models.tickets import tickets_for
    from tests.store_contract import make_registration

    event = make_event(capacity=5, price=0)
    await store.create_event(event)
    registration = make_registration(event, 1)
    now = utcnow()
    await store.hold_seats(registration, now, tickets_for(registration, now))

    session = AioSession()
    async with (
        client(moto) as dynamodb,
        session.create_client(
            "dynamodbstreams", endpoint_url=moto, region_name=REGION, **CREDENTIALS
        ) as streams,
    ):
        table = (await dynamodb.describe_table(TableName=NAMES["outbox"]))["Table"]
        described = await streams.describe_stream(StreamArn=table["LatestStreamArn"])
        records = []
        for shard in described["StreamDescription"]["Shards"]:
            iterator = await streams.get_shard_iterator(
                StreamArn=table["LatestStreamArn"],
                ShardId=shard["ShardId"],
                ShardIteratorType="TRIM_HORIZON",
            )
            got = await streams.get_records(ShardIterator=iterator["ShardIterator"])
            records += got["Records"]
    inserts = [r for r in records if r["eventName"] == "INSERT"]
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in inserts] == [f"tickets:{registration.id}"]
    assert inserts[0]["dynamodb"]["NewImage"]["state"]["S"] == "pending"
