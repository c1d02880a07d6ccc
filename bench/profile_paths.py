"""Where a request's time goes: the hold, payment and validate paths under py-spy.

Starts `admit serve --workers 1` (one process, so one process to sample) on a temporary
database, prepares a paid event and a free event whose doors are open, then runs three
phases, each under `py-spy record` attached to the server:

- hold: N `POST /api/v1/registrations` on the paid event (each one a hold);
- payment: `POST /api/v1/registrations/{id}/simulated-payment` for every hold;
- validate: `POST /api/v1/tickets/validate` for N tickets of the free event.

Each phase's samples are split into the request path and the background delivery that
follows a confirmation (stacks through `Deliverer.deliver`), and the script prints the
most costly functions of each: inclusive (the function and what it calls) among the
app's own code and the libraries it calls directly, and self (the leaf where the CPU was).
py-spy is a development tool, not a dependency: `.venv/bin/pip install py-spy`.

    .venv/bin/python bench/profile_paths.py [--requests 2000] [--concurrency 16] [--top 12]
    .venv/bin/python bench/profile_paths.py --cpu-only   # no py-spy: CPU per request only
    .venv/bin/python bench/profile_paths.py --holds-only --types 2   # holds naming 1 of 2 types
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadgen
from flash_sale import Server, create_event, sign_up, split_types
from loadgen import percentile

PY_SPY = Path(sys.executable).with_name("py-spy")
# A delivery's frames: the job, and what it hands to threads (render, mail, file write),
# whose stacks do not include the job's.
DELIVERY_MARKS = (
    "(web/services/delivery.py",
    "(web/rendering/",
    "OutboxMailer._deliver",
    "LocalFiles._write",
)


def _is_delivery(frames: list[str]) -> bool:
    return any(mark in frame for frame in frames for mark in DELIVERY_MARKS)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU of a process, all its threads (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Recording:
    """py-spy attached to a process from `with` to its end; the raw (collapsed) stacks,
    and the CPU the process used meanwhile. With `spy=False`, only the CPU."""

    def __init__(self, pid: int, rate: int, spy: bool = True) -> None:
        self.pid = pid
        self.rate = rate
        self.spy = spy
        self.output = Path(tempfile.mkstemp(prefix="admit-spy-", suffix=".txt")[1])
        self.cpu = 0.0

    def __enter__(self) -> Recording:
        self.cpu = -cpu_seconds(self.pid)
        if not self.spy:
            return self
        self.process = subprocess.Popen(
            [
                str(PY_SPY),
                "record",
                "--pid",
                str(self.pid),
                "--format",
                "raw",
                "--function",
                # CPU time under the GIL: waiting threads (the thread pool, aiosqlite's
                # queue, the event loop's epoll) drop out; SQLite's own C work, which
                # releases the GIL, does too.
                "--gil",
                "--rate",
                str(self.rate),
                "--output",
                str(self.output),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)  # py-spy attaches
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu += cpu_seconds(self.pid)
        if not self.spy:
            return
        self.process.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        self.process.wait(timeout=60)

    def stacks(self) -> list[tuple[list[str], int]]:
        stacks: list[tuple[list[str], int]] = []
        if not self.spy:
            return stacks
        for line in self.output.read_text().splitlines():
            frames, _, count = line.rpartition(" ")
            if frames and count.isdigit():
                stacks.append((frames.split(";"), int(count)))
        self.output.unlink(missing_ok=True)
        return stacks


def _frame_name(frame: str) -> str:
    # "name (path/to/file.py:12)" with --function: the line is the function's first line.
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if where else name


def _is_ours(frame: str) -> bool:
    return "(web/" in frame or "(models/" in frame


def _package(frame: str) -> str:
    where = frame.partition(" (")[2].rstrip(")")
    top = where.split("/", 1)[0] if "/" in where else where.removesuffix(".py")
    return top or "?"


def summarize(title: str, stacks: list[tuple[list[str], int]], top: int) -> None:
    """Three views of the same samples: the deepest app frame of each (our function that
    was running, or that called the library that was), the leaf (where the CPU was), and
    the leaf's package."""
    total = sum(count for _, count in stacks) or 1
    ours: collections.Counter[str] = collections.Counter()
    leaves: collections.Counter[str] = collections.Counter()
    packages: collections.Counter[str] = collections.Counter()
    for frames, count in stacks:
        names = [_frame_name(f) for f in frames]
        mine = [name for name in names if _is_ours(name) and "web/cli.py" not in name]
        ours[mine[-1] if mine else "(outside the app: server, event loop)"] += count
        leaves[names[-1]] += count
        packages[_package(names[-1])] += count
    print(f"  {title}: {total} samples holding the GIL")
    print("    by the deepest app function on the stack:")
    for name, count in ours.most_common(top):
        print(f"      {100 * count / total:5.1f}%  {name}")
    print("    by leaf (where the CPU was):")
    for name, count in leaves.most_common(top):
        print(f"      {100 * count / total:5.1f}%  {name}")
    print(
        "    by the leaf's package: "
        + ", ".join(f"{name} {100 * count / total:.0f}%" for name, count in packages.most_common(8))
    )


def report(name: str, run: loadgen.Run, spy: Recording, top: int) -> None:
    latencies = [r.seconds for r in run.results]
    statuses = collections.Counter(r.status for r in run.results)
    count = len(run.results)
    print(
        f"\n== {name}: {count} requests, {count / run.seconds:.0f}/s"
        f"{' under the profiler' if spy.spy else ''},"
        f" p50 {statistics.median(latencies) * 1000:.1f} ms,"
        f" p99 {percentile(latencies, 0.99) * 1000:.1f} ms, {dict(statuses)}"
    )
    print(f"  server CPU per request: {spy.cpu / max(count, 1) * 1000:.2f} ms (all its threads)")
    stacks = spy.stacks()
    if not stacks:
        return
    request = [(f, c) for f, c in stacks if not _is_delivery(f)]
    delivery = [(f, c) for f, c in stacks if _is_delivery(f)]
    summarize("request path", request, top)
    if delivery:
        summarize("delivery after the answer (background task)", delivery, top)


async def settle(data_dir: Path, quiet: float = 3.0, at_most: float = 180.0) -> None:
    """Wait until the background deliveries stop writing mails."""
    outbox = data_dir / "outbox"
    began = last_change = time.monotonic()
    last = -1
    while time.monotonic() - began < at_most:
        count = len(os.listdir(outbox)) if outbox.is_dir() else 0
        if count != last:
            last, last_change = count, time.monotonic()
        elif time.monotonic() - last_change > quiet:
            return
        await asyncio.sleep(0.5)


async def run(args: argparse.Namespace) -> int:
    if not args.cpu_only and not PY_SPY.exists():
        print(f"py-spy not found at {PY_SPY}: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    n = args.requests
    with Server(1) as server:
        assert server.process is not None
        pid = server.process.pid
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            organizer = await sign_up(client, "organizer@bench.example.com", "organizer")
            buyers = [
                await sign_up(client, f"buyer{i}@bench.example.com", "attendee") for i in range(20)
            ]
            paid_event = await create_event(client, organizer, n, price=2500)
            # With --types 2 or more the hold path names a type (`items`), as
            # flash_sale.py's two-type shape does; with one, a bare quantity.
            type_ids: list[str | None] = [None]
            if args.types > 1:
                # Each type could take every seat: the holds all succeed, as with one type.
                shares = await split_types(
                    client, organizer, paid_event, n * args.types, args.types
                )
                type_ids = sorted(shares)
            door_event = await create_event(client, organizer, n, price=0, starts_in_hours=1)
            rng = random.Random(5)
            plan = [(rng.choice(buyers), rng.choice(type_ids)) for _ in range(n)]

            def holds() -> Iterator[tuple[str, str, Any, dict[str, str]]]:
                for token, type_id in plan:
                    body: dict[str, Any] = {"event_id": paid_event, "quantity": 1}
                    if type_id is not None:
                        body = {
                            "event_id": paid_event,
                            "items": [{"ticket_type_id": type_id, "quantity": 1}],
                        }
                    yield (
                        "POST",
                        "/api/v1/registrations",
                        body,
                        {"Authorization": f"Bearer {token}"},
                    )

            with Recording(pid, args.rate, spy=not args.cpu_only) as spy:
                held = await loadgen.fire("127.0.0.1", server.port, holds(), args.concurrency)
            shape = f"{args.types} types, items" if args.types > 1 else "one type, quantity"
            report(f"hold (POST /registrations, paid event, {shape})", held, spy, args.top)

            if args.holds_only:
                shutil.rmtree(server.data_dir, ignore_errors=True)
                return 0
            token_of = {}
            for token in buyers:
                me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
                token_of[me.json()["id"]] = token

            def payments() -> Iterator[tuple[str, str, Any, dict[str, str]]]:
                # Results come in the order answered, not the order sent.
                for result in held.results:
                    if result.status == 201:
                        hold = result.json()
                        path = f"/api/v1/registrations/{hold['id']}/simulated-payment"
                        body = {"card_number": "4242424242424242"}
                        headers = {"Authorization": f"Bearer {token_of[hold['user_id']]}"}
                        yield "POST", path, body, headers

            with Recording(pid, args.rate, spy=not args.cpu_only) as spy:
                paid = await loadgen.fire("127.0.0.1", server.port, payments(), args.concurrency)
                await settle(server.data_dir)
            report("payment (simulated-payment) and its deliveries", paid, spy, args.top)

            # Tickets to scan: free registrations of 10, delivered before the door opens.
            owned: list[tuple[str, dict[str, str]]] = []
            for batch in range(n // 10):
                headers = {"Authorization": f"Bearer {buyers[batch % len(buyers)]}"}
                answer = await client.post(
                    "/api/v1/registrations",
                    json={"event_id": door_event, "quantity": 10},
                    headers=headers,
                )
                answer.raise_for_status()
                owned += [(ticket, headers) for ticket in answer.json()["tickets"]]
            fetch = (("GET", f"/api/v1/tickets/{t}", None, h) for t, h in owned)
            fetched = await loadgen.fire("127.0.0.1", server.port, fetch, 8)
            codes = [r.json()["code"] for r in fetched.results]
            await settle(server.data_dir)

        door = {"Authorization": f"Bearer {organizer}"}

        def scans() -> Iterator[tuple[str, str, Any, dict[str, str]]]:
            for i, code in enumerate(codes):
                body = {"code": code, "event_id": door_event, "gate": f"G{i % 4}"}
                yield "POST", "/api/v1/tickets/validate", body, door

        with Recording(pid, args.rate, spy=not args.cpu_only) as spy:
            scanned = await loadgen.fire("127.0.0.1", server.port, scans(), args.concurrency)
        report("validate (POST /tickets/validate, first scans)", scanned, spy, args.top)
        shutil.rmtree(server.data_dir, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=int, default=500, help="samples per second")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument(
        "--types", type=int, default=1, help="ticket types of the paid event (holds name one)"
    )
    parser.add_argument(
        "--holds-only", action="store_true", help="only the hold phase (no payments, scans)"
    )
    parser.add_argument(
        "--cpu-only", action="store_true", help="no py-spy: only the server's CPU per request"
    )
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
