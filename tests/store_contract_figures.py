"""The Store contract for an event's figures (issue 15): counters kept by the same
transactions that sell and scan, read in one go. `tests/test_store_sqlite.py` and
`tests/test_store_dynamo.py` inherit `FiguresContract`.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, timedelta

from models.domain import PaymentOutcome, utcnow
from models.figures import quarter_of
from models.store import Store
from models.tickets import DEFAULT_GRACE, CheckinAttempt, CheckinResult, tickets_for
from tests.store_contract import make_event, make_registration

HOLD = timedelta(minutes=10)


class FiguresContract:
    async def test_figures_follow_a_scripted_history(self, store: Store) -> None:
        """Sales on three days, a refund, a partial refund, a run-out hold and scans in two
        quarter hours: figures per day (the event's time zone), per quarter hour, refunds.
        Fails before issue 15: no store kept any of these."""
        event = make_event(days=0.01, timezone="America/Los_Angeles", price=2500)
        await store.create_event(event)
        now = utcnow()
        # 03:00 UTC is the evening before in Los Angeles.
        day_a = (now - timedelta(days=2)).replace(hour=3, minute=0, second=0, microsecond=0)
        day_b = day_a + timedelta(days=1)
        r1, r2 = make_registration(event, 2), make_registration(event, 1)
        for r in (r1, r2):
            await store.hold_seats(r, day_a, tickets_for(r, day_a))
        paid = make_registration(event, 1, held_for=HOLD)
        await store.hold_seats(paid, day_b)
        outcome = await store.confirm_payment(paid.id, tickets_for(paid, day_b), day_b)
        assert outcome is PaymentOutcome.CONFIRMED
        run_out = make_registration(event, 2, held_for=HOLD)
        run_out = replace(run_out, hold_expires_at=day_b + timedelta(minutes=10))
        await store.hold_seats(run_out, day_b)
        assert await store.release_expired_holds(event.id, now) == 2
        r3 = make_registration(event, 3)
        r3_tickets = tickets_for(r3, now)
        await store.hold_seats(r3, now, r3_tickets)
        await store.refund_registration(r2.id, now)
        await store.record_partial_refund(r3.id, 1000, now)

        r1_tickets = await store.list_registration_tickets(r1.id)
        later = now + timedelta(minutes=20)
        scans = [(r1_tickets[0], now, "A"), (r3_tickets[0], later, "Side #2")]
        scans.append((r3_tickets[1], later, "A"))
        scans.append((r3_tickets[1], later, "Side #2"))  # a second scan admits nobody
        results = [
            (
                await store.check_in(
                    CheckinAttempt(
                        utcnow().isoformat() + t.id, event.id, t.id, "org", gate, "p", at
                    ),
                    event.id,
                    DEFAULT_GRACE,
                )
            ).result
            for t, at, gate in scans
        ]
        assert results.count(CheckinResult.ADMITTED) == 3

        figures = await store.event_figures(event.id)
        la_a, la_b = day_a.date() - timedelta(days=1), day_b.date() - timedelta(days=1)
        today = now.astimezone(event.zone).date()
        assert [(d.day, d.tickets, d.revenue) for d in figures.days] == [
            (la_a, 3, 7500),
            (la_b, 1, 2500),
            (today, 3 - 1, 7500 - 2500 - 1000),
        ]
        assert [(q.at, q.count) for q in figures.quarters] == [
            (quarter_of(now), 1),
            (quarter_of(later), 2),
        ]
        # Per gate, busiest first; a gate's own "#" survives the stores' keys.
        assert [(g.gate, g.count) for g in figures.gates] == [("A", 2), ("Side #2", 1)]
        assert (figures.refunds, figures.refunded) == (2, 3500)
        stored = await store.get_event(event.id)
        assert stored is not None
        assert sum(d.tickets for d in figures.days) == stored.seats_confirmed
        assert sum(d.revenue for d in figures.days) == stored.revenue
        assert figures.version == await store.figures_version(event.id)
        assert figures.quarters[0].at.tzinfo is UTC
        assert isinstance(figures.days[0].day, date)

    async def test_a_scan_moves_the_version_and_other_events_stay_apart(self, store: Store) -> None:
        """The version a poll compares (ETag) moves with a scan; an event without sales
        has empty figures. Fails before issue 15: no version existed."""
        event, other = make_event(days=0.01), make_event(days=0.01)
        for e in (event, other):
            await store.create_event(e)
        assert await store.figures_version(event.id) == 0
        registration = make_registration(event, 1)
        tickets = tickets_for(registration, utcnow())
        await store.hold_seats(registration, utcnow(), tickets)
        before = await store.figures_version(event.id)
        assert before > 0
        attempt = CheckinAttempt("scan-1", event.id, tickets[0].id, "org", "A", "p", utcnow())
        await store.check_in(attempt, event.id, DEFAULT_GRACE)
        assert await store.figures_version(event.id) > before
        empty = await store.event_figures(other.id)
        assert (empty.days, empty.quarters, empty.version) == ([], [], 0)
        assert await store.waitlist_size(event.id) == 0

    async def test_concurrent_sales_all_count(self, store: Store) -> None:
        """Many buyers at once: every sale lands in the day's figures exactly once, which
        add up to the event's counter (on DynamoDB they spread over shard items)."""
        event = make_event(capacity=30)
        await store.create_event(event)
        now = utcnow()
        buyers = [make_registration(event, 1) for _ in range(40)]
        outcomes = await asyncio.gather(
            *(store.hold_seats(b, now) for b in buyers), return_exceptions=True
        )
        sold = sum(1 for o in outcomes if not isinstance(o, BaseException))
        assert sold == 30
        figures = await store.event_figures(event.id)
        assert [(d.tickets, d.revenue) for d in figures.days] == [(30, 30 * event.price)]
        stored = await store.get_event(event.id)
        assert stored is not None
        assert stored.seats_confirmed == 30
