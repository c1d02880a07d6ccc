"""The waiting list on DynamoDB (invariant 7), in the events table:

- `wentry#<entry id>`: one entry (its state is `entry_status`: the item has no `status`
  or `organizer_id`, so it stays out of the table's indexes);
- `waitlist#<event id>`: `entry_ids`, the event's entries in the order they joined;
- `waitlisted#<user id>`: `entry_ids`, a set of one account's entries.

The seats waited for are `waitlist_seats` / `waitlist_entries` on the event item and
`waitlist_seats` on the type's item. A hold that sells to the public is conditioned on
`waitlist_seats` not having grown since it read them (seats.py), and its capacity limit
leaves them out. Joining is one TransactWriteItems conditioned on the event (or type)
being still sold out to the public as read (`seats_taken` and `waitlist_seats` no lower,
the version the same); an offer is one TransactWriteItems conditioned on the entry still
waiting and the seats still free (`seats_taken <= capacity - q`), with its held
registration, the account's counter and its mail job: no seat is offered twice.

Each step that gives seats back (seats.py `seats_came_back`) offers them after its own
transaction; meanwhile the public's holds are refused by `waitlist_seats`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from models.domain import Event, Registration, TicketType
from models.dynamo.base import RETRIES, Refused
from models.dynamo.codec import (
    Item,
    event_from_item,
    from_item,
    iso,
    registration_item,
    to_item,
    type_key,
)
from models.dynamo.seat_shard_holds import DynamoSeatShards
from models.dynamo.seats import n, next_expiry_condition, s
from models.errors import Conflict, NotFound
from models.figures import seat_bumps
from models.waitlist import EntryStatus, WaitlistEntry, order_key
from models.waitlist_rules import (
    Offer,
    WaitChange,
    choose_offers,
    chosen_offer,
    join_refusal,
    joined,
    leave_refusal,
    left,
    offer_due,
    offer_job,
)


def entry_key(entry_id: str) -> str:
    return f"wentry#{entry_id}"


def entry_item(entry: WaitlistEntry) -> Item:
    return to_item(
        {
            "id": entry_key(entry.id),
            "entry_id": entry.id,
            "event_id": entry.event_id,
            "ticket_type_id": entry.ticket_type_id,
            "user_id": entry.user_id,
            "user_name": entry.user_name,
            "user_email": entry.user_email,
            "quantity": entry.quantity,
            "entry_status": entry.status.value,
            "created_at": entry.created_at,
            "updated_at": entry.updated_at,
            "registration_id": entry.registration_id,
            "offer_expires_at": entry.offer_expires_at,
        }
    )


def entry_from_item(item: Item) -> WaitlistEntry:
    v = from_item(item)

    def moment(name: str) -> datetime | None:
        return datetime.fromisoformat(v[name]) if v.get(name) else None

    created = moment("created_at")
    assert created is not None
    return WaitlistEntry(
        id=v["entry_id"],
        event_id=v["event_id"],
        ticket_type_id=v["ticket_type_id"],
        user_id=v["user_id"],
        user_name=v["user_name"],
        user_email=v["user_email"],
        quantity=v["quantity"],
        status=EntryStatus(v["entry_status"]),
        created_at=created,
        updated_at=moment("updated_at"),
        registration_id=v.get("registration_id"),
        offer_expires_at=moment("offer_expires_at"),
    )


class DynamoWaitlist(DynamoSeatShards):
    # -- reading ------------------------------------------------------------------------

    async def get_waitlist_entry(self, entry_id: str) -> WaitlistEntry | None:
        item = await self.get("events", {"id": entry_key(entry_id)})
        return entry_from_item(item) if item else None

    async def _entries(self, list_key: str) -> list[WaitlistEntry]:
        listed = await self.get("events", {"id": list_key})
        if listed is None or "entry_ids" not in listed:
            return []
        value = listed["entry_ids"]
        ids = [x["S"] for x in value["L"]] if "L" in value else list(value["SS"])
        keys: list[dict[str, Any]] = [{"id": s(entry_key(i))} for i in ids]
        return [entry_from_item(x) for x in await self.batch_get("events", keys)]

    async def list_event_waitlist(self, event_id: str) -> list[WaitlistEntry]:
        return sorted(await self._entries(f"waitlist#{event_id}"), key=order_key)

    async def list_user_waitlist(self, user_id: str) -> list[WaitlistEntry]:
        return sorted(await self._entries(f"waitlisted#{user_id}"), key=order_key, reverse=True)

    async def _types(self, event_id: str) -> tuple[Event, int, dict[str, TicketType]]:
        item = await self.event_item(event_id)
        version = int(item.get("version", {"N": "0"})["N"])
        types = {kind.id: kind for kind in await self.types_of(item)}
        return event_from_item(item), version, types

    # -- what the figures and the organizer's messages read ---------------------------

    async def waitlist_size(self, event_id: str) -> int:
        """People waiting: the entries waiting, as counted with each step."""
        item = await self.get("events", {"id": event_id})
        return int(item.get("waitlist_entries", {"N": "0"})["N"]) if item else 0

    async def list_waitlist_user_ids(self, event_id: str) -> list[str]:
        waiting = [e.user_id for e in await self.list_event_waitlist(event_id) if e.waiting]
        return list(dict.fromkeys(waiting))

    # -- joining and leaving -------------------------------------------------------------

    async def join_waitlist(self, entry: WaitlistEntry, now: datetime) -> WaitlistEntry:
        for attempt in range(RETRIES):
            event, version, types = await self._types(entry.event_id)
            if event.is_on_sale(now) and event.has_expired_holds(now):
                await self.release_expired(event.id, now)
                continue
            mine_key = f"waitlisted#{entry.user_id}"
            mine = await self.get("events", {"id": mine_key})
            joins = int(mine["joins"]["N"]) if mine and "joins" in mine else 0
            waiting_already = any(
                e.event_id == event.id and e.status in (EntryStatus.WAITING, EntryStatus.OFFERED)
                for e in await self._entries(mine_key)
            )
            held = await self.account_seats(event.id, entry.user_id)
            if refusal := join_refusal(event, types, entry, now, held, waiting_already):
                raise refusal
            kind = types[entry.ticket_type_id]
            try:
                await self.transact(
                    [
                        self._still_sold_out(event, version, joined(entry)),
                        self._type_still_sold_out(event.id, kind, joined(entry)),
                        {
                            "Put": {
                                "TableName": self.t("events"),
                                "Item": entry_item(entry),
                                "ConditionExpression": "attribute_not_exists(id)",
                            }
                        },
                        self._list_append(f"waitlist#{event.id}", entry.id),
                        {
                            # Conditioned on the account's joins as read: two joins of
                            # one account at once are decided one after the other.
                            "Update": {
                                "TableName": self.t("events"),
                                "Key": {"id": s(mine_key)},
                                "UpdateExpression": "ADD entry_ids :id, joins :one",
                                "ConditionExpression": "attribute_not_exists(joins)"
                                " OR joins = :joins",
                                "ExpressionAttributeValues": {
                                    ":id": {"SS": [entry.id]},
                                    ":one": n(1),
                                    ":joins": n(joins),
                                },
                            }
                        },
                        {
                            # The seats the account holds, as read (an offer adds to them).
                            "ConditionCheck": {
                                **self._account_key(event.id, entry.user_id),
                                "ConditionExpression": "attribute_not_exists(seats)"
                                " OR seats = :held",
                                "ExpressionAttributeValues": {":held": n(held)},
                            }
                        },
                    ]
                )
            except Refused as refused:
                if refused.failed(2):
                    raise Conflict("This entry exists already.") from refused
                await self.backoff(attempt)  # the counters moved: decide again
                continue
            # Seats free but held back for older entries that do not fit may fit it.
            await self.offer_waitlist(event.id, now)
            found = await self.get_waitlist_entry(entry.id)
            assert found is not None
            return found
        raise Conflict("The event is being changed by someone else; try again.")

    def _still_sold_out(self, event: Event, version: int, wait: WaitChange) -> dict[str, Any]:
        """The event's counters moved by `wait`, on condition that what made it sold out
        to the public still holds: no fewer seats taken or waited for, the same version."""
        values: dict[str, Any] = {
            ":seats": n(wait.seats),
            ":entries": n(wait.entries),
            ":version": n(version),
            ":taken": n(event.seats_taken),
        }
        condition = "version = :version AND seats_taken >= :taken"
        if event.waitlist_seats:
            condition += " AND waitlist_seats >= :waited"
            values[":waited"] = n(event.waitlist_seats)
        return {
            "Update": {
                **self._event_key(event.id),
                "UpdateExpression": "ADD waitlist_seats :seats, waitlist_entries :entries",
                "ConditionExpression": condition,
                "ExpressionAttributeValues": values,
            }
        }

    def _type_still_sold_out(
        self, event_id: str, kind: TicketType, wait: WaitChange
    ) -> dict[str, Any]:
        values: dict[str, Any] = {":seats": n(wait.seats), ":taken": n(kind.seats_taken)}
        condition = "attribute_exists(id) AND seats_taken >= :taken"
        names = {"#capacity": "capacity"}
        if kind.capacity is None:
            condition += " AND attribute_not_exists(#capacity)"
        else:
            condition += " AND #capacity = :capacity"
            values[":capacity"] = n(kind.capacity)
        if kind.waitlist_seats:
            condition += " AND waitlist_seats >= :waited"
            values[":waited"] = n(kind.waitlist_seats)
        return {
            "Update": {
                "TableName": self.t("events"),
                "Key": {"id": s(type_key(event_id, kind.id))},
                "UpdateExpression": "ADD waitlist_seats :seats",
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }

    def _list_append(self, key: str, entry_id: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.t("events"),
                "Key": {"id": s(key)},
                "UpdateExpression": (
                    "SET entry_ids = list_append(if_not_exists(entry_ids, :empty), :id)"
                ),
                "ExpressionAttributeValues": {":empty": {"L": []}, ":id": {"L": [s(entry_id)]}},
            }
        }

    def _wait_moves(self, event_id: str, wait: WaitChange) -> list[dict[str, Any]]:
        """Seats waited for given back (no condition: they only free seats)."""
        return [
            {
                "Update": {
                    **self._event_key(event_id),
                    "UpdateExpression": "ADD waitlist_seats :seats, waitlist_entries :entries",
                    "ExpressionAttributeValues": {
                        ":seats": n(wait.seats),
                        ":entries": n(wait.entries),
                    },
                }
            },
            {
                "Update": {
                    "TableName": self.t("events"),
                    "Key": {"id": s(type_key(event_id, wait.ticket_type_id))},
                    "UpdateExpression": "ADD waitlist_seats :seats",
                    "ConditionExpression": "attribute_exists(id)",
                    "ExpressionAttributeValues": {":seats": n(wait.seats)},
                }
            },
        ]

    def _entry_moves(
        self, entry: WaitlistEntry, to: WaitlistEntry, now: datetime
    ) -> dict[str, Any]:
        """The entry moved from waiting to what `to` says, on condition it still waits."""
        values: dict[str, Any] = {
            ":to": s(to.status.value),
            ":waiting": s(EntryStatus.WAITING.value),
            ":now": s(iso(now)),
        }
        sets = ["entry_status = :to", "updated_at = :now"]
        if to.registration_id is not None:
            sets.append("registration_id = :registration")
            values[":registration"] = s(to.registration_id)
        if to.offer_expires_at is not None:
            sets.append("offer_expires_at = :ends")
            values[":ends"] = s(iso(to.offer_expires_at))
        return {
            "Update": {
                "TableName": self.t("events"),
                "Key": {"id": s(entry_key(entry.id))},
                "UpdateExpression": "SET " + ", ".join(sets),
                "ConditionExpression": "entry_status = :waiting",
                "ExpressionAttributeValues": values,
            }
        }

    async def leave_waitlist(self, entry_id: str, user_id: str, now: datetime) -> WaitlistEntry:
        for attempt in range(RETRIES):
            entry = await self.get_waitlist_entry(entry_id)
            if refusal := leave_refusal(entry, user_id):
                raise refusal
            assert entry is not None
            gone = replace(entry, status=EntryStatus.LEFT, updated_at=now)
            try:
                await self.transact(
                    [
                        self._entry_moves(entry, gone, now),
                        *self._wait_moves(entry.event_id, left(entry)),
                    ]
                )
            except Refused:
                await self.backoff(attempt)  # offered meanwhile: decide again
                continue
            await self.offer_waitlist(entry.event_id, now)
            return gone
        raise Conflict("This entry is being changed; try again.")

    # -- offers ----------------------------------------------------------------------------

    async def seats_came_back(self, event_id: str, now: datetime) -> None:
        """Invariant 7: seats given back go to the waiting list first."""
        await self.offer_waitlist(event_id, now)

    async def offer_waitlist(
        self, event_id: str, now: datetime, entry_id: str | None = None
    ) -> list[Registration]:
        """One offer per transaction, deciding again on fresh reads after each."""
        made: list[Registration] = []
        for attempt in range(RETRIES):
            try:
                event, version, types = await self._types(event_id)
            except NotFound:
                if entry_id is not None:
                    raise
                return made
            if entry_id is None and not offer_due(event):
                return made
            if entry_id is None:
                waiting = [e for e in await self.list_event_waitlist(event_id) if e.waiting]
                offers = choose_offers(event, types, waiting, now)
                if not offers:
                    return made
                offer = offers[0]
            else:
                offer = chosen_offer(event, types, await self.get_waitlist_entry(entry_id), now)
            try:
                await self.transact(self._offer_items(event, version, types, offer, now))
            except Refused:
                await self.backoff(attempt)  # the seats or the entry moved: decide again
                continue
            made.append(offer.registration)
            if entry_id is not None:
                return made
        return made

    def _offer_items(
        self,
        event: Event,
        version: int,
        types: dict[str, TicketType],
        offer: Offer,
        now: datetime,
    ) -> list[dict[str, Any]]:
        registration = offer.registration
        q = registration.quantity
        ends = registration.hold_expires_at
        assert ends is not None
        values: dict[str, Any] = {
            ":q": n(q),
            ":minus": n(-q),
            ":one": n(-1),
            ":version": n(version),
            ":limit": n(event.capacity - q),
        }
        condition = "version = :version AND seats_taken <= :limit AND " + next_expiry_condition(
            event.holds_expire_next, values
        )
        expression = (
            "ADD seats_held :q, seats_taken :q, waitlist_seats :minus, waitlist_entries :one"
        )
        next_expiry = (
            ends if event.holds_expire_next is None else min(event.holds_expire_next, ends)
        )
        if next_expiry != event.holds_expire_next:
            expression += " SET holds_expire_next = :next"
            values[":next"] = s(iso(next_expiry))
        kind = types[offer.wait.ticket_type_id]
        type_values: dict[str, Any] = {":q": n(q), ":minus": n(-q), ":yes": {"BOOL": True}}
        type_condition = "attribute_exists(id)"
        if kind.capacity is None:
            type_condition += " AND attribute_not_exists(#capacity)"
        else:
            type_condition += " AND #capacity = :capacity AND seats_taken <= :type_limit"
            type_values[":capacity"] = n(kind.capacity)
            type_values[":type_limit"] = n(kind.capacity - q)
        return [
            {
                "Update": {
                    **self._event_key(event.id),
                    "UpdateExpression": expression,
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": values,
                }
            },
            {
                "Update": {
                    "TableName": self.t("events"),
                    "Key": {"id": s(type_key(event.id, kind.id))},
                    "UpdateExpression": (
                        "ADD seats_held :q, seats_taken :q, waitlist_seats :minus SET in_use = :yes"
                    ),
                    "ConditionExpression": type_condition,
                    "ExpressionAttributeNames": {"#capacity": "capacity"},
                    "ExpressionAttributeValues": type_values,
                }
            },
            self._entry_moves(offer.entry, offer.entry, now),
            {
                "Put": {
                    "TableName": self.t("registrations"),
                    "Item": registration_item(registration),
                    "ConditionExpression": "attribute_not_exists(id)",
                }
            },
            {
                # The account's own counter (max_per_account) counts the offer's seats, so
                # giving them back later subtracts what was added.
                "Update": {
                    **self._account_key(event.id, registration.user_id),
                    "UpdateExpression": "ADD seats :q",
                    "ExpressionAttributeValues": {":q": n(q)},
                }
            },
            self.job_put(offer_job(offer.entry.id, now)),
            *self.figure_writes(
                event.id, seat_bumps(offer.seats, now, event.zone), registration.id
            ),
        ]
