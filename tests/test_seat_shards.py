"""The pure decisions of a split seat counter (models/seat_shards.py) and the simulation
that runs them (bench/shard_simulation.py)."""

from __future__ import annotations

import random

import pytest

from bench.shard_simulation import simulate
from models.seat_shards import (
    ShardFree,
    capacity_moves,
    plan_items,
    plan_take,
    probe_order,
    shard_of,
    spread,
)


def test_spread_splits_evenly_and_loses_no_seat() -> None:
    """New: the shares of a capacity add up to it and differ by at most one seat."""
    for total in (0, 1, 7, 50_000):
        for n in (1, 4, 16):
            shares = spread(total, n)
            assert sum(shares) == total
            assert max(shares) - min(shares) <= 1


def test_probe_order_visits_every_shard_once_from_the_start() -> None:
    """New: a hold that finds its shard full tries each other shard exactly once."""
    assert probe_order(4, 2) == [2, 3, 0, 1]
    assert sorted(probe_order(16, 9)) == list(range(16))


def test_a_registration_gives_back_to_one_stable_shard() -> None:
    """New: repeated give-backs of one registration land on the same shard."""
    assert shard_of("abc", 4) == shard_of("abc", 4)
    assert {shard_of(str(i), 4) for i in range(100)} == {0, 1, 2, 3}


def test_one_shard_with_room_takes_the_whole_hold() -> None:
    """New: the first shard in probe order with room takes every seat of the hold."""
    assert plan_take([0, 1, 5, 5], 3, start=0) == {2: 3}
    assert plan_take([0, 1, 5, 5], 3, start=3) == {3: 3}


def test_the_last_seats_are_gathered_from_several_shards() -> None:
    """New: 4 seats spread 2 + 1 + 1 still sell to one buyer of 4, and no more."""
    assert plan_take([2, 1, 0, 1], 4, start=1) == {0: 2, 1: 1, 3: 1}
    assert plan_take([2, 1, 0, 1], 5, start=1) is None


def test_a_type_with_its_own_capacity_is_bounded_by_its_share_in_each_shard() -> None:
    """New: a shard with event seats but none of the type's left gives none of it."""
    shards = [ShardFree(10, {"vip": 0}), ShardFree(10, {"vip": 2}), ShardFree(10, {"vip": 1})]
    plan = plan_items(shards, {"vip": 2, "ga": 3}, start=0, typed=frozenset({"vip"}))
    assert plan == {1: {"vip": 2, "ga": 3}}
    plan = plan_items(shards, {"vip": 3}, start=0, typed=frozenset({"vip"}))
    assert plan == {1: {"vip": 2}, 2: {"vip": 1}}
    assert plan_items(shards, {"vip": 4}, start=0, typed=frozenset({"vip"})) is None


def test_plans_never_take_more_than_a_shard_has() -> None:
    """New: random shards and holds: every plan fits every shard and the wanted seats."""
    rng = random.Random(7)
    for _ in range(2000):
        frees = [rng.randint(0, 5) for _ in range(rng.randint(1, 8))]
        q = rng.randint(1, 10)
        plan = plan_take(frees, q, rng.randrange(len(frees)))
        if plan is None:
            assert sum(frees) < q
            continue
        assert sum(plan.values()) == q
        assert all(0 < seats <= frees[k] for k, seats in plan.items())


def test_capacity_moves_spread_rises_and_refuse_cuts_below_the_seats_taken() -> None:
    """New: a rise lands evenly; a cut comes from the roomiest shards; too big a cut is
    refused."""
    assert capacity_moves([3, 0, 5, 1], 6) == [2, 2, 1, 1]
    assert capacity_moves([3, 0, 5, 1], -6) == [-1, 0, -5, 0]
    assert capacity_moves([3, 0, 5, 1], -10) is None


@pytest.mark.parametrize("shards", [1, 4, 16])
def test_the_simulation_never_oversells_and_sells_exactly_the_capacity(shards: int) -> None:
    """New: the hold algorithm under a write limit sells every seat and no more, and more
    shards sustain more holds."""
    result = simulate(
        capacity=3000,
        shards=shards,
        buyers=400,
        write_limit=1000,
        latency=0.008,
        cancel_rate=0.05,
        seed=3,
    )
    assert result.oversold == 0
    assert result.seats_taken == 3000
    assert result.given_back > 0
    assert result.sustained <= 1000 * shards * 1.1  # the items' limit bounds it


def test_more_shards_sustain_more_holds() -> None:
    """New: 4 shards sustain well over one item's write limit."""
    one, four = (
        simulate(
            capacity=8000,
            shards=n,
            buyers=800,
            write_limit=1000,
            latency=0.008,
            cancel_rate=0.0,
            seed=5,
        )
        for n in (1, 4)
    )
    assert one.sustained <= 1100
    assert four.sustained > 3 * one.sustained
