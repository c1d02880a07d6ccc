"""An event's figures (issue 15): what each selling or scanning transaction adds to
them, decided here once, written by both stores in the same transaction.

The counters are small keyed records per event, so a dashboard read is a few item
reads, never a scan of the registrations:

- `day#2026-12-04`: tickets sold and revenue on that day, in the event's time zone;
  net of what was given back that day, so the days add up to the event's totals;
- `q#2026-12-04T19:45Z`: admissions in the quarter hour starting then (UTC);
- `gate#Side gate`: admissions through that gate (as the door named it);
- `refunds`: refunds made (whole and partial) and the amount given back;
- `version`: moved by every change, so a poll can tell "nothing new" from one read.

Per ticket type, the sold, held and revenue counters are the type's own seat counters
(`models/seat_rules.py`), kept by the same transactions already.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from models.seat_rules import SeatChange

VERSION = "version"
REFUNDS = "refunds"
DAY = "day#"
QUARTER = "q#"
GATE = "gate#"


@dataclass(frozen=True)
class Bump:
    """What one transaction adds to one counter record of an event."""

    key: str
    tickets: int = 0
    revenue: int = 0
    count: int = 0


def day_key(moment: datetime, zone: ZoneInfo) -> str:
    return DAY + moment.astimezone(zone).date().isoformat()


def quarter_of(moment: datetime) -> datetime:
    at = moment.astimezone(UTC)
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def quarter_key(moment: datetime) -> str:
    return QUARTER + quarter_of(moment).strftime("%Y-%m-%dT%H:%MZ")


def seat_bumps(change: SeatChange, now: datetime, zone: ZoneInfo) -> list[Bump]:
    """A seat change's figures: a sale (or its undoing) counts on today's date; any
    change, a hold included, moves the version (seats held show on the dashboard)."""
    if not change:
        return []
    bumps = [Bump(VERSION, count=1)]
    if change.confirmed or change.revenue:
        bumps.append(Bump(day_key(now, zone), tickets=change.confirmed, revenue=change.revenue))
    return bumps


def refund_bumps(amount: int) -> list[Bump]:
    """A refund of `amount` (whole or partial), counted once with what it gave back.
    A whole refund's seats and revenue leave through `seat_bumps`; a partial one keeps
    its seats, so its amount leaves today's revenue here."""
    return [Bump(VERSION, count=1), Bump(REFUNDS, revenue=amount, count=1)]


def refund_amount(amount: int, refunded_amount: int) -> int:
    """What a whole refund gives back: the amount paid less any partial refund before."""
    return max(0, amount - refunded_amount)


def partial_refund_bumps(amount: int, now: datetime, zone: ZoneInfo) -> list[Bump]:
    return [*refund_bumps(amount), Bump(day_key(now, zone), revenue=-amount)]


def checkin_bumps(at: datetime, gate: str) -> list[Bump]:
    return [Bump(VERSION, count=1), Bump(quarter_key(at), count=1), Bump(GATE + gate, count=1)]


def merged(bumps: Iterable[Bump]) -> list[Bump]:
    """One bump per key (a transaction may write each record once)."""
    by_key: dict[str, Bump] = {}
    for b in bumps:
        seen = by_key.get(b.key)
        by_key[b.key] = (
            Bump(b.key, seen.tickets + b.tickets, seen.revenue + b.revenue, seen.count + b.count)
            if seen
            else b
        )
    return list(by_key.values())


@dataclass(frozen=True)
class DaySales:
    day: date
    tickets: int
    revenue: int


@dataclass(frozen=True)
class GateArrivals:
    gate: str
    count: int


@dataclass(frozen=True)
class QuarterArrivals:
    at: datetime
    count: int


@dataclass(frozen=True)
class EventFigures:
    """An event's counter records, read at once (`Store.event_figures`)."""

    days: list[DaySales] = field(default_factory=list)
    quarters: list[QuarterArrivals] = field(default_factory=list)
    gates: list[GateArrivals] = field(default_factory=list)
    refunds: int = 0
    refunded: int = 0
    version: int = 0


def figures_from(records: Iterable[Bump]) -> EventFigures:
    """The figures from the records as stored (a store may split one key's counts
    over several records: they add up)."""
    days: dict[str, list[int]] = {}
    quarters: dict[str, int] = {}
    gates: dict[str, int] = {}
    refunds = refunded = version = 0
    for r in records:
        if r.key.startswith(DAY):
            got = days.setdefault(r.key[len(DAY) :], [0, 0])
            got[0] += r.tickets
            got[1] += r.revenue
        elif r.key.startswith(QUARTER):
            quarters[r.key[len(QUARTER) :]] = quarters.get(r.key[len(QUARTER) :], 0) + r.count
        elif r.key.startswith(GATE):
            gates[r.key[len(GATE) :]] = gates.get(r.key[len(GATE) :], 0) + r.count
        elif r.key == REFUNDS:
            refunds += r.count
            refunded += r.revenue
        elif r.key == VERSION:
            version += r.count
    return EventFigures(
        days=[DaySales(date.fromisoformat(d), t, v) for d, (t, v) in sorted(days.items())],
        quarters=[
            QuarterArrivals(datetime.strptime(q, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC), c)
            for q, c in sorted(quarters.items())
        ],
        # The busiest gate first: that is where the door needs people.
        gates=[GateArrivals(g, c) for g, c in sorted(gates.items(), key=lambda i: (-i[1], i[0]))],
        refunds=refunds,
        refunded=refunded,
        version=version,
    )
