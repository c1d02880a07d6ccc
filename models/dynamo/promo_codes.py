"""Promo codes on DynamoDB: items of the events table (no `organizer_id` or `status`, so
they stay out of its indexes):

- `promo#<event id>#<promo id>`: the code, its `uses` counter and a `version` that every
  edit bumps. A deleted code keeps its item (`deleted`), so that a use given back
  later still has a counter to go to.
- `promocode#<event id>#<folded code>`: `promo_id`, the claim on a spelling (unique
  without regard to case, and the lookup at registration: two point reads).
- `promos#<event id>`: `ids`, the event's codes in order, for the organizer's list.

Definitions change here, each in one transaction. `uses` moves only in the seat
operations (models/dynamo/seats.py and its callers), in the same TransactWriteItems as
the seats: a take is an `ADD uses :one` conditioned on the version read and
`uses <= max_uses - 1` (invariant 6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from models.dynamo.base import RETRIES, DynamoBase, Refused
from models.dynamo.codec import Item, from_iso, from_item, to_item
from models.errors import Conflict, NotFound, ValidationFailed
from models.promo_codes import CODE_TAKEN, PromoCode, below_uses, code_key
from models.seat_rules import SeatChange

BUSY = "The promo code is being changed by someone else; try again."
DEFINITION = (
    "code", "percent_off", "amount_off", "max_uses", "valid_from", "valid_until",
    "unlocks_hidden",
)  # fmt: skip


def promo_key(event_id: str, promo_id: str) -> str:
    return f"promo#{event_id}#{promo_id}"


def claim_key(event_id: str, code: str) -> str:
    return f"promocode#{event_id}#{code_key(code)}"


def list_key(event_id: str) -> str:
    return f"promos#{event_id}"


def promo_item(promo: PromoCode, version: int = 0) -> Item:
    values: dict[str, object] = {name: getattr(promo, name) for name in DEFINITION}
    values.update(
        id=promo_key(promo.event_id, promo.id),
        promo_id=promo.id,
        event_id=promo.event_id,
        ticket_type_ids=list(promo.ticket_type_ids),
        uses=promo.uses,
        created_at=promo.created_at,
        version=version,
    )
    return to_item(values)


def promo_from_item(item: Item) -> tuple[PromoCode, int]:
    """The code and its version."""
    v = from_item(item)
    moment = {name: iso_back(v.get(name)) for name in ("valid_from", "valid_until", "created_at")}
    promo = PromoCode(
        id=v["promo_id"],
        event_id=v["event_id"],
        code=v["code"],
        percent_off=v.get("percent_off"),
        amount_off=v.get("amount_off"),
        max_uses=v.get("max_uses"),
        valid_from=moment["valid_from"],
        valid_until=moment["valid_until"],
        ticket_type_ids=tuple(v.get("ticket_type_ids", ())),
        unlocks_hidden=bool(v.get("unlocks_hidden", False)),
        uses=v.get("uses", 0),
        **({"created_at": moment["created_at"]} if moment["created_at"] else {}),
    )
    return promo, v.get("version", 0)


def iso_back(text: Any) -> Any:
    return from_iso(text) if text else None


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


class DynamoPromoUses(DynamoBase):
    """Reading a code inside a seat operation, and the writes that move its uses."""

    async def promo_read(self, event_id: str, promo_id: str | None) -> tuple[PromoCode | None, int]:
        """The code (strongly consistent) and its version; None for none or a deleted
        one."""
        if promo_id is None:
            return None, 0
        item = await self.get("events", {"id": promo_key(event_id, promo_id)})
        if item is None or "deleted" in item:
            return None, 0
        return promo_from_item(item)

    def promo_changes(
        self, event_id: str, change: SeatChange, seen: tuple[PromoCode | None, int] = (None, 0)
    ) -> list[dict[str, Any]]:
        """One update per code whose uses the change moves. A take is conditioned on the
        code read (`seen`: its version, so its `max_uses` and dates are the ones decided
        on) and on `uses <= max_uses - q`; a give-back is a plain ADD (the item is never
        removed, even when the code is deleted)."""
        updates = []
        promo, version = seen
        for use in change.promos:
            update: dict[str, Any] = {
                "TableName": self.t("events"),
                "Key": {"id": _s(promo_key(event_id, use.promo_id))},
                "UpdateExpression": "ADD uses :q",
                "ExpressionAttributeValues": {":q": _n(use.uses)},
            }
            if use.uses > 0:
                assert promo is not None
                assert promo.id == use.promo_id
                condition = "attribute_exists(id) AND attribute_not_exists(deleted)"
                condition += " AND version = :version"
                values = update["ExpressionAttributeValues"]
                values[":version"] = _n(version)
                if promo.max_uses is not None:
                    condition += " AND uses <= :most"
                    values[":most"] = _n(promo.max_uses - use.uses)
                update["ConditionExpression"] = condition
            updates.append({"Update": update})
        return updates


class DynamoPromoCodes(DynamoPromoUses):
    async def _ids(self, event_id: str) -> tuple[list[str], int | None]:
        """The event's code ids in order and the list's version (None: no list yet)."""
        item = await self.get("events", {"id": list_key(event_id)})
        if item is None:
            return [], None
        return [value["S"] for value in item["ids"]["L"]], int(item["version"]["N"])

    def _list_write(self, event_id: str, ids: list[str], version: int | None) -> dict[str, Any]:
        update: dict[str, Any] = {
            "TableName": self.t("events"),
            "Key": {"id": _s(list_key(event_id))},
            "UpdateExpression": "SET ids = :ids ADD version :one",
            "ExpressionAttributeValues": {":ids": {"L": [_s(i) for i in ids]}, ":one": _n(1)},
        }
        if version is None:
            update["ConditionExpression"] = "attribute_not_exists(id)"
        else:
            update["ConditionExpression"] = "version = :version"
            update["ExpressionAttributeValues"][":version"] = _n(version)
        return {"Update": update}

    def _claim_put(self, promo: PromoCode) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.t("events"),
                "Item": {
                    "id": _s(claim_key(promo.event_id, promo.code)),
                    "promo_id": _s(promo.id),
                },
                "ConditionExpression": "attribute_not_exists(id)",
            }
        }

    def _claim_delete(self, event_id: str, code: str, promo_id: str) -> dict[str, Any]:
        return {
            "Delete": {
                "TableName": self.t("events"),
                "Key": {"id": _s(claim_key(event_id, code))},
                "ConditionExpression": "promo_id = :p",
                "ExpressionAttributeValues": {":p": _s(promo_id)},
            }
        }

    async def add_promo_code(self, promo: PromoCode) -> PromoCode:
        for attempt in range(RETRIES):
            ids, version = await self._ids(promo.event_id)
            items = [
                self._claim_put(promo),
                {
                    "Put": {
                        "TableName": self.t("events"),
                        "Item": promo_item(promo),
                        "ConditionExpression": "attribute_not_exists(id)",
                    }
                },
                self._list_write(promo.event_id, [*ids, promo.id], version),
            ]
            try:
                await self.transact(items)
            except Refused as refused:
                if refused.failed(0):
                    raise ValidationFailed(CODE_TAKEN) from refused
                if refused.failed(1):
                    raise Conflict("A promo code with this id exists.") from refused
                await self.backoff(attempt)
                continue
            return promo
        raise Conflict(BUSY)

    async def list_promo_codes(self, event_id: str) -> list[PromoCode]:
        ids, _ = await self._ids(event_id)
        found: dict[str, PromoCode] = {}
        keys: list[dict[str, Any]] = [{"id": _s(promo_key(event_id, i))} for i in ids]
        while keys:
            response = await self.client.batch_get_item(
                RequestItems={self.t("events"): {"Keys": keys[:100], "ConsistentRead": True}}
            )
            for got in response.get("Responses", {}).get(self.t("events"), ()):
                promo, _ = promo_from_item(got)
                found[promo.id] = promo
            unprocessed = response.get("UnprocessedKeys", {}).get(self.t("events"), {})
            keys = list(unprocessed.get("Keys", ())) + keys[100:]
        return [found[i] for i in ids if i in found]

    async def get_promo_code(self, event_id: str, promo_id: str) -> PromoCode | None:
        promo, _ = await self.promo_read(event_id, promo_id)
        return promo

    async def find_promo_code(self, event_id: str, code: str) -> PromoCode | None:
        claim = await self.get("events", {"id": claim_key(event_id, code)})
        if claim is None:
            return None
        return await self.get_promo_code(event_id, claim["promo_id"]["S"])

    async def update_promo_code(
        self, event_id: str, promo_id: str, change: Callable[[PromoCode], PromoCode]
    ) -> PromoCode:
        """Conditioned on the version and the uses read: a use taken meanwhile makes it
        read again, so `max_uses` is never set below the uses."""
        for attempt in range(RETRIES):
            current, version = await self.promo_read(event_id, promo_id)
            if current is None:
                raise NotFound("This promo code does not exist.")
            changed = change(current)
            below_uses(changed)
            values = {name: getattr(changed, name) for name in DEFINITION}
            values["ticket_type_ids"] = list(changed.ticket_type_ids)
            sets = [name for name, value in values.items() if value is not None]
            removes = [name for name, value in values.items() if value is None]
            names = {f"#{name}": name for name in values}
            attribute_values: dict[str, Any] = {
                f":{name}": to_item({name: values[name]})[name] for name in sets
            }
            attribute_values.update({":version": _n(version), ":uses": _n(current.uses)})
            expression = "SET " + ", ".join(f"#{name} = :{name}" for name in sets)
            expression += ", version = version + :one"
            attribute_values[":one"] = _n(1)
            if removes:
                expression += " REMOVE " + ", ".join(f"#{name}" for name in removes)
            items: list[dict[str, Any]] = [
                {
                    "Update": {
                        "TableName": self.t("events"),
                        "Key": {"id": _s(promo_key(event_id, promo_id))},
                        "UpdateExpression": expression,
                        "ConditionExpression": (
                            "version = :version AND uses = :uses AND attribute_not_exists(deleted)"
                        ),
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": attribute_values,
                    }
                }
            ]
            if changed.key != current.key:
                items += [
                    self._claim_put(changed),
                    self._claim_delete(event_id, current.code, promo_id),
                ]
            try:
                await self.transact(items)
            except Refused as refused:
                if len(items) > 1 and refused.failed(1):
                    raise ValidationFailed(CODE_TAKEN) from refused
                await self.backoff(attempt)
                continue
            updated, _ = await self.promo_read(event_id, promo_id)
            assert updated is not None
            return updated
        raise Conflict(BUSY)

    async def delete_promo_code(self, event_id: str, promo_id: str) -> None:
        for attempt in range(RETRIES):
            current, version = await self.promo_read(event_id, promo_id)
            if current is None:
                raise NotFound("This promo code does not exist.")
            ids, list_version = await self._ids(event_id)
            items = [
                {
                    "Update": {
                        "TableName": self.t("events"),
                        "Key": {"id": _s(promo_key(event_id, promo_id))},
                        "UpdateExpression": "SET deleted = :yes, version = version + :one",
                        "ConditionExpression": "version = :version",
                        "ExpressionAttributeValues": {
                            ":yes": {"BOOL": True},
                            ":one": _n(1),
                            ":version": _n(version),
                        },
                    }
                },
                self._claim_delete(event_id, current.code, promo_id),
                self._list_write(event_id, [i for i in ids if i != promo_id], list_version),
            ]
            try:
                await self.transact(items)
            except Refused:
                await self.backoff(attempt)
                continue
            return
        raise Conflict(BUSY)
