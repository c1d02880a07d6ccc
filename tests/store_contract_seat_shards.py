"""Seat shards answer the same on both stores (docs/SCALING.md): `shard_event` checks its
input, and an event switched to 4 shards sells exactly its capacity to racing buyers
(DynamoDB splits the counter; SQLite, one writer, has nothing to split)."""

from __future__ import annotations

import asyncio

import pytest

from models.domain import utcnow
from models.errors import Conflict, NotEnoughSeats, NotFound, SoldOut, ValidationFailed
from models.store import Store
from tests.store_contract import make_event, make_registration
from tests.store_contract_waitlist import make_entry, sold_out


class SeatShardsContract:
    async def test_shard_event_checks_the_count_and_the_event(self, store: Store) -> None:
        """New: 0 and 33 shards are refused naming the field; an unknown event is not found."""
        event = make_event()
        await store.create_event(event)
        for wrong in (0, 33):
            with pytest.raises(ValidationFailed) as refused:
                await store.shard_event(event.id, wrong)
            assert "shards" in refused.value.fields
        with pytest.raises(NotFound):
            await store.shard_event("no-such-event", 4)

    async def test_an_event_with_people_waiting_is_not_sharded(self, store: Store) -> None:
        """Sharded holds never read the seats waited for, so while anyone waits the
        switch is refused (409); once the list is empty it goes through."""
        event, _ = await sold_out(store, 1)
        waiting = make_entry(event)
        await store.join_waitlist(waiting, utcnow())
        with pytest.raises(Conflict):
            await store.shard_event(event.id, 4)
        await store.shard_event(event.id, 1)  # back onto one counter: nothing to refuse
        await store.leave_waitlist(waiting.id, waiting.user_id, utcnow())
        await store.shard_event(event.id, 4)
        assert (await store.get_event(event.id)).seat_shards in (1, 4)  # type: ignore[union-attr]

    async def test_a_switched_event_sells_exactly_its_capacity_to_racing_buyers(
        self, store: Store
    ) -> None:
        """New: after `shard_event(id, 4)`, 30 buyers of 2 race for 25 seats: 12 sell
        (24 seats), the last seat sells to a buyer of 1, then sold out; switched back,
        the counters are the same."""
        event = make_event(capacity=25, price=0)
        await store.create_event(event)
        await store.shard_event(event.id, 4)

        async def buy(quantity: int) -> int:
            try:
                await store.hold_seats(make_registration(event, quantity), utcnow())
            except (SoldOut, NotEnoughSeats):
                return 0
            return quantity

        sold = await asyncio.gather(*(buy(2) for _ in range(30)))
        assert sum(sold) == 24
        assert await buy(1) == 1
        # Merge of shards and figures: a sharded hold moves the sales counters too.
        figures = await store.event_figures(event.id)
        assert sum(day.tickets for day in figures.days) == 25
        with pytest.raises(SoldOut):
            await store.hold_seats(make_registration(event, 1), utcnow())
        await store.shard_event(event.id, 1)
        stored = await store.get_event(event.id)
        assert stored is not None
        assert (stored.seats_confirmed, stored.seats_left, stored.registrations) == (25, 0, 13)
