"""Flash sale: many buyers, one event, seats that must never oversell.

Starts Admit with uvicorn on a temporary database, creates an event of capacity C (with
`--types 2`: two visible ticket types splitting C, each attempt asking for one of them at
random), signs up U buyers, then fires N registration attempts at concurrency K over HTTP and prints
attempts/s, confirmed registrations/s, latency percentiles, status codes and sold vs
capacity. Then it waits for the deliveries and counts ticket mails in the outbox folder
and PDFs in the files folder (bench/deliveries.py). Exits 1 if the event or a type
oversold, any answer was a 5xx, or a confirmed registration was not delivered exactly once.

    .venv/bin/python bench/flash_sale.py --capacity 100 --attempts 300 --concurrency 20
    .venv/bin/python bench/flash_sale.py --capacity 1000 --attempts 5000 --concurrency 50
    .venv/bin/python bench/flash_sale.py --capacity 1000 --attempts 5000 --concurrency 50 --types 2
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadgen
from deliveries import check_deliveries
from loadgen import percentile

ROOT = Path(__file__).resolve().parent.parent
ADMIT = [sys.executable, "-m", "web.cli"]
PASSWORD = "Bench-pass-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(root: int) -> tuple[float, float]:
    """CPU time (user + system) used so far by process `root` and its living descendants,
    from /proc: unlike rates, it hardly moves with what else the machine runs. Returned
    as (all of them, the outbox worker's share): the worker delivers at nice 10 whenever
    the CPU is free, so how much of its work falls inside a measured window depends on
    how long the window lasts, not on the requests. (0, 0) where there is no /proc."""
    parents: dict[int, int] = {}
    used: dict[int, int] = {}
    delivering: set[int] = set()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        used[pid] = int(fields[11]) + int(fields[12])  # utime, stime
        if b"web.cli" in command and b"worker" in command:
            delivering.add(pid)
    family, grown = {root}, True
    while grown:
        more = {pid for pid, parent in parents.items() if parent in family} - family
        family |= more
        grown = bool(more)
    tick = os.sysconf("SC_CLK_TCK")
    total = sum(used.get(pid, 0) for pid in family) / tick
    return total, sum(used.get(pid, 0) for pid in family & delivering) / tick


class Server:
    """`admit serve` on a temporary data dir; `workers=None` starts it with its defaults."""

    def __init__(self, workers: int | None) -> None:
        self.workers = workers
        self.data_dir = Path(tempfile.mkdtemp(prefix="admit-bench-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "ADMIT_DATA_DIR": str(self.data_dir),
            "ADMIT_REQUIRE_EMAIL_VERIFICATION": "false",
            # Buyers share one address here; the bench measures sales, not log-in limits.
            "ADMIT_LOGIN_LIMIT_PER_CLIENT": "100000",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        subprocess.run([*ADMIT, "migrate"], env=self.env, cwd=ROOT, check=True, capture_output=True)
        self.log = (self.data_dir / "server.log").open("wb")
        workers = [] if self.workers is None else ["--workers", str(self.workers)]
        self.process = subprocess.Popen(
            [*ADMIT, "serve", "--port", str(self.port), *workers],
            env={**self.env, "PYTHONUNBUFFERED": "1"},
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.2)
        raise SystemExit("the server did not start; see " + str(self.data_dir / "server.log"))

    def __exit__(self, *exc: object) -> None:
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)


async def sign_up(client: httpx.AsyncClient, email: str, role: str) -> str:
    body = {"email": email, "password": PASSWORD, "name": email.split("@")[0], "role": role}
    response = await client.post("/api/v1/auth/signup", json=body)
    response.raise_for_status()
    token = await client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    token.raise_for_status()
    return token.json()["access_token"]


async def create_event(
    client: httpx.AsyncClient,
    token: str,
    capacity: int,
    price: int,
    starts_in_hours: float = 24 * 30,
) -> str:
    starts = datetime.now(UTC) + timedelta(hours=starts_in_hours)
    body = {
        "title": "Flash sale",
        "description": "Benchmark",
        "venue": "Loopback Arena",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "timezone": "UTC",
        "capacity": capacity,
        "price": price,
        "currency": "EUR",
        "max_per_registration": 10,
        # A few buyers make many attempts here: the limit on one account is not measured.
        "max_per_account": 1000,
        "category": "other",
    }
    headers = {"Authorization": f"Bearer {token}"}
    created = await client.post("/api/v1/events", json=body, headers=headers)
    created.raise_for_status()
    event_id = created.json()["id"]
    published = await client.post(f"/api/v1/events/{event_id}/publish", headers=headers)
    published.raise_for_status()
    return event_id


async def split_types(
    client: httpx.AsyncClient, token: str, event_id: str, capacity: int, count: int
) -> dict[str, int]:
    """Gives the event `count` visible types sharing its capacity (each its own share, so
    both the type's and the event's counters are checked); their ids and capacities."""
    headers = {"Authorization": f"Bearer {token}"}
    event = await client.get(f"/api/v1/events/{event_id}", headers=headers)
    event.raise_for_status()
    (first,) = event.json()["ticket_types"]
    shares = [capacity // count + (1 if i < capacity % count else 0) for i in range(count)]
    changed = await client.patch(
        f"/api/v1/events/{event_id}/ticket-types/{first['id']}",
        json={"capacity": shares[0]},
        headers=headers,
    )
    changed.raise_for_status()
    capacities = {first["id"]: shares[0]}
    for index, share in enumerate(shares[1:], start=2):
        body = {"name": f"Type {index}", "price": first["price"], "capacity": share}
        created = await client.post(
            f"/api/v1/events/{event_id}/ticket-types", json=body, headers=headers
        )
        created.raise_for_status()
        capacities[created.json()["id"]] = share
    return capacities


@dataclass
class Sale:
    elapsed: float
    selling: float
    confirmed: int
    confirmed_seats: int
    latencies: list[float]
    statuses: collections.Counter[int]
    payments: loadgen.Run | None
    figures: dict[str, int]
    delivered_once: bool
    capacity: int
    cpu: float  # the server's CPU seconds while the registrations were sent
    delivery_cpu: float  # of which its outbox worker's (deliveries)
    # Per type with --types: id -> (its capacity, seats granted in the answers).
    types: dict[str, tuple[int, int]]

    def oversold_types(self) -> list[str]:
        """The types whose seats taken (the stats) or granted (the answers) pass their own
        capacity."""
        taken = {
            entry["ticket_type_id"]: entry["sold"] + entry["held"]
            for entry in self.figures.get("by_ticket_type", [])
        }
        return [
            type_id
            for type_id, (capacity, granted) in self.types.items()
            if taken.get(type_id, 0) > capacity or granted > capacity
        ]

    @property
    def oversold(self) -> bool:
        event = self.figures["seats_taken"] > self.capacity or self.confirmed_seats > self.capacity
        return event or bool(self.oversold_types())

    @property
    def errors(self) -> int:
        answers = list(self.statuses.elements())
        if self.payments is not None:
            answers += [r.status for r in self.payments.results]
        return sum(1 for status in answers if status >= 500)


async def sale(args: argparse.Namespace) -> Sale:
    """Run the sale against a fresh server; deliveries are checked before it stops."""
    limits = httpx.Limits(
        max_connections=args.concurrency + 8, max_keepalive_connections=args.concurrency + 8
    )
    with Server(args.workers) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as client:
            organizer = await sign_up(client, "organizer@bench.example.com", "organizer")
            event_id = await create_event(client, organizer, args.capacity, args.price)
            capacities: dict[str, int] = {}
            if args.types > 1:
                capacities = await split_types(
                    client, organizer, event_id, args.capacity, args.types
                )
            gate = asyncio.Semaphore(8)

            async def buyer(index: int) -> str:
                async with gate:
                    return await sign_up(client, f"buyer{index}@bench.example.com", "attendee")

            tokens = await asyncio.gather(*(buyer(i) for i in range(args.users)))

            rng = random.Random(args.seed)
            type_ids = sorted(capacities)
            plan = [
                (
                    rng.choice(tokens),
                    rng.randint(1, args.max_quantity),
                    rng.choice(type_ids) if type_ids else None,
                )
                for _ in range(args.attempts)
            ]

            def body(quantity: int, type_id: str | None) -> dict[str, object]:
                if type_id is None:
                    return {"event_id": event_id, "quantity": quantity}
                items = [{"ticket_type_id": type_id, "quantity": quantity}]
                return {"event_id": event_id, "items": items}

            requests = (
                (
                    "POST",
                    "/api/v1/registrations",
                    body(quantity, type_id),
                    {"Authorization": f"Bearer {token}"},
                )
                for token, quantity, type_id in plan
            )
            assert server.process is not None
            cpu_before, delivery_before = cpu_seconds(server.process.pid)
            began = time.perf_counter()
            last_sale = began

            def note(result: loadgen.Result) -> None:
                nonlocal last_sale
                if result.status == 201:
                    last_sale = time.perf_counter()

            run = await loadgen.fire("127.0.0.1", server.port, requests, args.concurrency, note)
            cpu_after, delivery_after = cpu_seconds(server.process.pid)
            cpu, delivery_cpu = cpu_after - cpu_before, delivery_after - delivery_before
            statuses = collections.Counter(r.status for r in run.results)
            granted = [r.json() for r in run.results if r.status == 201]

            payments = None
            confirmed: dict[str, list[str]] = {
                g["id"]: g["tickets"] for g in granted if g["status"] == "confirmed"
            }
            if args.price:
                # Each holder pays with the simulator's good test card.
                token_of = {}
                for token in set(tokens):
                    me = await client.get(
                        "/api/v1/me", headers={"Authorization": f"Bearer {token}"}
                    )
                    token_of[me.json()["id"]] = token
                pay = (
                    (
                        "POST",
                        f"/api/v1/registrations/{g['id']}/simulated-payment",
                        {"card_number": "4242424242424242"},
                        {"Authorization": f"Bearer {token_of[g['user_id']]}"},
                    )
                    for g in granted
                )
                payments = await loadgen.fire("127.0.0.1", server.port, pay, args.concurrency)
                for result in payments.results:
                    if result.status == 200:
                        paid = result.json()
                        confirmed[paid["id"]] = paid["tickets"]

            stats = await client.get(
                f"/api/v1/events/{event_id}/stats",
                headers={"Authorization": f"Bearer {organizer}"},
            )
            figures = stats.json()
        delivered_once = await check_deliveries(server.data_dir, confirmed)

    granted_by_type: collections.Counter[str] = collections.Counter()
    for g in granted:
        for item in g["items"]:
            granted_by_type[item["ticket_type_id"]] += item["quantity"]
    return Sale(
        elapsed=run.seconds,
        selling=max(last_sale - began, 1e-9),
        confirmed=len(granted),
        confirmed_seats=sum(g["quantity"] for g in granted),
        latencies=[r.seconds for r in run.results],
        statuses=statuses,
        payments=payments,
        figures=figures,
        delivered_once=delivered_once,
        capacity=args.capacity,
        cpu=cpu,
        delivery_cpu=delivery_cpu,
        types={t: (capacities[t], granted_by_type[t]) for t in capacities},
    )


def verdict(result: Sale) -> int:
    """Print what went wrong; 1 if the event oversold, an answer was a 5xx, or a confirmed
    registration was not delivered exactly once."""
    if result.oversold:
        print("OVERSOLD", " ".join(result.oversold_types()))
    if result.errors:
        print(f"{result.errors} answers were 5xx")
    return 1 if result.oversold or result.errors or not result.delivered_once else 0


async def run(args: argparse.Namespace) -> int:
    result = await sale(args)
    print(
        f"capacity C={args.capacity}  attempts N={args.attempts}  concurrency K={args.concurrency}"
        f"  users U={args.users}  workers={args.workers or 'default'}  price={args.price}"
        f"  types={args.types}"
    )
    elapsed, confirmed, latencies = result.elapsed, result.confirmed, result.latencies
    print(f"elapsed            {elapsed:8.2f} s")
    print(f"attempts/s         {args.attempts / elapsed:8.1f}")
    kind = "held for payment" if args.price else "confirmed"
    print(
        f"granted/s          {confirmed / elapsed:8.1f}   ({confirmed} {kind}, over the whole run)"
    )
    print(
        f"granted/s selling  {confirmed / result.selling:8.1f}"
        f"   (until sold out: {result.selling:.2f} s)"
    )
    print(f"latency p50        {statistics.median(latencies) * 1000:8.1f} ms")
    print(
        f"server CPU/attempt {result.cpu / args.attempts * 1000:8.2f} ms"
        "   (the server's processes while registrations were sent; deliveries included)"
    )
    print(
        f"  of which web     {(result.cpu - result.delivery_cpu) / args.attempts * 1000:8.2f} ms"
        "   (without the outbox worker: the requests themselves)"
    )
    print(f"latency p90        {percentile(latencies, 0.90) * 1000:8.1f} ms")
    print(f"latency p99        {percentile(latencies, 0.99) * 1000:8.1f} ms")
    print(f"status codes       {dict(sorted(result.statuses.items()))}")
    figures = result.figures
    if result.payments is not None:
        payments = result.payments
        paid = [r for r in payments.results if r.status == 200]
        paid_latencies = [r.seconds for r in payments.results] or [0.0]
        print(f"payments           {len(paid)} confirmed of {len(payments.results)} held")
        print(f"payments/s         {len(payments.results) / payments.seconds:8.1f}")
        print(f"payment p50        {statistics.median(paid_latencies) * 1000:8.1f} ms")
        print(f"payment p99        {percentile(paid_latencies, 0.99) * 1000:8.1f} ms")
        ratio = percentile(paid_latencies, 0.99) / percentile(latencies, 0.99)
        print(f"payment p99 / hold p99 {ratio:5.2f}")
        print(f"confirmed seats    {figures['seats_taken'] - figures['seats_held']}")
    taken = figures["seats_taken"]
    print(
        f"seats taken        {taken} of {args.capacity} (answers granted {result.confirmed_seats})"
    )
    if result.types:
        for entry in figures["by_ticket_type"]:
            capacity, granted = result.types[entry["ticket_type_id"]]
            print(
                f"  {entry['name'][:16]:<17}{entry['sold'] + entry['held']} of {capacity}"
                f" (answers granted {granted})"
            )
    return verdict(result)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--capacity", type=int, default=100)
    parser.add_argument("--attempts", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--workers", type=int, default=2, help="0: start `admit serve` with its default"
    )
    parser.add_argument("--price", type=int, default=0, help="minor units; 0 = free event")
    parser.add_argument("--max-quantity", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--types", type=int, default=1, help="visible ticket types splitting the capacity"
    )
    args = parser.parse_args()
    args.workers = args.workers or None
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
