"""The `admit` command line, run as a separate process like a person would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from models.sqlite.migrate import migration_ids

ADMIT = [sys.executable, "-m", "web.cli"]


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ADMIT_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [*ADMIT, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_migrate_demo_and_users(tmp_path: Path) -> None:
    first = run(tmp_path, "migrate")
    assert first.returncode == 0, first.stderr
    assert f"Applied {len(migration_ids())} migration(s)" in first.stdout
    assert "up to date" in run(tmp_path, "migrate").stdout

    demo = run(tmp_path, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "Added 4 accounts and 7 events." in demo.stdout
    assert "olivia@example.com" in demo.stdout
    assert "DemoPass1" in demo.stdout
    again = run(tmp_path, "demo", "--if-empty")
    assert "nothing added" in again.stdout
    assert "olivia@example.com" in again.stdout
    refused = run(tmp_path, "demo")
    assert "empty database only" in refused.stdout

    created = run(
        tmp_path,
        "users",
        "create",
        "--email",
        "Door@Example.com",
        "--password",
        "Sc4nner-pass",
        "--role",
        "door_staff",
        "--name",
        "Gate One",
    )
    assert created.returncode == 0, created.stderr
    assert "Created door_staff door@example.com" in created.stdout
    duplicate = run(
        tmp_path,
        "users",
        "create",
        "--email",
        "door@example.com",
        "--password",
        "Sc4nner-pass",
        "--role",
        "attendee",
    )
    assert duplicate.returncode == 2
    assert "already exists" in duplicate.stderr
    weak = run(
        tmp_path,
        "users",
        "create",
        "--email",
        "w@example.com",
        "--password",
        "weak",
        "--role",
        "organizer",
    )
    assert weak.returncode == 2
    assert "password:" in weak.stderr
    assert (tmp_path / "keys" / "secret_key").exists()


def test_commands_refuse_an_unmigrated_database_clearly(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "users",
        "create",
        "--email",
        "a@example.com",
        "--password",
        "Passw0rdX",
        "--role",
        "attendee",
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: No database at")
    assert "admit migrate" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_setting_is_named(tmp_path: Path) -> None:
    env = {**os.environ, "ADMIT_DATA_DIR": str(tmp_path), "ADMIT_STORE": "mongo"}
    result = subprocess.run(
        [*ADMIT, "migrate"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "ADMIT_STORE must be one of sqlite, dynamodb" in result.stderr


def test_production_refuses_the_simulator_and_the_demo(tmp_path: Path) -> None:
    """Issue 10: `admit serve`/`demo` ran in production with the simulator (free tickets)."""
    production = {**os.environ, "ADMIT_DATA_DIR": str(tmp_path), "ADMIT_ENV": "production"}
    for command in (["serve"], ["migrate"], ["demo"]):
        result = subprocess.run(
            [*ADMIT, *command],
            env={**production, "ADMIT_PAYMENTS": "simulator"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2, command
        assert "ADMIT_ENV=production refuses ADMIT_PAYMENTS=simulator" in result.stderr
        assert "Traceback" not in result.stderr
    stripe = {
        **production,
        "ADMIT_PAYMENTS": "stripe",
        "ADMIT_STRIPE_SECRET_KEY": "sk_test_x",
        "ADMIT_STRIPE_PUBLISHABLE_KEY": "pk_test_x",
        "ADMIT_STRIPE_WEBHOOK_SECRET": "whsec_x",
    }
    assert run_with(stripe, "migrate").returncode == 0
    demo = run_with(stripe, "demo")
    assert demo.returncode == 2
    assert "refuses to run with ADMIT_ENV=production" in demo.stderr
    assert "DemoPass1" not in demo.stdout
    assert "Traceback" not in demo.stderr


def run_with(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ADMIT, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


async def _a_dead_job(database: Path) -> str:
    from datetime import timedelta

    from models.domain import utcnow
    from models.sqlite.store import SqliteStore
    from models.tickets import tickets_for
    from tests.store_contract import make_event, make_registration

    store = SqliteStore(database)
    await store.open()
    try:
        event = make_event(price=0)
        await store.create_event(event)
        registration = make_registration(event)
        now = utcnow()
        await store.hold_seats(registration, now, tickets_for(registration, now))
        job_id = f"tickets:{registration.id}"
        await store.claim_job(job_id, "w", now, timedelta(minutes=1))
        await store.fail_job(job_id, "w", now, "MailNotBuilt: bad address", 8, permanent=True)
        return job_id
    finally:
        await store.close()


def test_outbox_status_and_retry(tmp_path: Path) -> None:
    """Issue 12: dead delivery jobs are listed and put back by an operator command."""
    import asyncio

    assert run(tmp_path, "migrate").returncode == 0
    job_id = asyncio.run(_a_dead_job(tmp_path / "admit.sqlite3"))

    status = run(tmp_path, "outbox", "status")
    assert status.returncode == 0, status.stderr
    assert "pending: 0, sending: 0, dead: 1" in status.stdout
    assert f"{job_id}  1 attempt(s)  MailNotBuilt: bad address" in status.stdout

    retried = run(tmp_path, "outbox", "retry", job_id, "tickets:unknown")
    assert retried.returncode == 0, retried.stderr
    assert "Put back 1 dead delivery job(s). Not dead (or unknown): tickets:unknown." in (
        retried.stdout
    )
    assert "pending: 1, sending: 0, dead: 0" in run(tmp_path, "outbox", "status").stdout
