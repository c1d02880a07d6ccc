"""The Store contract on SQLite, plus what is specific to the SQLite backend."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from models.errors import StoreNotReady
from models.sqlite.store import SqliteStore
from tests.store_contract import StoreContract


@pytest.fixture
def store(sqlite_store: SqliteStore) -> SqliteStore:
    return sqlite_store


class TestSqliteStore(StoreContract):
    async def test_database_uses_wal(self, store: SqliteStore) -> None:
        with sqlite3.connect(store.path) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_open_refuses_a_missing_database(tmp_path: Path) -> None:
    with pytest.raises(StoreNotReady, match="admit migrate"):
        await SqliteStore(tmp_path / "nothing.sqlite3").open()


async def test_open_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    sqlite3.connect(path).close()
    with pytest.raises(StoreNotReady, match="admit migrate"):
        await SqliteStore(path).open()
