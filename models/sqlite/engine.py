"""The SQLite engine Admit uses: Piccolo's, with a busy timeout and WAL journaling."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from piccolo.engine.sqlite import SQLiteEngine

DEFAULT_BUSY_TIMEOUT = 10.0


def make_engine(path: Path, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> SQLiteEngine:
    # `timeout` is sqlite3's busy timeout: a writer waits this long for the lock instead of
    # failing at once with "database is locked" when another transaction holds it.
    return SQLiteEngine(path=str(path), timeout=busy_timeout)


def enable_wal(path: Path) -> None:
    """WAL lets readers run while one writer commits; the mode is stored in the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
