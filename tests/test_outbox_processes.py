"""Invariant 8 against real processes: nothing is lost when a process dies at any point.

The real `admit worker` (and `admit serve`, which starts one) runs on a real SQLite file
and is killed with SIGKILL: in the middle of a job (its PDFs stored, its mail not yet
handed over), and, for the web process, after a confirmation answered but before any
delivery. A worker started afterwards finishes every job, and every buyer gets exactly
one mail (the outbox folder's files are counted).

Fails before issue 12: deliveries ran in the web process after the answer, so a process
killed in between lost the mail, and there was no `admit worker` to start again.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, suppress
from pathlib import Path

import httpx
import pytest

from models.domain import utcnow
from models.sqlite.store import SqliteStore
from models.tickets import tickets_for
from tests.api_helpers import event_body
from tests.helpers import GOOD_PASSWORD
from tests.store_contract import make_event, make_registration, make_user

ROOT = Path(__file__).resolve().parent.parent
WAIT = 60.0  # seconds before a test gives up waiting (never a measured time)

pytestmark = pytest.mark.local_adapters


@pytest.fixture
def data_dir(tmp_path: Path, template_db: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copyfile(template_db, folder / "admit.sqlite3")
    return folder


def environment(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ADMIT_")}
    env |= {
        "ADMIT_DATA_DIR": str(data_dir),
        "ADMIT_OUTBOX_LEASE": "1",
        "ADMIT_OUTBOX_POLL": "0.05",
        "ADMIT_REQUIRE_EMAIL_VERIFICATION": "false",
    }
    return env | {f"ADMIT_{name.upper()}": value for name, value in settings.items()}


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Every process a test starts; whatever is still running at the end is killed."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def start(
    processes: list[subprocess.Popen[bytes]], env: dict[str, str], *args: str
) -> subprocess.Popen[bytes]:
    # A session of its own, so a SIGKILL to its group takes the children too.
    process = subprocess.Popen(
        [sys.executable, "-m", "web.cli", *args], cwd=ROOT, env=env, start_new_session=True
    )
    processes.append(process)
    return process


def wait_for(what: str, ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not ready():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def mails_by_buyer(data_dir: Path) -> Counter[str]:
    found: Counter[str] = Counter()
    for path in (data_dir / "outbox").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if any(part.get_filename().endswith(".pdf") for part in message.iter_attachments()):
            found[str(message["To"])] += 1
    return found


def job_states(data_dir: Path) -> Counter[str]:
    with closing(sqlite3.connect(data_dir / "admit.sqlite3")) as db:
        return Counter(state for (state,) in db.execute("SELECT state FROM delivery_jobs"))


def pdfs(data_dir: Path) -> list[Path]:
    return list((data_dir / "files").rglob("*.pdf"))


async def _confirm(data_dir: Path, buyers: list[str]) -> None:
    store = SqliteStore(data_dir / "admit.sqlite3")
    await store.open()
    try:
        organizer = make_user("org@example.com")
        await store.create_user(organizer, None)
        event = make_event(organizer.id, capacity=50, price=0)
        await store.create_event(event)
        for buyer in buyers:
            registration = make_registration(event, 2, buyer_email=buyer)
            now = utcnow()
            await store.hold_seats(registration, now, tickets_for(registration, now))
    finally:
        await store.close()


def test_a_worker_killed_mid_job_loses_nothing_and_mails_each_once(
    data_dir: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    buyers = [f"buyer{n}@example.com" for n in range(4)]
    asyncio.run(_confirm(data_dir, buyers))
    assert job_states(data_dir) == {"pending": 4}

    # The first worker stops between storing a job's PDFs and handing its mail over.
    first = start(processes, environment(data_dir, outbox_test_pause="600"), "worker")
    wait_for("the first job's PDFs", lambda: len(pdfs(data_dir)) == 2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert mails_by_buyer(data_dir) == {}
    assert job_states(data_dir) == {"pending": 4}  # claimed, its lease left to run out

    second = start(processes, environment(data_dir), "worker")
    wait_for("every job sent", lambda: job_states(data_dir) == {"sent": 4})
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=WAIT) == 0

    assert mails_by_buyer(data_dir) == dict.fromkeys(buyers, 1)
    assert len(pdfs(data_dir)) == 8  # the first job's PDFs were stored once, then reused


def _free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _register_free_seats(base: str) -> str:
    """Through the server's JSON API, as a script would: the registration's id."""
    with httpx.Client(base_url=f"{base}/api/v1", timeout=WAIT) as client:

        def token(email: str, role: str) -> str:
            person = {"email": email, "password": GOOD_PASSWORD, "name": "Ana", "role": role}
            assert client.post("/auth/signup", json=person).status_code == 201
            answer = client.post("/auth/token", json={"email": email, "password": GOOD_PASSWORD})
            return str(answer.json()["access_token"])

        organizer = {"Authorization": f"Bearer {token('org@example.com', 'organizer')}"}
        buyer = {"Authorization": f"Bearer {token('ana@example.com', 'attendee')}"}
        event = client.post("/events", json=event_body(price=0), headers=organizer).json()
        assert client.post(f"/events/{event['id']}/publish", headers=organizer).status_code == 200
        answer = client.post(
            "/registrations", json={"event_id": event["id"], "quantity": 2}, headers=buyer
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == "confirmed"
        return str(answer.json()["id"])


def test_a_confirmation_survives_the_web_process_dying_before_any_delivery(
    data_dir: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    """`admit serve` starts its worker; both are killed before the mail goes out."""
    port = _free_port()
    env = environment(data_dir, outbox_test_pause="600")
    server = start(processes, env, "serve", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    wait_for("the server", lambda: _up(base))
    registration_id = _register_free_seats(base)
    # Its worker (a child of serve) takes the job and stops before the mail.
    wait_for("the job's PDFs", lambda: len(pdfs(data_dir)) == 2)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait()
    assert mails_by_buyer(data_dir) == {}
    assert job_states(data_dir) == {"pending": 1}

    worker = start(processes, environment(data_dir), "worker")
    wait_for("the job sent", lambda: job_states(data_dir) == {"sent": 1})
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=WAIT) == 0
    assert mails_by_buyer(data_dir) == {"ana@example.com": 1}
    with closing(sqlite3.connect(data_dir / "admit.sqlite3")) as db:
        (state,) = db.execute(
            "SELECT state FROM delivery_jobs WHERE id = ?", (f"tickets:{registration_id}",)
        ).fetchone()
    assert state == "sent"


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _delivery_workers(pid: int) -> list[int]:
    """The children of `pid` that run `admit worker`."""
    found = []
    for child in _children(pid):
        with suppress(FileNotFoundError):
            arguments = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            if b"web.cli" in arguments and b"worker" in arguments:
                found.append(child)
    return found


def test_serve_runs_its_worker_at_a_lower_priority_and_stops_it(
    data_dir: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    port = _free_port()
    server = start(processes, environment(data_dir), "serve", "--port", str(port))
    wait_for("the server", lambda: _up(f"http://127.0.0.1:{port}"))
    # Besides the delivery worker, serve's children are its uvicorn worker processes (one
    # per core by default).
    wait_for("the worker process", lambda: bool(_delivery_workers(server.pid)))
    (worker,) = _delivery_workers(server.pid)
    web = os.getpriority(os.PRIO_PROCESS, server.pid)
    wait_for("the lower priority", lambda: os.getpriority(os.PRIO_PROCESS, worker) > web)
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=WAIT) == 0
    wait_for("the worker's end", lambda: not Path(f"/proc/{worker}").exists())
