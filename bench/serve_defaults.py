"""The pretix-shaped flash sale against `admit serve` as a user starts it (no flags).

Same load as bench/flash_sale.py (whose server, client and checks it uses), but the server
is started without `--workers`, so it runs with whatever `admit serve` chooses by default.
The shape is the one pretix was measured with in issue 12: 300 registration attempts, 20
at a time, 100 seats, a free event. It prints accepted registrations/s until sold out, the
latency percentiles, and pretix's figures from the issue's table (not measured here) with
the ratio. Exits 1 if the event oversold, an answer was a 5xx, or a confirmed
registration was not delivered exactly once (mails and PDFs counted after the run).

    .venv/bin/python bench/serve_defaults.py
    .venv/bin/python bench/serve_defaults.py --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flash_sale import sale, verdict
from loadgen import percentile

# Issue 12's table: pretix 2026.8 (gunicorn, 2 workers, SQLite) on this 2-core machine,
# the same shape. Quoted, not measured by this script.
PRETIX_ACCEPTED_PER_S = 9.5
PRETIX_P99_MS = 1608.0
TARGET_ACCEPTED_PER_S = 450.0
TARGET_P99_MS = 100.0


async def main_async(args: argparse.Namespace) -> int:
    sale_args = argparse.Namespace(
        capacity=100,
        attempts=300,
        concurrency=20,
        users=50,
        workers=None,
        price=0,
        max_quantity=1,
        seed=args.seed,
        types=1,
    )
    worst = 0
    for number in range(1, args.runs + 1):
        result = await sale(sale_args)
        accepted = result.confirmed / result.selling
        p99_ms = percentile(result.latencies, 0.99) * 1000
        print(
            f"run {number}: `admit serve` with its defaults, 300 attempts, 20 at a time, 100 seats"
        )
        print(
            f"accepted/s         {accepted:8.1f}   ({result.confirmed} confirmed"
            f" until sold out in {result.selling:.2f} s)"
        )
        print(f"latency p50        {statistics.median(result.latencies) * 1000:8.1f} ms")
        print(f"latency p99        {p99_ms:8.1f} ms")
        print(f"status codes       {dict(sorted(result.statuses.items()))}")
        print(
            f"pretix (issue 12)  {PRETIX_ACCEPTED_PER_S:8.1f} accepted/s,"
            f" p99 {PRETIX_P99_MS:,.0f} ms"
            " (quoted from the issue's table, not measured here)"
        )
        print(
            f"ratio to pretix    {accepted / PRETIX_ACCEPTED_PER_S:8.1f}x accepted/s,"
            f" p99 {PRETIX_P99_MS / p99_ms:.1f}x lower"
        )
        met = accepted >= TARGET_ACCEPTED_PER_S and p99_ms <= TARGET_P99_MS
        print(
            f"target             >= {TARGET_ACCEPTED_PER_S:.0f} accepted/s and p99 <= "
            f"{TARGET_P99_MS:.0f} ms: {'met' if met else 'not met'}"
        )
        worst = max(worst, verdict(result))
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1, help="fresh server and data each run")
    parser.add_argument("--seed", type=int, default=7)
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
