"""An event's figures on DynamoDB (models/figures.py): counter items in the `figures`
table, key `event_id` + `sk`, moved by `ADD` updates inside the same
TransactWriteItems that sells or scans, and read with one Query.

A hot event sells faster than one item takes writes (about 1,000 a second), so each
record is split over `SHARDS` items (`sk = "day#2026-12-04#3"`), the shard picked from the
registration's or ticket's id: concurrent sales spread over them, and a read adds them up.
Days and quarter hours spread the load over time as well.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

from models.dynamo.base import DynamoBase
from models.figures import VERSION, Bump, EventFigures, figures_from, merged

SHARDS = 4
NAMES = {"#t": "tickets", "#r": "revenue", "#c": "count"}


def shard_of(spread: str) -> int:
    return zlib.crc32(spread.encode()) % SHARDS


class DynamoFigures(DynamoBase):
    def figure_writes(
        self, event_id: str, bumps: Iterable[Bump], spread: str
    ) -> list[dict[str, Any]]:
        """Transaction items adding `bumps` to the event's counter items (no condition:
        they never refuse the caller's transaction)."""
        shard = shard_of(spread)
        writes = []
        for b in merged(bumps):
            values = {":t": {"N": str(b.tickets)}, ":r": {"N": str(b.revenue)}}
            values[":c"] = {"N": str(b.count)}
            writes.append(
                {
                    "Update": {
                        "TableName": self.t("figures"),
                        "Key": {"event_id": {"S": event_id}, "sk": {"S": f"{b.key}#{shard}"}},
                        "UpdateExpression": "ADD #t :t, #r :r, #c :c",
                        "ExpressionAttributeNames": NAMES,
                        "ExpressionAttributeValues": values,
                    }
                }
            )
        return writes

    async def _records(self, event_id: str, prefix: str = "") -> list[Bump]:
        condition = "event_id = :e"
        values: dict[str, Any] = {":e": {"S": event_id}}
        if prefix:
            condition += " AND begins_with(sk, :p)"
            values[":p"] = {"S": prefix}
        return [
            Bump(
                item["sk"]["S"].rsplit("#", 1)[0],
                int(item.get("tickets", {"N": "0"})["N"]),
                int(item.get("revenue", {"N": "0"})["N"]),
                int(item.get("count", {"N": "0"})["N"]),
            )
            async for item in self.query_all(
                "figures",
                KeyConditionExpression=condition,
                ExpressionAttributeValues=values,
                ConsistentRead=True,
            )
        ]

    async def event_figures(self, event_id: str) -> EventFigures:
        return figures_from(await self._records(event_id))

    async def figures_version(self, event_id: str) -> int:
        return figures_from(await self._records(event_id, VERSION + "#")).version
