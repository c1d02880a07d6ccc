"""Seat shards on SQLite: one writer takes every seat in turn, so there is nothing to
split; `shard_event` answers as the DynamoDB store does (docs/SCALING.md)."""

from __future__ import annotations

from models.errors import Conflict, NotFound, ValidationFailed
from models.seat_shards import MOST_SHARDS, WAITING_REFUSAL
from models.sqlite.events import SqliteEvents


class SqliteSeatShards(SqliteEvents):
    async def shard_event(self, event_id: str, shards: int) -> None:
        if not 1 <= shards <= MOST_SHARDS:
            raise ValidationFailed({"shards": f"From 1 to {MOST_SHARDS} shards."})
        event = await self.get_event(event_id)
        if event is None:
            raise NotFound("This event does not exist.")
        if shards > 1 and event.waitlist_entries:
            raise Conflict(WAITING_REFUSAL)
