"""What every part of the SQLite store shares: the engine and the write transaction."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from piccolo.engine.sqlite import TransactionType

from models.sqlite.engine import DEFAULT_BUSY_TIMEOUT, make_engine

T = TypeVar("T")


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

    async def _hot(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in one BEGIN IMMEDIATE transaction on the hot-path connection."""
        async with self._write_lock:
            return await self.engine.in_hot_transaction(work)
