"""The SQLite engine Admit uses: Piccolo's, with long-lived connections.

Piccolo's stock SQLite engine opens a new aiosqlite connection (a new thread) for every
query and every transaction. Under a flash sale that set-up cost dominates, so this
engine keeps one writer connection (write transactions are already queued one at a time
by the store's lock) and a few reader connections, opened by `start()` and closed by
`stop()`. Without `start()` it behaves exactly like Piccolo's (migrations use that).
"""

from __future__ import annotations

import asyncio
import fcntl
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, dict_factory

from models.private_paths import private_file

DEFAULT_BUSY_TIMEOUT = 10.0
READERS = 4
T = TypeVar("T")


class _Borrowed:
    """A pooled connection handed to a Piccolo transaction, which closes what it gets:
    here closing only gives it back."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    async def close(self) -> None:
        return None


class PooledSQLiteEngine(SQLiteEngine):
    def __init__(self, path: Path, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        # `timeout` is sqlite3's busy timeout: a writer waits this long for the lock
        # (another process may hold it) instead of failing with "database is locked".
        super().__init__(path=str(path), timeout=busy_timeout)
        self._writer: aiosqlite.Connection | None = None
        self._readers: asyncio.Queue[aiosqlite.Connection] | None = None
        self._all: list[aiosqlite.Connection] = []
        self._hot_thread: ThreadPoolExecutor | None = None
        self._hot: sqlite3.Connection | None = None

    async def start(self, readers: int = READERS) -> None:
        self._writer = await self._open()
        self._readers = asyncio.Queue()
        for _ in range(readers):
            self._readers.put_nowait(await self._open())
        self._hot_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-hot")
        loop = asyncio.get_running_loop()
        self._hot = await loop.run_in_executor(self._hot_thread, self._open_hot)

    async def stop(self) -> None:
        connections, self._all = self._all, []
        self._writer = None
        self._readers = None
        for connection in connections:
            await connection.close()
        if self._hot_thread is not None:
            if self._hot is not None:
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(self._hot_thread, self._close_hot)
            self._hot_thread.shutdown(wait=True)
        self._hot_thread = None
        self._hot = None

    def _close_hot(self) -> None:
        assert self._hot is not None
        self._hot.close()
        self._hot_lock.close()

    def _open_hot(self) -> sqlite3.Connection:
        lock_path = private_file(Path(f"{self.path}.hot-lock"))
        self._hot_lock = open(lock_path, "a+b")  # noqa: SIM115 (kept open)
        connection = sqlite3.connect(**self.connection_kwargs)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA foreign_keys = 1")
        connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    async def in_hot_transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(connection)` inside BEGIN IMMEDIATE .. COMMIT (ROLLBACK if it raises)
        in the hot-path thread, on its own sqlite3 connection.

        A whole read-then-write transaction runs there in one hop, so the time it holds
        SQLite's write lock is the time SQLite needs, not the event loop's latency between
        several awaited statements. Callers hold the store's write lock.
        """
        assert self._hot_thread is not None, "start() the engine first"
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._hot_thread, self._locked, work)

    def _locked(self, work: Callable[[sqlite3.Connection], T]) -> T:
        # Between worker processes, SQLite's busy handler polls with sleeps of up to
        # 100 ms; an flock queue wakes the next writer the moment the lock is free.
        connection = self._hot
        assert connection is not None
        fcntl.flock(self._hot_lock, fcntl.LOCK_EX)
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(connection)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            return result
        finally:
            fcntl.flock(self._hot_lock, fcntl.LOCK_UN)

    async def _open(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(**self.connection_kwargs)
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        # WAL with synchronous=NORMAL never corrupts the file; a power cut may lose the
        # last commits, which payment webhooks are redelivered to restore.
        await connection.execute("PRAGMA synchronous = NORMAL")
        self._all.append(connection)
        return connection

    async def get_connection(self) -> Any:
        if self._writer is None:
            return await super().get_connection()
        return _Borrowed(self._writer)

    async def _run_in_existing_connection(
        self,
        connection: Any,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        if self._writer is None:
            return await super()._run_in_existing_connection(
                connection, query, args, query_type, table
            )
        # The pragma Piccolo repeats before every statement was set once at connect.
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        if self._readers is None:
            return await super()._run_in_new_connection(query, args, query_type, table)
        connection = await self._readers.get()
        try:
            async with connection.execute(query, args or []) as cursor:
                return await cursor.fetchall()
        finally:
            self._readers.put_nowait(connection)

    async def read_rows(self, sql: str, args: list[Any]) -> list[dict[str, Any]] | None:
        """Run a read as written, on a pooled reader, without Piccolo's query builder
        (building a select costs more CPU than SQLite takes to answer a point read).
        None when it cannot: the pool is not started, or a transaction is open in this
        task, whose reads must see its own writes: the caller then asks Piccolo."""
        if self._readers is None or self.current_transaction.get() is not None:
            return None
        rows: list[dict[str, Any]] = await self._run_in_new_connection(sql, args)
        return rows


def make_engine(path: Path, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> PooledSQLiteEngine:
    return PooledSQLiteEngine(path, busy_timeout)


def enable_wal(path: Path) -> None:
    """WAL lets readers run while one writer commits; the mode is stored in the file."""
    # Made 0600 before SQLite opens it: its -wal and -shm files take the same mode.
    private_file(path)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
