"""Check-in at the door: validations per second and latency, first scans and repeats.

Starts Admit with uvicorn on a temporary database, creates an event whose doors are
open with T tickets, then sends every ticket's code once to POST /api/v1/tickets/validate
(first scans: each must be admitted) and once more (repeat scans: each must answer
already_used), K at a time from several door devices. The scans start once every
registration's ticket mail and PDFs are there (bench/deliveries.py). Exits 1 if a ticket
was admitted twice, a first scan was not admitted, an answer was a 5xx, or a
registration was not delivered exactly once.

With `--passed-on P`, P tickets are first passed on to someone else
(POST /api/v1/tickets/{id}/transfer, K at a time, each one mailed with its new PDF), the
first scans use their new codes, and a third phase scans their old codes: each must
answer void.

    .venv/bin/python bench/checkin.py --tickets 2000 --concurrency 32 --passed-on 200
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import statistics
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadgen
from deliveries import check_deliveries
from flash_sale import Server, create_event, sign_up
from loadgen import percentile


def report(name: str, run: loadgen.Run) -> collections.Counter[str]:
    latencies = [r.seconds for r in run.results]
    results = collections.Counter(
        r.json()["result"] if r.status == 200 else f"HTTP {r.status}" for r in run.results
    )
    print(f"{name}")
    count = len(run.results)
    print(f"  validations/s   {count / run.seconds:8.1f}   ({count} in {run.seconds:.2f} s)")
    print(f"  latency p50     {statistics.median(latencies) * 1000:8.2f} ms")
    print(f"  latency p90     {percentile(latencies, 0.90) * 1000:8.2f} ms")
    print(f"  latency p99     {percentile(latencies, 0.99) * 1000:8.2f} ms")
    print(f"  results         {dict(results)}")
    return results


def report_transfers(run: loadgen.Run) -> int:
    latencies = [r.seconds for r in run.results]
    done = sum(1 for r in run.results if r.status == 200)
    print("transfers")
    print(
        f"  transfers/s     {len(run.results) / run.seconds:8.1f}   ({done} of {len(run.results)})"
    )
    print(f"  latency p50     {statistics.median(latencies) * 1000:8.2f} ms")
    print(f"  latency p99     {percentile(latencies, 0.99) * 1000:8.2f} ms")
    return done


async def wait_for_mails(data_dir: Path, subject: str, want: int, limit: float = 120.0) -> int:
    """How many mails with `subject` the outbox holds, once there are `want` (or time is up)."""
    outbox = data_dir / "outbox"
    found: set[str] = set()  # a file read while it was being written is read again
    for _ in range(int(limit / 0.5)):
        for path in outbox.glob("*.eml"):
            if path.name not in found:
                head = path.read_bytes()[:4000].decode("utf-8", "replace")
                if f"Subject: {subject}" in head:
                    found.add(path.name)
        if len(found) >= want:
            break
        await asyncio.sleep(0.5)
    return len(found)


async def run(args: argparse.Namespace) -> int:
    with Server(args.workers) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            organizer = await sign_up(client, "organizer@bench.example.com", "organizer")
            # Events allow at most 1,000 seats per account (flash_sale.create_event): the
            # tickets are bought by as many buyers as that takes.
            buyers = [
                await sign_up(client, f"buyer{n}@bench.example.com", "attendee")
                for n in range(1 + (args.tickets - 1) // 500)
            ]
            # Doors open two hours before the start: an event starting in an hour is open.
            event_id = await create_event(
                client, organizer, args.tickets, price=0, starts_in_hours=1
            )
            owned: list[tuple[str, dict[str, str]]] = []
            confirmed: dict[str, list[str]] = {}
            remaining = args.tickets
            while remaining:
                quantity = min(10, remaining)
                headers = {"Authorization": f"Bearer {buyers[len(owned) // 500]}"}
                answer = await client.post(
                    "/api/v1/registrations",
                    json={"event_id": event_id, "quantity": quantity},
                    headers=headers,
                )
                answer.raise_for_status()
                registration = answer.json()
                confirmed[registration["id"]] = registration["tickets"]
                owned += [(ticket, headers) for ticket in registration["tickets"]]
                remaining -= quantity
            fetch = (("GET", f"/api/v1/tickets/{t}", None, h) for t, h in owned)
            fetched = await loadgen.fire("127.0.0.1", server.port, fetch, 16)
            # Answers come back in the order they finished: keyed by ticket.
            code_of = {r.json()["id"]: r.json()["code"] for r in fetched.results}
        # The ticket mails and PDFs are made after each answer: scanning starts once they
        # are all there, so the scans do not share the CPU with them.
        delivered_once = await check_deliveries(server.data_dir, confirmed)

        rng = random.Random(args.seed)
        passed: loadgen.Run | None = None
        old_codes: list[str] = []
        if args.passed_on:
            chosen = rng.sample(range(len(owned)), args.passed_on)
            gifts = (
                (
                    "POST",
                    f"/api/v1/tickets/{owned[i][0]}/transfer",
                    {"name": f"Friend {i}", "email": f"friend{i}@bench.example.com"},
                    owned[i][1],
                )
                for i in chosen
            )
            passed = await loadgen.fire("127.0.0.1", server.port, gifts, args.concurrency)
            for answer in passed.results:
                if answer.status == 200:
                    moved = answer.json()
                    old_codes.append(code_of[moved["id"]])
                    code_of[moved["id"]] = moved["code"]
            mailed = await wait_for_mails(server.data_dir, "A ticket for you", len(old_codes))
            print(f"passed on {len(old_codes)} of {args.passed_on}; {mailed} mailed with PDFs")

        door = {"Authorization": f"Bearer {organizer}"}
        order = list(code_of.values())
        rng.shuffle(order)

        def scans() -> object:
            return (
                (
                    "POST",
                    "/api/v1/tickets/validate",
                    {
                        "code": code,
                        "event_id": event_id,
                        "gate": f"Gate {n % 4}",
                        "device": f"d{n % 8}",
                    },
                    door,
                )
                for n, code in enumerate(order)
            )

        first = await loadgen.fire("127.0.0.1", server.port, scans(), args.concurrency)
        rng.shuffle(order)
        repeat = await loadgen.fire("127.0.0.1", server.port, scans(), args.concurrency)
        stale = None
        if old_codes:
            order = old_codes
            stale = await loadgen.fire("127.0.0.1", server.port, scans(), args.concurrency)

    print(f"tickets T={args.tickets}  concurrency K={args.concurrency}  workers={args.workers}")
    ok = True
    if passed is not None:
        gifts_done = report_transfers(passed)
        ok = gifts_done == args.passed_on
    first_results = report("first scans", first)
    repeat_results = report("repeat scans", repeat)
    ok = ok and (
        first_results.get("admitted") == args.tickets
        and repeat_results.get("already_used") == args.tickets
    )
    if stale is not None:
        stale_results = report("old codes of tickets passed on", stale)
        ok = ok and stale_results.get("void") == len(old_codes)
    if not ok:
        print("WRONG RESULTS: every first scan must admit and every repeat must be refused")
    return 0 if ok and delivered_once else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--passed-on", type=int, default=0, help="tickets passed on first")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
