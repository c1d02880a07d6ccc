"""Holds and the switch on a sharded event (docs/SCALING.md): a hold takes from one of
the event's counter items, probing the others on a failed condition; `shard_event`
moves an event between shard counts. registrations.py dispatches here for N > 1 only;
the shards' layout and their plain writes are in seat_shards.py."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from models.domain import Event, Registration, RegistrationStatus, TicketType
from models.dynamo.base import RETRIES, Refused
from models.dynamo.codec import Item, event_from_item, iso, registration_item, ticket_item, type_key
from models.dynamo.outbox import DynamoOutbox
from models.dynamo.seat_shards import COUNTERS, _int, _zeroed, n, s, shard_count
from models.dynamo.seats import DynamoSeats
from models.errors import Conflict, NotEnoughSeats, ValidationFailed
from models.figures import seat_bumps
from models.outbox import tickets_job
from models.seat_rules import HoldRead, SeatChange, TypeChange, decide_hold
from models.seat_shards import MOST_SHARDS, WAITING_REFUSAL, ShardFree, plan_items, probe_order
from models.tickets import Ticket


class DynamoSeatShards(DynamoSeats, DynamoOutbox):
    """Holds and the switch on a sharded event (registrations.py dispatches here)."""

    @staticmethod
    def split(change: SeatChange, plan: Mapping[int, Mapping[str, int]]) -> dict[int, SeatChange]:
        """A taking change cut along a plan: each shard its seats by type; the
        registration's count and revenue on the first shard."""
        held = change.held > 0
        revenue = {t.ticket_type_id: t.revenue for t in change.types}
        parts: dict[int, SeatChange] = {}
        for index, (k, seats) in enumerate(plan.items()):
            first = index == 0
            types = tuple(
                TypeChange(
                    tid,
                    held=q if held else 0,
                    confirmed=0 if held else q,
                    revenue=revenue.get(tid, 0) if first else 0,
                )
                for tid, q in seats.items()
            )
            total = sum(seats.values())
            parts[k] = SeatChange(
                held=total if held else 0,
                confirmed=0 if held else total,
                registrations=change.registrations if first else 0,
                revenue=change.revenue if first else 0,
                types=types,
            )
        return parts

    async def take_on_shards(
        self,
        event: Event,
        item: Item,
        read: HoldRead,
        change: SeatChange,
        tail: list[dict[str, Any]],
        now: datetime,
        expires: datetime | None,
        refuse: Callable[[HoldRead], object],
    ) -> int | None:
        """Take `change`'s seats on the shards with `tail` (the rest of the transaction)
        in one TransactWriteItems: one shard after another from a random start, then,
        when all refused, every shard read at once. Returns None when written; else the
        index in `tail` of a failed condition there (the caller reads and decides again),
        or raises the refusal the true counters give."""
        count = event.seat_shards
        typed = frozenset(t.id for t in read.types.values() if t.capacity is not None)
        wanted: dict[str, int] = {}
        for t in change.types:
            wanted[t.ticket_type_id] = wanted.get(t.ticket_type_id, 0) + t.taken
        start = random.randrange(count)  # noqa: S311 (spreading load, not a secret)
        for k in probe_order(count, start):
            plan = {k: wanted}
            failed = await self._try_plan(event.id, change, plan, typed, tail, expires)
            if failed is None or failed >= 0:
                return failed
        shards = await self.shard_items(event.id, count)
        hints = [x["holds_expire_next"]["S"] for x in shards if "holds_expire_next" in x]
        if hints and min(hints) <= iso(now):
            await self.release_expired(event.id, now)
            return len(tail)  # read again
        totals = self.with_shard_sums(item, shards)
        kinds = self.types_with_sums(totals, list(read.types.values()))
        truth = replace(read, event=event_from_item(totals), types={t.id: t for t in kinds})
        frees = [
            ShardFree(_int(x, "seats_free"), {tid: _int(x, f"t_free_{tid}") for tid in typed})
            for x in shards
        ]
        plan_found = plan_items(frees, wanted, start, typed)
        if plan_found is None:
            refuse(truth)  # the true counters give the usual refusal
            raise NotEnoughSeats(sum(f.free for f in frees))
        failed = await self._try_plan(event.id, change, plan_found, typed, tail, expires)
        return len(tail) if failed == -1 else failed

    async def _try_plan(
        self,
        event_id: str,
        change: SeatChange,
        plan: Mapping[int, Mapping[str, int]],
        typed: frozenset[str],
        tail: list[dict[str, Any]],
        expires: datetime | None,
    ) -> int | None:
        """None: written. -1: a shard's condition failed. i >= 0: tail[i]'s failed."""
        parts = self.split(change, plan)
        writes = [
            self.shard_write(event_id, k, part, typed=typed, expires=expires)
            for k, part in parts.items()
        ]
        try:
            await self.transact([*writes, *tail])
        except Refused as refused:
            for i in range(len(tail)):
                if refused.failed(len(writes) + i):
                    return i
            return -1
        return None

    # -- a hold and a payment on a sharded event ---------------------------------------

    async def hold_sharded(
        self, registration: Registration, now: datetime, tickets: Sequence[Ticket]
    ) -> Registration:
        """`hold_seats` for an event on N shards (docs/SCALING.md "How a hold picks a
        shard"): the same transaction with a shard in place of the event item."""
        for attempt in range(RETRIES):
            read, promo_version, item = await self.hold_read_item(
                registration.event_id, registration.user_id, registration.promo_code_id
            )
            event = read.event
            decision = decide_hold(
                replace(
                    _zeroed(event, read.types), account_seats=read.account_seats, promo=read.promo
                ),
                registration,
                now,
            )
            change = decision.change
            tail: list[dict[str, Any]] = [
                *self.account_change(event.id, registration.user_id, change, event.max_per_account),
                *self.promo_changes(event.id, change, (read.promo, promo_version)),
                {
                    "Put": {
                        "TableName": self.t("registrations"),
                        "Item": registration_item(registration),
                        "ConditionExpression": "attribute_not_exists(id)",
                    }
                },
                *(
                    {
                        "Put": {
                            "TableName": self.t("tickets"),
                            "Item": ticket_item(ticket),
                            "ConditionExpression": "attribute_not_exists(id)",
                        }
                    }
                    for ticket in tickets
                ),
            ]
            if registration.status is RegistrationStatus.CONFIRMED:
                tail.append(self.job_put(tickets_job(registration.id, now)))  # invariant 8
            first_put = (
                len(tail) - len(tickets) - 1 - (registration.status is RegistrationStatus.CONFIRMED)
            )
            last_put = len(tail)
            # The figures' counters move with the seats (models/figures.py); unconditioned.
            tail += self.figure_writes(
                event.id, seat_bumps(change, now, event.zone), registration.id
            )
            failed = await self.take_on_shards(
                event,
                item,
                read,
                change,
                tail,
                now,
                registration.hold_expires_at,
                lambda truth: decide_hold(truth, registration, now),
            )
            if failed is None:
                return registration
            if first_put <= failed < last_put:
                raise Conflict("This registration exists already.")
            await self.backoff(attempt)
        raise NotEnoughSeats(0)

    # -- capacity changes and the switch -------------------------------------------------

    async def shard_event(self, event_id: str, shards: int) -> None:
        """Move an event's seats onto `shards` counter items (1: back onto the event
        item), in one transaction conditioned on everything read; refused while any seat
        is held."""
        if not 1 <= shards <= MOST_SHARDS:
            raise ValidationFailed({"shards": f"From 1 to {MOST_SHARDS} shards."})
        for attempt in range(RETRIES):
            item = await self.event_item(event_id)
            old = shard_count(item)
            old_items = await self.shard_items(event_id, old) if old > 1 else []
            totals = self.with_shard_sums(item, old_items)
            event = event_from_item(totals)
            if event.seats_held:
                raise Conflict(f"{event.seats_held} seats are held: switch when none are.")
            if shards > 1 and event.waitlist_entries:
                raise Conflict(WAITING_REFUSAL)
            types = self.types_with_sums(totals, await self.types_of(item))
            version = _int(item, "version")
            writes: list[dict[str, Any]] = [self._switch_event(item, event, shards, version)]
            writes += [self._fold_type(event_id, kind, totals) for kind in types]
            if shards > 1:
                type_free = {
                    t.id: t.capacity - t.seats_taken for t in types if t.capacity is not None
                }
                puts = self.new_shard_puts(
                    event_id, event.capacity - event.seats_taken, type_free, shards, old
                )
                for k, put in enumerate(puts):
                    if k < len(old_items):
                        put["Put"].update(self._unchanged(old_items[k]))
                writes += puts
            for k in range(shards if shards > 1 else 0, len(old_items)):
                writes.append(
                    {"Delete": {**self._shard_key(event_id, k), **self._unchanged(old_items[k])}}
                )
            try:
                await self.transact(writes)
            except Refused:
                await self.backoff(attempt)
                continue
            return
        raise Conflict("The event is being changed by someone else; try again.")

    @staticmethod
    def _unchanged(shard: Item) -> dict[str, Any]:
        """A condition that the shard still holds what was read."""
        names = {f"#u{i}": c for i, c in enumerate(("seats_free", *COUNTERS))}
        values = {f":u{i}": n(_int(shard, c)) for i, c in enumerate(("seats_free", *COUNTERS))}
        return {
            "ConditionExpression": " AND ".join(f"#u{i} = :u{i}" for i in range(len(names))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }

    def _switch_event(self, item: Item, event: Event, shards: int, version: int) -> dict[str, Any]:
        """The event item: the true counters, the new count; conditioned on its version
        and the counters read (a hold on one shard writes them)."""
        values = {
            ":held": n(event.seats_held),
            ":confirmed": n(event.seats_confirmed),
            ":taken": n(event.seats_taken),
            ":registrations": n(event.registrations),
            ":revenue": n(event.revenue),
            ":version": n(version),
            ":seen_taken": n(_int(item, "seats_taken")),
            ":seen_registrations": n(_int(item, "registrations")),
            ":seen_revenue": n(_int(item, "revenue")),
            ":one": n(1),
        }
        condition = (
            "version = :version AND seats_taken = :seen_taken"
            " AND registrations = :seen_registrations AND revenue = :seen_revenue"
        )
        if shards > 1:
            # A join does not move the version: this keeps a waiter from slipping onto
            # an event that is being sharded (sharded events have no list).
            condition += " AND (attribute_not_exists(waitlist_entries) OR waitlist_entries = :none)"
            values[":none"] = n(0)
        expression = (
            "SET seats_held = :held, seats_confirmed = :confirmed, seats_taken = :taken,"
            " registrations = :registrations, revenue = :revenue"
        )
        if shards > 1:
            expression += ", seat_shards = :shards"
            values[":shards"] = n(shards)
        expression += " ADD version :one"
        # Nothing is held: a hint left from before would only make readers sweep in vain.
        expression += " REMOVE holds_expire_next"
        if shards == 1:
            expression += ", seat_shards"
        return {
            "Update": {
                **self._event_key(event.id),
                "UpdateExpression": expression,
                "ConditionExpression": condition,
                "ExpressionAttributeValues": values,
            }
        }

    def _fold_type(self, event_id: str, kind: TicketType, totals: Item) -> dict[str, Any]:
        """A type item given its true counters (the shards' are folded or restarted)."""
        return {
            "Update": {
                "TableName": self.t("events"),
                "Key": {"id": s(type_key(event_id, kind.id))},
                "UpdateExpression": "SET seats_held = :h, seats_confirmed = :c,"
                " seats_taken = :t, revenue = :r",
                "ConditionExpression": "attribute_exists(id)",
                "ExpressionAttributeValues": {
                    ":h": n(kind.seats_held),
                    ":c": n(kind.seats_confirmed),
                    ":t": n(kind.seats_taken),
                    ":r": n(kind.revenue),
                },
            }
        }
