"""Ticket PDF rendering: milliseconds per ticket and bytes per PDF.

    .venv/bin/python bench/pdf.py [--renders 500] [--warmup 50]

Every render gets a fresh, realistic 170-character code (as a real batch of tickets
would), so the QR code is encoded each time. Wall time is what a request waits; CPU time
is the process's own share, steadier when other work shares the machine.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from web.rendering.document import TicketDocument
from web.rendering.qr import qr_symbol
from web.rendering.ticket_pdf import render_ticket_pdf

LISBON = ZoneInfo("Europe/Lisbon")


def ticket(rng: random.Random) -> TicketDocument:
    code = f"AD1-{rng.getrandbits(32):08X}-" + base64.b32encode(rng.randbytes(100)).decode()
    return TicketDocument(
        ticket_id=f"{rng.getrandbits(128):032x}",
        code=code[:170],
        event_title="Fado at Midnight: an evening of songs from the old city, with guests",
        venue="Clube de Fado, Rua de São João da Praça 94, 1100-521 Lisboa",
        starts_local=datetime(2026, 11, 28, 19, 30, tzinfo=LISBON),
        ends_local=datetime(2026, 11, 28, 22, 0, tzinfo=LISBON),
        timezone="Europe/Lisbon",
        attendee_name="Zoë Ñúñez",
        seat_label="Ticket 2 of 3",
        price_label="€25.00",
        organizer_name="Casa do Fado",
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(
    render: Callable[[TicketDocument], object], tickets: list[TicketDocument]
) -> tuple[list[float], float]:
    """Wall milliseconds of each call, and mean CPU milliseconds a call."""
    walls: list[float] = []
    cpu_start = time.process_time()
    for document in tickets:
        start = time.perf_counter()
        render(document)
        walls.append((time.perf_counter() - start) * 1000)
    return walls, (time.process_time() - cpu_start) * 1000 / len(tickets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    args = parser.parse_args()

    rng = random.Random(2026)
    for document in [ticket(rng) for _ in range(args.warmup)]:
        render_ticket_pdf(document)
    tickets = [ticket(rng) for _ in range(args.renders)]

    walls, cpu_ms = measure(render_ticket_pdf, tickets)
    qr_walls, qr_cpu_ms = measure(lambda document: qr_symbol(document.code), tickets)
    sizes = [len(render_ticket_pdf(document).data) for document in tickets]
    # A name in Cyrillic: reportlab writes the page and embeds a DejaVu subset.
    wide = [replace(document, attendee_name="Ковалёва Анна") for document in tickets[:100]]
    wide_walls, wide_cpu_ms = measure(render_ticket_pdf, wide)
    wide_sizes = [len(render_ticket_pdf(document).data) for document in wide]

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    print(f"{args.renders} tickets, code {len(tickets[0].code)} characters")
    print(
        f"render_ticket_pdf: mean {statistics.fmean(walls):.2f} ms, "
        f"p50 {percentile(walls, 0.50):.2f} ms, p99 {percentile(walls, 0.99):.2f} ms "
        f"(CPU {cpu_ms:.2f} ms a ticket)"
    )
    print(
        f"  of which qr_symbol: mean {statistics.fmean(qr_walls):.2f} ms, "
        f"p99 {percentile(qr_walls, 0.99):.2f} ms (CPU {qr_cpu_ms:.2f} ms)"
    )
    print(f"PDF size: mean {statistics.fmean(sizes):,.0f} bytes, max {max(sizes):,} bytes")
    print(
        f"with a Cyrillic name (DejaVu embedded), {len(wide)} tickets: mean "
        f"{statistics.fmean(wide_walls):.2f} ms (CPU {wide_cpu_ms:.2f} ms), "
        f"{statistics.fmean(wide_sizes):,.0f} bytes"
    )


if __name__ == "__main__":
    main()
