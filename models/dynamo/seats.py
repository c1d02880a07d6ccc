"""The seat counters of an event item, and the writes that change them (invariant 1).

The event item keeps `seats_confirmed`, `seats_held` and `seats_taken` (= confirmed +
held, maintained by every update here), because a condition cannot add two attributes:
taking q seats is conditioned on `seats_taken <= capacity - q` with the capacity read
(guarded by the event's `version`, which every edit of the event bumps).

`holds_expire_next` is guarded the same way: a write that changes it is conditioned on
the value it read, so a hold and a release racing each other cannot lose an expiry.

The seats one account holds and has confirmed for an event (its `max_per_account`) are a
counter item of their own in the events table, `id = "account#<event id>#<user id>"`
with `seats`: taking seats adds to it conditioned on `seats <= max_per_account - q` in the
same transaction as the event's counter, and every write that gives seats back (a hold
running out, a cancellation, a refund) subtracts in its own transaction. The item has no
`organizer_id` or `status`, so it stays out of the events table's indexes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from models.domain import Event, Registration, RegistrationStatus, TicketType
from models.dynamo.base import RETRIES, Refused
from models.dynamo.codec import (
    Item,
    event_from_item,
    iso,
    registration_from_item,
    ticket_type_from_item,
    type_key,
)
from models.dynamo.figures import DynamoFigures
from models.dynamo.seat_shards import DynamoShardCounters, shard_count
from models.dynamo.ticket_type_backfill import backfill_default_type
from models.errors import Conflict, NotFound
from models.figures import seat_bumps
from models.seat_rules import HoldRead, SeatChange, TypeChange, seats_back
from models.tickets import TicketStatus

HELD = RegistrationStatus.HELD.value


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def s(value: str) -> dict[str, str]:
    return {"S": value}


def next_expiry_condition(seen: datetime | None, values: dict[str, Any]) -> str:
    if seen is None:
        return "attribute_not_exists(holds_expire_next)"
    values[":seen_next"] = s(iso(seen))
    return "holds_expire_next = :seen_next"


class DynamoSeats(DynamoShardCounters, DynamoFigures):
    async def _event(self, event_id: str) -> tuple[Event, int]:
        """The event and its version (strongly consistent); `NotFound` if missing."""
        item = await self.event_item(event_id)
        version = int(item.get("version", {"N": "0"})["N"])
        if shard_count(item) > 1:  # the counters are on its shards (seat_shards.py)
            item = await self.sharded_totals(item)
        return event_from_item(item), version

    async def event_item(self, event_id: str) -> Item:
        """The event's item (strongly consistent), with its ticket types listed: an
        event stored before types gets its "General admission" type here, on first use
        (`backfill_default_type`). `NotFound` if missing."""
        for _ in range(RETRIES):
            item = await self.get("events", {"id": event_id})
            if item is None or "organizer_id" not in item:
                raise NotFound("This event does not exist.")
            if "ticket_type_ids" in item:
                return item
            await backfill_default_type(self, item)
        raise Conflict("The event is being changed by someone else; try again.")

    async def types_of(self, item: Item) -> list[TicketType]:
        """The types listed on an event item, in their order, with their counters
        (strongly consistent reads)."""
        event_id = item["id"]["S"]
        currency = item["currency"]["S"]
        ids = [value["S"] for value in item["ticket_type_ids"]["L"]]
        found: dict[str, Item] = {}
        keys: list[dict[str, Any]] = [{"id": {"S": type_key(event_id, i)}} for i in ids]
        while keys:
            response = await self.client.batch_get_item(
                RequestItems={self.t("events"): {"Keys": keys[:100], "ConsistentRead": True}}
            )
            for got in response.get("Responses", {}).get(self.t("events"), ()):
                found[got["type_id"]["S"]] = got
            unprocessed = response.get("UnprocessedKeys", {}).get(self.t("events"), {})
            keys = list(unprocessed.get("Keys", ())) + keys[100:]
        return [
            ticket_type_from_item(found[i], currency, position)
            for position, i in enumerate(ids)
            if i in found
        ]

    async def hold_read(
        self, event_id: str, user_id: str, promo_id: str | None = None
    ) -> tuple[HoldRead, int, int]:
        """What a seat decision reads (the event, its types, the account's seats, the
        promo code named), the event's version and the code's."""
        read, promo_version, item = await self.hold_read_item(event_id, user_id, promo_id)
        return read, int(item.get("version", {"N": "0"})["N"]), promo_version

    async def hold_read_item(
        self, event_id: str, user_id: str, promo_id: str | None = None
    ) -> tuple[HoldRead, int, Item]:
        """`hold_read`, with the event item read (not the version)."""
        item = await self.event_item(event_id)
        # Reads at once: the hold's latency is the buyer's wait and a hot event's
        # throughput.
        types, mine, (promo, promo_version) = await asyncio.gather(
            self.types_of(item),
            self.account_seats(event_id, user_id),
            self.promo_read(event_id, promo_id),
        )
        read = HoldRead(
            event=event_from_item(item),
            types={kind.id: kind for kind in types},
            account_seats=mine,
            promo=promo,
        )
        return read, promo_version, item

    def _event_key(self, event_id: str) -> dict[str, Any]:
        return {"TableName": self.t("events"), "Key": {"id": s(event_id)}}

    def event_change(
        self,
        event_id: str,
        change: SeatChange,
        *,
        version: int | None = None,
        capacity: int | None = None,
        waited: int = 0,
    ) -> dict[str, Any]:
        """The event update writing a decision's `SeatChange` (`seats_taken` moves with
        held + confirmed). Conditioned on the `version` read when given, and a change
        that takes seats on the `capacity` read (which that version guards) less the
        seats `waited` for on the waiting list as read, which may not have grown since
        (invariant 7: the public never takes them)."""
        terms = {
            "seats_held": change.held,
            "seats_confirmed": change.confirmed,
            "seats_taken": change.taken,
            "registrations": change.registrations,
            "revenue": change.revenue,
        }
        values = {f":{name}": n(value) for name, value in terms.items() if value}
        update: dict[str, Any] = {
            **self._event_key(event_id),
            "UpdateExpression": "ADD "
            + ", ".join(f"{name} :{name}" for name in terms if terms[name]),
            "ExpressionAttributeValues": values,
        }
        conditions = []
        if version is not None:
            conditions.append("version = :version")
            values[":version"] = n(version)
        if change.taken > 0:
            assert capacity is not None
            conditions.append("seats_taken <= :limit")
            values[":limit"] = n(capacity - waited - change.taken)
            conditions.append("(attribute_not_exists(waitlist_seats) OR waitlist_seats <= :waited)")
            values[":waited"] = n(waited)
        if conditions:
            update["ConditionExpression"] = " AND ".join(conditions)
        return {"Update": update}

    def type_changes(
        self, event_id: str, change: SeatChange, types: Mapping[str, TicketType] | None = None
    ) -> list[dict[str, Any]]:
        """One update per type the change moves, each conditioned on the type existing
        and, when it takes seats, on the capacity read (`types`) still being the type's
        and `seats_taken <= capacity - q`: a concurrent edit of the capacity, or another
        buyer taking the last seats, fails the transaction and the caller decides
        again."""
        return [self._type_change(event_id, t, types) for t in change.types]

    def _type_change(
        self, event_id: str, t: TypeChange, types: Mapping[str, TicketType] | None
    ) -> dict[str, Any]:
        terms = {
            "seats_held": t.held,
            "seats_confirmed": t.confirmed,
            "seats_taken": t.taken,
            "revenue": t.revenue,
        }
        values: dict[str, dict[str, Any]] = {
            f":{name}": n(value) for name, value in terms.items() if value
        }
        adds = ", ".join(f"{name} :{name}" for name in terms if terms[name])
        expression = f"ADD {adds}" if adds else ""
        condition = "attribute_exists(id)"
        names: dict[str, str] = {}
        if t.taken > 0:
            assert types is not None
            kind = types[t.ticket_type_id]
            expression += " SET in_use = :yes"
            values[":yes"] = {"BOOL": True}
            names["#capacity"] = "capacity"  # a reserved word
            if kind.capacity is None:
                condition += " AND attribute_not_exists(#capacity)"
            else:
                # Invariant 7: the type's seats waited for are not the public's either.
                condition += (
                    " AND #capacity = :capacity AND seats_taken <= :type_limit AND"
                    " (attribute_not_exists(waitlist_seats) OR waitlist_seats <= :waited)"
                )
                values[":capacity"] = n(kind.capacity)
                values[":type_limit"] = n(kind.capacity - kind.waitlist_seats - t.taken)
                values[":waited"] = n(kind.waitlist_seats)
        update: dict[str, Any] = {
            "TableName": self.t("events"),
            "Key": {"id": s(type_key(event_id, t.ticket_type_id))},
            "ConditionExpression": condition,
        }
        if names:
            update["ExpressionAttributeNames"] = names
        if expression:
            update["UpdateExpression"] = expression.strip()
            update["ExpressionAttributeValues"] = values
        else:  # nothing moves (a 0-quantity line cannot be stored): a bare check
            return {"ConditionCheck": update}
        return {"Update": update}

    def counter_writes(
        self,
        event_id: str,
        shards: int,
        change: SeatChange,
        key: str,
        version: int | None = None,
    ) -> list[dict[str, Any]]:
        """The event's and its types' counters moved by a change that takes no seats: on
        the event and type items, or on one of its shards (`key`: the registration's id)
        when it has several (seat_shards.py)."""
        if shards > 1:
            return self.shard_back(event_id, shards, change, key, version)
        return [
            self.event_change(event_id, change, version=version),
            *self.type_changes(event_id, change),
        ]

    def seats_back(self, registration: Registration, shards: int = 1) -> list[dict[str, Any]]:
        """The writes giving back a registration's seats (`models.seat_rules.seats_back`):
        the event's counters, its types', the account's and its promo code's use; none
        when it holds no seats."""
        change = seats_back(registration)
        if not change:
            return []
        return [
            *self.counter_writes(registration.event_id, shards, change, registration.id),
            *self.account_change(registration.event_id, registration.user_id, change),
            *self.promo_changes(registration.event_id, change),
        ]

    # -- the seats of one account (max_per_account) --------------------------------------

    def _account_key(self, event_id: str, user_id: str) -> dict[str, Any]:
        return {"TableName": self.t("events"), "Key": {"id": s(f"account#{event_id}#{user_id}")}}

    async def account_seats(self, event_id: str, user_id: str) -> int:
        item = await self.get("events", {"id": f"account#{event_id}#{user_id}"})
        return int(item["seats"]["N"]) if item and "seats" in item else 0

    def account_change(
        self, event_id: str, user_id: str, change: SeatChange, most: int | None = None
    ) -> list[dict[str, Any]]:
        """The account's counter moved by `change.taken`: a take only while it stays
        within `most` (the event's limit, read under the version the event's update is
        conditioned on); nothing when the change takes and gives nothing."""
        q = change.taken
        if not q:
            return []
        update: dict[str, Any] = {
            **self._account_key(event_id, user_id),
            "UpdateExpression": "ADD seats :q",
            "ExpressionAttributeValues": {":q": n(q)},
        }
        if q > 0:
            assert most is not None
            update["ConditionExpression"] = "attribute_not_exists(seats) OR seats <= :most"
            update["ExpressionAttributeValues"][":most"] = n(most - q)
        return [{"Update": update}]

    async def registration_ticket_items(self, registration_id: str) -> list[Item]:
        return [
            ticket
            async for ticket in self.query_all(
                "tickets",
                IndexName="by_registration",
                KeyConditionExpression="registration_id = :r",
                ExpressionAttributeValues={":r": s(registration_id)},
            )
        ]

    async def void_tickets(self, registration_id: str) -> list[dict[str, Any]]:
        """Transaction items voiding the registration's valid tickets (each conditioned on
        still being valid, so a ticket admitted meanwhile makes the caller retry)."""
        return self.void_ticket_items(await self.registration_ticket_items(registration_id))

    def void_ticket_items(self, tickets: list[Item]) -> list[dict[str, Any]]:
        items = []
        for ticket in tickets:
            if ticket["status"]["S"] != TicketStatus.VALID.value:
                continue
            values = {
                ":void": s(TicketStatus.VOID.value),
                ":valid": s(TicketStatus.VALID.value),
            }
            # Also as read: a transfer meanwhile makes the caller decide again.
            condition = "#status = :valid AND attribute_not_exists(code_generation)"
            if "code_generation" in ticket:
                condition = "#status = :valid AND code_generation = :generation"
                values[":generation"] = ticket["code_generation"]
            items.append(
                {
                    "Update": {
                        "TableName": self.t("tickets"),
                        "Key": {"id": ticket["id"]},
                        "UpdateExpression": "SET #status = :void",
                        "ConditionExpression": condition,
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": values,
                    }
                }
            )
        return items

    async def _expired_holds(self, event_id: str, now: datetime) -> list[Item]:
        return [
            item
            async for item in self.query_all(
                "registrations",
                IndexName="by_event",
                KeyConditionExpression="event_id = :e",
                FilterExpression="#status = :held AND hold_expires_at <= :now",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":e": s(event_id),
                    ":held": s(HELD),
                    ":now": s(iso(now)),
                },
            )
        ]

    async def release_expired(self, event_id: str, now: datetime) -> int:
        """Expire the event's run-out holds (each with its seats, in one transaction) and
        recompute `holds_expire_next`; returns the seats freed by this call."""
        freed = 0
        # Its types exist before seats go back to them.
        event_item = await self.event_item(event_id)
        zone = event_from_item(event_item).zone
        shards = shard_count(event_item)
        for item in await self._expired_holds(event_id, now):
            quantity = int(item["quantity"]["N"])
            registration = registration_from_item(item)
            gone = seats_back(replace(registration, status=RegistrationStatus.HELD))
            for attempt in range(RETRIES):
                try:
                    await self.transact(
                        [
                            {
                                "Update": {
                                    "TableName": self.t("registrations"),
                                    "Key": {"id": item["id"]},
                                    "UpdateExpression": (
                                        "SET #status = :expired, updated_at = :now"
                                        " REMOVE hold_expires_at"
                                    ),
                                    "ConditionExpression": "#status = :held",
                                    "ExpressionAttributeNames": {"#status": "status"},
                                    "ExpressionAttributeValues": {
                                        ":expired": s(RegistrationStatus.EXPIRED.value),
                                        ":held": s(HELD),
                                        ":now": s(iso(now)),
                                    },
                                }
                            },
                            *self.counter_writes(event_id, shards, gone, item["id"]["S"]),
                            *self.account_change(event_id, item["user_id"]["S"], gone),
                            *self.promo_changes(event_id, gone),
                            *self.figure_writes(
                                event_id, seat_bumps(gone, now, zone), registration.id
                            ),
                        ]
                    )
                except Refused as refused:
                    if refused.failed(0):
                        break  # confirmed, cancelled or released by someone else
                    await self.backoff(attempt)
                    continue
                freed += quantity
                break
        await self.refresh_next_expiry(event_id)
        await self.seats_came_back(event_id, now)  # a run-out offer's seats too
        return freed

    async def seats_came_back(self, event_id: str, now: datetime) -> None:
        """Called after every step that gave seats back; the waiting list offers them
        (models/dynamo/waitlist.py overrides this)."""

    async def refresh_next_expiry(self, event_id: str) -> None:
        """Set the event's `holds_expire_next` to its earliest live hold (or remove it)."""
        for attempt in range(RETRIES):
            seen, _ = await self._event(event_id)
            earliest = None
            async for item in self.query_all(
                "registrations",
                IndexName="by_event",
                KeyConditionExpression="event_id = :e",
                FilterExpression="#status = :held AND attribute_exists(hold_expires_at)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":e": s(event_id), ":held": s(HELD)},
                ProjectionExpression="hold_expires_at",
            ):
                moment = item["hold_expires_at"]["S"]
                earliest = moment if earliest is None else min(earliest, moment)
            if seen.seat_shards > 1:  # each hold set the hint on its shard
                await self.shard_hints(event_id, seen.seat_shards, earliest)
                return
            values: dict[str, Any] = {}
            condition = next_expiry_condition(seen.holds_expire_next, values)
            if earliest is None:
                expression = "REMOVE holds_expire_next"
            else:
                expression = "SET holds_expire_next = :next"
                values[":next"] = s(earliest)
            arguments: dict[str, Any] = {
                **self._event_key(event_id),
                "UpdateExpression": expression,
                "ConditionExpression": condition,
            }
            if values:
                arguments["ExpressionAttributeValues"] = values
            try:
                if await self.conditional("update_item", **arguments) is not None:
                    return
            except Refused:
                pass
            await self.backoff(attempt)
