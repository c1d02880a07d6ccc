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
from tests.store_contract_figures import FiguresContract
from tests.store_contract_messages import MessagesContract
from tests.store_contract_money import MoneyContract
from tests.store_contract_outbox import OutboxContract
from tests.store_contract_promo_codes import PromoCodesContract
from tests.store_contract_questions import QuestionsContract
from tests.store_contract_rules import RulesContract
from tests.store_contract_seat_shards import SeatShardsContract
from tests.store_contract_ticket_types import TicketTypesContract
from tests.store_contract_transfers import TransferContract
from tests.store_contract_waitlist import WaitlistContract


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
    TicketTypesContract,
    OutboxContract,
    QuestionsContract,
    PromoCodesContract,
    FiguresContract,
    MessagesContract,
    SeatShardsContract,
    WaitlistContract,
    TransferContract,
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


# -- the ticket types migration ----------------------------------------------------------

BEFORE_TYPES = "2026-12-04T11:11:05:135369"


async def _migrate_to(path: Path, migration_id: str) -> None:
    import importlib
    import os

    from piccolo.apps.migrations.commands.forwards import run_forwards
    from piccolo.apps.migrations.tables import Migration

    from models.sqlite.engine import enable_wal
    from models.sqlite.migrate import CONF_MODULE

    enable_wal(path)
    os.environ.setdefault("PICCOLO_CONF", CONF_MODULE)
    conf = importlib.import_module(CONF_MODULE)
    conf.DB.path = str(path)
    Migration._meta.db = conf.DB
    result = await run_forwards(app_name="admit", migration_id=migration_id)
    assert result.success, result.message


async def test_the_migration_gives_existing_events_a_general_admission_type(
    tmp_path: Path,
) -> None:
    """Data stored before ticket types: each event gets one "General admission" type
    with its price and seats taken, and its registrations and tickets point to it."""
    from models.domain import GENERAL_ADMISSION, RegistrationStatus, default_type_id
    from models.sqlite.migrate import migrate
    from models.sqlite.rows import event_columns, insert_sql, registration_columns, ticket_columns
    from models.tickets import tickets_for
    from tests.store_contract import make_event, make_registration

    path = tmp_path / "old.sqlite3"
    await _migrate_to(path, BEFORE_TYPES)
    event = make_event(price=2000, seats_confirmed=2, seats_held=1, registrations=1, revenue=4000)
    paid = make_registration(event, 2)
    held = make_registration(event, 1, held_for=timedelta(minutes=10))
    with sqlite3.connect(path) as connection:
        event_row = event_columns(event)
        for later in ("waitlist_enabled", "waitlist_offer_hours", "waitlist_seats"):
            del event_row[later]  # columns added later (issue 14)
        del event_row["waitlist_entries"]
        del event_row["transfers_allowed"]  # and with transfers
        connection.execute(insert_sql("events", event_row), event_row)
        for registration in (paid, held):
            row = registration_columns(registration)
            del row["items"], row["answers"], row["seat_answers"]  # columns added later
            del row["promo_code_id"], row["promo_code"]
            connection.execute(insert_sql("registrations", row), row)
        for ticket in tickets_for(paid, utcnow()):
            row = ticket_columns(ticket)
            del row["ticket_type_id"], row["ticket_type_name"], row["code_generation"]
            connection.execute(insert_sql("tickets", row), row)
    await migrate(path, quiet=True)
    store = SqliteStore(path)
    await store.open()
    try:
        (kind,) = await store.list_ticket_types(event.id)
        assert (kind.id, kind.name, kind.price, kind.capacity) == (
            default_type_id(event.id),
            GENERAL_ADMISSION,
            2000,
            None,
        )
        assert (kind.seats_confirmed, kind.seats_held, kind.revenue, kind.in_use) == (
            2,
            1,
            4000,
            True,
        )
        stored = await store.get_registration(paid.id)
        assert stored is not None
        assert (stored.answers, stored.seat_answers) == ({}, ())  # stored before questions
        assert [(i.ticket_type_id, i.name, i.quantity, i.unit_price) for i in stored.items] == [
            (kind.id, GENERAL_ADMISSION, 2, 2000)
        ]
        tickets = await store.list_registration_tickets(paid.id)
        assert {(t.ticket_type_id, t.ticket_type_name) for t in tickets} == {
            (kind.id, GENERAL_ADMISSION)
        }
        # Seats go back to the type as to the event.
        await store.cancel_registration(held.id, RegistrationStatus.CANCELLED, utcnow())
        (kind,) = await store.list_ticket_types(event.id)
        assert kind.seats_held == 0
    finally:
        await store.close()
