"""An event's seats on 4 counter items on DynamoDB (moto): invariant 1 under many
concurrent buyers, seats given back, capacity changes, the switch (docs/SCALING.md).
Each test would fail on the store before seat shards (no `seat_shards` argument, no
`shard_event`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from models.domain import RegistrationStatus, utcnow
from models.dynamo import DynamoStore, create_tables
from models.errors import CapacityBelowSold, Conflict, NotEnoughSeats, SoldOut
from tests.moto_server import moto, moto_server  # noqa: F401 (fixtures)
from tests.store_contract import fields_from, make_event, make_registration
from tests.test_store_dynamo import CREDENTIALS, NAMES, REGION, client

SHARDS = 4


@pytest.fixture
async def store(moto: str) -> AsyncIterator[DynamoStore]:  # noqa: F811
    async with client(moto) as dynamodb:
        await create_tables(dynamodb, NAMES)
    store = DynamoStore(
        NAMES, endpoint_url=moto, region=REGION, credentials=CREDENTIALS, seat_shards=SHARDS
    )
    await store.open()
    yield store
    await store.close()


async def shard_frees(store: DynamoStore, event_id: str) -> list[int]:
    return [int(item["seats_free"]["N"]) for item in await store.shard_items(event_id, SHARDS)]


async def buy(store: DynamoStore, event_id: str, quantity: int) -> int:
    event = await store.get_event(event_id)
    assert event is not None
    try:
        await store.hold_seats(make_registration(event, quantity), utcnow())
    except (SoldOut, NotEnoughSeats):
        return 0
    return quantity


async def test_a_new_event_spreads_its_seats_over_the_shards(store: DynamoStore) -> None:
    """New: ADMIT_SEAT_SHARDS = 4 gives a new event 4 shards holding its free seats."""
    event = make_event(capacity=10)
    await store.create_event(event)
    stored = await store.get_event(event.id)
    assert stored is not None
    assert stored.seat_shards == SHARDS
    assert await shard_frees(store, event.id) == [3, 3, 2, 2]


async def test_racing_buyers_never_oversell_and_sell_exactly_the_capacity(
    store: DynamoStore,
) -> None:
    """Invariant 1 on shards: 60 buyers of 1 to 3 seats race for 40; exactly 40 sell (the
    last ones gathered across shards), never more, and the event says sold out."""
    event = make_event(capacity=40, price=0)
    await store.create_event(event)
    sold = await asyncio.gather(*(buy(store, event.id, 1 + i % 3) for i in range(60)))
    assert sum(sold) <= 40
    # Whatever a race left over (a buyer of 3 refused with 2 left) goes to small buyers.
    while sum(sold) < 40:
        got = await buy(store, event.id, 1)
        assert got, "seats left but none sold"
        sold.append(got)
    stored = await store.get_event(event.id)
    assert stored is not None
    assert stored.seats_confirmed == 40
    assert stored.seats_left == 0
    assert stored.registrations == len([q for q in sold if q])
    assert await shard_frees(store, event.id) == [0, 0, 0, 0]
    with pytest.raises(SoldOut):
        await store.hold_seats(make_registration(stored, 1), utcnow())


async def test_cancellations_and_expiries_return_seats_to_the_shards(store: DynamoStore) -> None:
    """Seats given back (a cancellation, a hold running out) can be sold again, and the
    counters stay true."""
    event = make_event(capacity=4)
    await store.create_event(event)
    now = utcnow()
    confirmed = make_registration(event, 2)
    held = make_registration(event, 2, held_for=timedelta(minutes=10))
    await store.hold_seats(confirmed, now)
    await store.hold_seats(held, now)
    with pytest.raises(SoldOut):
        await store.hold_seats(make_registration(event, 1), now)
    await store.cancel_registration(confirmed.id, RegistrationStatus.CANCELLED, now)
    later = now + timedelta(minutes=11)  # the hold has run out
    late = make_registration(event, 4, created_at=later)
    await store.hold_seats(late, later)
    stored = await store.get_event(event.id)
    assert stored is not None
    assert (stored.seats_confirmed, stored.seats_held, stored.seats_left) == (4, 0, 0)
    assert (await store.get_registration(held.id)).status is RegistrationStatus.EXPIRED  # type: ignore[union-attr]


async def test_a_payment_confirms_a_hold_on_a_shard(store: DynamoStore) -> None:
    """A live hold's seats move from held to confirmed; the revenue is counted."""
    event = make_event(capacity=5, price=1000)
    await store.create_event(event)
    now = utcnow()
    held = make_registration(event, 2, held_for=timedelta(minutes=10))
    await store.hold_seats(held, now)
    assert (await store.confirm_payment(held.id, [], now)).value == "confirmed"
    stored = await store.get_event(event.id)
    assert stored is not None
    assert (stored.seats_confirmed, stored.seats_held, stored.revenue) == (2, 0, 2000)


async def test_capacity_changes_spread_over_the_shards(store: DynamoStore) -> None:
    """A rise adds free seats across the shards; a cut below the seats taken is refused."""
    event = make_event(capacity=8, price=0)
    await store.create_event(event)
    for _ in range(3):
        await buy(store, event.id, 2)
    now = utcnow()
    await store.update_event(event.id, lambda e: fields_from(e, capacity=12), now)
    assert sum(await shard_frees(store, event.id)) == 6
    with pytest.raises(CapacityBelowSold):
        await store.update_event(event.id, lambda e: fields_from(e, capacity=5), now)
    await store.update_event(event.id, lambda e: fields_from(e, capacity=6), now)
    assert sum(await shard_frees(store, event.id)) == 0
    with pytest.raises(SoldOut):
        await store.hold_seats(make_registration(event, 1), now)


async def test_switching_an_event_over_and_back_keeps_its_counters(store: DynamoStore) -> None:
    """`shard_event`: 1 → 4 → 2 → 1 shards, selling between, counters true throughout;
    refused while seats are held."""
    store.default_seat_shards = 1
    event = make_event(capacity=20, price=0)
    await store.create_event(event)
    assert await buy(store, event.id, 3) == 3
    await store.shard_event(event.id, 4)
    assert sum(await shard_frees(store, event.id)) == 17
    assert await buy(store, event.id, 2) == 2
    await store.shard_event(event.id, 2)
    assert await buy(store, event.id, 5) == 5
    await store.shard_event(event.id, 1)
    stored = await store.get_event(event.id)
    assert stored is not None
    assert (stored.seat_shards, stored.seats_confirmed, stored.registrations) == (1, 10, 3)
    assert await buy(store, event.id, 10) == 10
    held = make_registration(event, 1, held_for=timedelta(minutes=5))
    await store.update_event(event.id, lambda e: fields_from(e, capacity=21), utcnow())
    await store.hold_seats(held, utcnow())
    with pytest.raises(Conflict):
        await store.shard_event(event.id, 4)


async def test_types_show_their_true_counters_and_keep_their_capacity(store: DynamoStore) -> None:
    """A sharded event's types list the seats sold on the shards; changing a type's own
    capacity is refused until the event is on one item again (SCALING.md)."""
    event = make_event(capacity=10, price=0)
    await store.create_event(event)
    await buy(store, event.id, 3)
    (kind,) = await store.list_ticket_types(event.id)
    assert kind.seats_confirmed == 3
    now = utcnow()
    with pytest.raises(Conflict, match="shard-event"):
        await store.update_ticket_type(event.id, kind.id, lambda t: replace(t, capacity=5), now)
    await store.shard_event(event.id, 1)
    changed = await store.update_ticket_type(
        event.id, kind.id, lambda t: replace(t, capacity=5), now
    )
    assert changed.capacity == 5
    await store.shard_event(event.id, 4)
    assert await buy(store, event.id, 2) == 2
    assert await buy(store, event.id, 1) == 0  # the type's 5 are sold, the event has 5 left
