"""The table layout of infra/dynamodb.yml, as data: keys and indexes of the twelve tables.

`create_tables(client, names)` builds the same tables (for tests against moto and for a
local DynamoDB); production tables come from the CloudFormation file. Keep both in step:
tests/test_store_dynamo.py compares them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str | None = None
    projection: str = "ALL"
    include: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    hash_key: str
    range_key: str | None = None
    indexes: tuple[Index, ...] = ()
    types: dict[str, str] = field(default_factory=dict)  # non-string key attributes
    ttl: str | None = None
    stream: bool = False  # a stream of new images (infra/dynamodb.yml)

    def key_names(self, index: str | None = None) -> frozenset[str]:
        """The attributes of a LastEvaluatedKey on the table or one of its indexes."""
        names = {self.hash_key, self.range_key}
        if index is not None:
            found = next(i for i in self.indexes if i.name == index)
            names |= {found.hash_key, found.range_key}
        return frozenset(n for n in names if n)


LAYOUT: dict[str, Table] = {
    "users": Table("id", indexes=(Index("by_email", "email"),)),
    "codes": Table("key", ttl="expires_ttl"),
    "login_failures": Table("key", "at", ttl="expires_ttl"),
    "events": Table(
        "id",
        indexes=(
            Index("by_organizer", "organizer_id", "starts_at"),
            Index("by_status_start", "status", "starts_at"),
        ),
    ),
    "registrations": Table(
        "id",
        indexes=(
            Index("by_user", "user_id", "created_at"),
            Index("by_event", "event_id", "created_at"),
            Index(
                "by_status_hold_expiry",
                "status",
                "hold_expires_at",
                projection="INCLUDE",
                include=("event_id",),
            ),
        ),
    ),
    "tickets": Table(
        "id",
        indexes=(
            Index("by_registration", "registration_id", "seat_no"),
            Index("by_user", "user_id", "created_at"),
            Index("by_event", "event_id", "created_at"),
        ),
        types={"seat_no": "N"},
    ),
    "checkins": Table("id", indexes=(Index("by_event", "event_id", "at"),)),
    "door_staff": Table(
        "event_id", "user_id", indexes=(Index("by_user", "user_id", "event_id", "KEYS_ONLY"),)
    ),
    "webhook_events": Table("id", ttl="expires_ttl"),
    "sessions": Table(
        "id", indexes=(Index("by_user", "user_id", "created_at"),), ttl="expires_ttl"
    ),
    # Delivery jobs (models/dynamo/outbox.py); its stream feeds the `deliverer` function.
    "outbox": Table(
        "id", indexes=(Index("by_state", "state", "next_try_at"),), ttl="expires_ttl", stream=True
    ),
    # An event's counter items (models/dynamo/figures.py): sales per day, admissions per
    # quarter hour, refunds, a version; one Query reads them all.
    "figures": Table("event_id", "sk"),
}


def _key_schema(hash_key: str, range_key: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def table_definition(name: str, table: Table) -> dict[str, Any]:
    """CreateTable arguments for one table."""
    attributes = {table.hash_key, table.range_key}
    for index in table.indexes:
        attributes |= {index.hash_key, index.range_key}
    definition: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": _key_schema(table.hash_key, table.range_key),
        "AttributeDefinitions": [
            {"AttributeName": a, "AttributeType": table.types.get(a, "S")}
            for a in sorted(a for a in attributes if a)
        ],
    }
    if table.stream:
        definition["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    if table.indexes:
        definition["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": _key_schema(index.hash_key, index.range_key),
                "Projection": {"ProjectionType": index.projection}
                | ({"NonKeyAttributes": list(index.include)} if index.include else {}),
            }
            for index in table.indexes
        ]
    return definition


async def create_tables(client: Any, names: dict[str, str]) -> None:
    """Create every table of LAYOUT under its name in `names` (logical -> real name)."""
    for logical, table in LAYOUT.items():
        await client.create_table(**table_definition(names[logical], table))
        if table.ttl:
            await client.update_time_to_live(
                TableName=names[logical],
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl},
            )
