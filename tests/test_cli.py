"""The `admit` command line, run as a separate process like a person would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from models.sqlite.migrate import migration_ids
from web.cli import (
    MAX_DEFAULT_WORKERS,
    ServeRefused,
    build_parser,
    default_workers,
    uvicorn_options,
)
from web.settings import Settings

ADMIT = [sys.executable, "-m", "web.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
    assert "Added 4 accounts and 8 events." in demo.stdout
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


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"ADMIT_DATA_DIR": str(tmp_path), **env}, env_file=None)


def test_serve_defaults_to_a_worker_per_core_without_access_log(tmp_path: Path) -> None:
    """Issue 12: `admit serve` without flags ran one worker with an access log."""
    args = build_parser(_settings(tmp_path)).parse_args(["serve"])
    assert args.workers is None
    assert args.access_log is False
    options = uvicorn_options(
        _settings(tmp_path), args.host, args.port, args.workers, args.access_log, False
    )
    assert options["workers"] == default_workers()
    assert options["access_log"] is False
    assert options["factory"] is True
    assert (options["host"], options["port"]) == ("127.0.0.1", 8000)
    # Issue 15: an open dashboard's figures stream would otherwise hold a stop for a minute.
    assert options["timeout_graceful_shutdown"] == 10


def test_serve_flags_win_over_the_defaults(tmp_path: Path) -> None:
    """Issue 12: `--workers` must still win over the per-core default; `--access-log` is new."""
    settings = _settings(tmp_path)
    argv = ["serve", "--workers", "3", "--access-log", "--host", "0.0.0.0", "--port", "9"]
    args = build_parser(settings).parse_args(argv)
    options = uvicorn_options(
        settings, args.host, args.port, args.workers, args.access_log, from_ssm=False
    )
    assert options["workers"] == 3
    assert options["access_log"] is True
    assert (options["host"], options["port"]) == ("0.0.0.0", 9)
    with pytest.raises(ServeRefused):
        uvicorn_options(settings, "127.0.0.1", 8000, 0, False, from_ssm=False)


def test_serve_with_secrets_from_ssm_runs_one_worker(tmp_path: Path) -> None:
    """Issue 12: the per-core default must not break the one-worker rule for SSM secrets."""
    settings = _settings(tmp_path)
    options = uvicorn_options(settings, "127.0.0.1", 8000, None, False, from_ssm=True)
    assert options["workers"] == 1
    assert options["factory"] is False
    with pytest.raises(ServeRefused, match="one worker"):
        uvicorn_options(settings, "127.0.0.1", 8000, 2, False, from_ssm=True)


def test_default_workers_follow_the_cores_this_process_may_use() -> None:
    """Issue 12: the default counts the CPUs the process may run on, capped at eight."""
    code = (
        "import os; from web.cli import default_workers; "
        "print(default_workers()); "
        "os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]}); "
        "print(default_workers())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    every, pinned = (int(line) for line in result.stdout.split())
    assert every == min(len(os.sched_getaffinity(0)), MAX_DEFAULT_WORKERS)
    assert pinned == 1


def _serve_and_get(tmp_path: Path, *flags: str) -> str:
    """Run `admit serve` on a free loopback port, GET /healthz twice, stop it, and return
    what it logged."""
    env = {**os.environ, "ADMIT_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    assert run(tmp_path, "migrate").returncode == 0
    port = free_port()
    log_path = tmp_path / f"serve-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*ADMIT, "serve", "--port", str(port), *flags],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            answered = 0
            while answered < 2 and time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).is_success:
                        answered += 1
                except httpx.TransportError:
                    time.sleep(0.2)
            assert answered == 2, log_path.read_text()
        finally:
            process.terminate()
            process.wait(timeout=30)
    return log_path.read_text()


def test_serve_starts_its_default_workers_and_logs_no_requests(tmp_path: Path) -> None:
    """Issue 12: a real `admit serve` with no flags started one worker and logged each request."""
    log = _serve_and_get(tmp_path)
    assert log.count("Started server process") == default_workers(), log
    assert "GET /healthz" not in log
    logged = _serve_and_get(tmp_path, "--workers", "1", "--access-log")
    assert logged.count("Started server process") == 1, logged
    assert "GET /healthz" in logged
