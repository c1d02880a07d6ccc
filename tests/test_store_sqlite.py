"""The Store contract on SQLite, plus what is specific to the SQLite backend."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from models.domain import CodePurpose, OneTimeCode, utcnow
from models.errors import StoreNotReady
from models.sessions import new_session_secret, start_session
from models.sqlite.store import SqliteStore
from tests.session_contract import SessionStoreContract
from tests.store_contract import StoreContract, make_user
from tests.store_contract_attempts import AttemptsContract
from tests.store_contract_door_staff import DoorStaffContract
from tests.store_contract_money import MoneyContract
from tests.store_contract_outbox import OutboxContract
from tests.store_contract_rules import RulesContract


@pytest.fixture
def store(sqlite_store: SqliteStore) -> SqliteStore:
    return sqlite_store


class TestSqliteStore(
    StoreContract,
    AttemptsContract,
    MoneyContract,
    DoorStaffContract,
    SessionStoreContract,
    RulesContract,
    OutboxContract,
):
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


async def test_purge_forgets_expired_codes_and_failures_the_limits_no_longer_count(
    store: SqliteStore,
) -> None:
    now = utcnow()
    purpose = CodePurpose.VERIFY_EMAIL
    await store.put_code(OneTimeCode("old@example.com", purpose, "h1", now - timedelta(seconds=1)))
    await store.put_code(OneTimeCode("new@example.com", purpose, "h2", now + timedelta(minutes=9)))
    key, day_ago = "login:client:203.0.113.7", now - timedelta(days=1)
    await store.take_attempt(key, now - timedelta(hours=1), day_ago, 10)
    await store.take_attempt(key, now - timedelta(minutes=1), day_ago, 10)

    assert await store.purge_spent(now, now - timedelta(minutes=15)) == 2
    assert await store.get_code("old@example.com", purpose) is None
    assert await store.get_code("new@example.com", purpose) is not None
    # One attempt is left: a limit of one over the last day is reached.
    assert (await store.take_attempt(key, now, day_ago, 1)).token is None
    assert await store.purge_spent(now, now - timedelta(minutes=15)) == 0


async def test_purge_deletes_run_out_sessions(store: SqliteStore) -> None:
    user = make_user("old@example.com")
    await store.create_user(user, None)
    now = utcnow()
    for days in (1, 2):
        await store.create_session(
            start_session(
                user, new_session_secret(), "", now - timedelta(days=days), timedelta(hours=1)
            )
        )
    kept = start_session(user, new_session_secret(), "", now, timedelta(hours=1))
    await store.create_session(kept)
    assert await store.purge_expired_sessions(now) == 0  # the new session took them along
    await store.touch_session(kept.id, now, now - timedelta(seconds=1))
    assert await store.purge_expired_sessions(now) == 1
    assert await store.purge_expired_sessions(now) == 0
