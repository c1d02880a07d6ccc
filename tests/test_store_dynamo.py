"""The Store contract on DynamoDB (moto in server mode), plus the table layout check."""

from __future__ import annotations

from collections.abc import AsyncIterator
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
from tests.store_contract_money import MoneyContract
from tests.store_contract_outbox import OutboxContract
from tests.store_contract_rules import RulesContract

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
    OutboxContract,
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
