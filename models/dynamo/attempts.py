"""Attempts under a limit on DynamoDB: `limit` numbered slots per key.

DynamoDB cannot count and write in one step, so an attempt takes a slot: one item per
(key, slot number) in the failed log-ins table, under `slot#<key>`. A conditional put
claims a slot only when it is empty or its attempt is older than the window; with at most
`limit` slots, at most `limit` attempts fall in any window, however many callers race.
Old slots expire by TTL.
"""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

from models.domain import Attempt
from models.dynamo.base import RETRIES, DynamoBase
from models.dynamo.codec import from_iso, iso

# Attempts older than this are of no use to any limit (the longest looks back a day);
# DynamoDB's TTL drops them.
ATTEMPT_TTL = timedelta(days=2)


def _slot_key(key: str) -> str:
    return f"slot#{key}"


def _slot_name(index: int) -> str:
    return f"{index:06d}"


class DynamoAttempts(DynamoBase):
    async def take_attempt(self, key: str, at: datetime, since: datetime, limit: int) -> Attempt:
        after = iso(since)
        for attempt in range(RETRIES):
            live: dict[str, str] = {}
            async for item in self.query_all(
                "login_failures",
                KeyConditionExpression="#key = :key",
                ExpressionAttributeNames={"#key": "key"},
                ExpressionAttributeValues={":key": {"S": _slot_key(key)}},
                ConsistentRead=True,
            ):
                if item["taken_at"]["S"] > after:
                    live[item["at"]["S"]] = item["taken_at"]["S"]
            if len(live) >= limit:
                return Attempt(None, from_iso(min(live.values())) if live else since)
            slot = _free_slot(live, limit)
            token = f"{slot}:{secrets.token_hex(8)}"
            claimed = await self.conditional(
                "put_item",
                TableName=self.t("login_failures"),
                Item={
                    "key": {"S": _slot_key(key)},
                    "at": {"S": slot},
                    "taken_at": {"S": iso(at)},
                    "token": {"S": token},
                    "expires_ttl": {"N": str(int((at + ATTEMPT_TTL).timestamp()))},
                },
                ConditionExpression="attribute_not_exists(#key) OR taken_at <= :after",
                ExpressionAttributeNames={"#key": "key"},
                ExpressionAttributeValues={":after": {"S": after}},
            )
            if claimed is not None:
                return Attempt(token)
            await self.backoff(attempt)
        # Lost every race: as busy as a limit reached, and worth trying again at once.
        return Attempt(None, since)

    async def release_attempt(self, key: str, token: str) -> None:
        slot, _, _ = token.partition(":")
        await self.conditional(
            "delete_item",
            TableName=self.t("login_failures"),
            Key={"key": {"S": _slot_key(key)}, "at": {"S": slot}},
            ConditionExpression="#token = :token",
            ExpressionAttributeNames={"#token": "token"},
            ExpressionAttributeValues={":token": {"S": token}},
        )


def _free_slot(live: dict[str, str], limit: int) -> str:
    """A random free slot, so parallel takers seldom race for the same one."""
    # S311: spreading load, not a secret.
    if len(live) * 2 < limit:
        while (slot := _slot_name(random.randrange(limit))) in live:  # noqa: S311
            pass
        return slot
    return random.choice([n for i in range(limit) if (n := _slot_name(i)) not in live])  # noqa: S311
