"""What every part of the SQLite store shares: the engine and the write transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from piccolo.engine.sqlite import TransactionType

from models.sqlite.engine import DEFAULT_BUSY_TIMEOUT, make_engine


class SqliteBase:
    def __init__(self, path: Path, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        self.path = path
        self.engine = make_engine(path, busy_timeout)
        # SQLite has one writer at a time. Queuing this process's writers here costs
        # nothing, while letting them collide in SQLite means its busy handler's sleeps
        # (up to 100 ms each) land in the p99. Other processes still meet the busy timeout.
        self._write_lock = asyncio.Lock()

    @asynccontextmanager
    async def write_transaction(self) -> AsyncIterator[None]:
        """BEGIN IMMEDIATE: take the write lock before reading, so read-then-write is atomic."""
        async with (
            self._write_lock,
            self.engine.transaction(transaction_type=TransactionType.immediate),
        ):
            yield
