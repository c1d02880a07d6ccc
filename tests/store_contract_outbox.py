"""Store contract: delivery jobs, the transactional outbox (invariant 8). Both store test
classes inherit it.

Fails before issue 12: no confirmation wrote a job, and no store had these operations."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from models.domain import PaymentOutcome, RegistrationStatus, utcnow
from models.errors import Conflict, NotEnoughSeats
from models.outbox import RETRY_FIRST, JobKind, JobState, job_id
from models.store import Store
from models.tickets import tickets_for
from tests.store_contract import make_event, make_registration

LEASE = timedelta(minutes=2)


async def _confirmed(store: Store, quantity: int = 1) -> str:
    """A free registration confirmed at once, as the app makes one; its job's id."""
    event = make_event(capacity=50, price=0)
    await store.create_event(event)
    registration = make_registration(event, quantity)
    now = utcnow()
    await store.hold_seats(registration, now, tickets_for(registration, now))
    return job_id(JobKind.TICKETS, registration.id)


class OutboxContract:
    async def test_a_confirmed_registration_comes_with_its_job(self, store: Store) -> None:
        event = make_event(capacity=5, price=0)
        await store.create_event(event)
        free = make_registration(event, 2)
        now = utcnow()
        await store.hold_seats(free, now, tickets_for(free, now))
        job = await store.get_job(f"tickets:{free.id}")
        assert job is not None
        assert (job.kind, job.subject, job.state, job.attempts) == (
            JobKind.TICKETS,
            free.id,
            JobState.PENDING,
            0,
        )
        assert [j.id for j in await store.due_jobs(utcnow(), 10)] == [job.id]
        assert (await store.job_counts())[JobState.PENDING] == 1

    async def test_a_hold_has_no_job_until_its_payment_confirms_it_once(self, store: Store) -> None:
        event = make_event(capacity=5, price=1000)
        await store.create_event(event)
        held = make_registration(event, 2, held_for=timedelta(minutes=5))
        await store.hold_seats(held, utcnow())
        assert await store.get_job(f"tickets:{held.id}") is None
        tickets = tickets_for(held, utcnow())
        outcomes = await asyncio.gather(
            *(store.confirm_payment(held.id, tickets, utcnow()) for _ in range(8))
        )
        assert outcomes.count(PaymentOutcome.CONFIRMED) == 1
        job = await store.get_job(f"tickets:{held.id}")
        assert job is not None
        assert job.state is JobState.PENDING
        assert await store.job_counts() == {
            JobState.PENDING: 1,
            JobState.SENDING: 0,
            JobState.DEAD: 0,
        }
        # Repeated later, once the job is done: still one job, and it stays done.
        claimed = await store.claim_job(job.id, "w", utcnow(), LEASE)
        assert claimed is not None
        assert await store.mark_job_sent(job.id, "w", utcnow())
        again = await store.confirm_payment(held.id, tickets, utcnow())
        assert again is PaymentOutcome.ALREADY_CONFIRMED
        done = await store.get_job(job.id)
        assert done is not None
        assert done.state is JobState.SENT
        assert await store.due_jobs(utcnow(), 10) == []

    async def test_a_confirmation_that_fails_leaves_no_job(self, store: Store) -> None:
        event = make_event(capacity=5, price=1000)
        await store.create_event(event)
        first = make_registration(event, 1, held_for=timedelta(minutes=5))
        second = make_registration(event, 1, held_for=timedelta(minutes=5))
        await store.hold_seats(first, utcnow())
        await store.hold_seats(second, utcnow())
        taken = tickets_for(first, utcnow())
        assert await store.confirm_payment(first.id, taken, utcnow()) is PaymentOutcome.CONFIRMED
        # The second payment's tickets carry ids that exist: the transaction fails late,
        # after its job was written, and takes the job with it.
        with pytest.raises(Conflict):
            await store.confirm_payment(second.id, taken, utcnow())
        assert await store.get_job(f"tickets:{second.id}") is None
        still = await store.get_registration(second.id)
        assert still is not None
        assert still.status is RegistrationStatus.HELD
        # A free registration refused (not enough seats) leaves none either.
        small = make_event(capacity=1, price=0)
        await store.create_event(small)
        refused = make_registration(small, 2)
        with pytest.raises(NotEnoughSeats):
            await store.hold_seats(refused, utcnow(), tickets_for(refused, utcnow()))
        assert await store.get_job(f"tickets:{refused.id}") is None
        assert [j.subject for j in await store.due_jobs(utcnow(), 10)] == [first.id]

    async def test_of_many_concurrent_claimers_each_job_goes_to_one(self, store: Store) -> None:
        jobs = [await _confirmed(store) for _ in range(6)]
        now = utcnow()
        claims = await asyncio.gather(
            *(store.claim_job(job, f"worker-{n}", now, LEASE) for n in range(8) for job in jobs)
        )
        winners: dict[str, list[str]] = {}
        for claim in claims:
            if claim is not None:
                assert claim.lease_owner is not None
                winners.setdefault(claim.id, []).append(claim.lease_owner)
        assert sorted(winners) == sorted(jobs)
        assert all(len(owners) == 1 for owners in winners.values())
        for job, (owner,) in winners.items():
            stored = await store.get_job(job)
            assert stored is not None
            assert stored.lease_owner == owner
        assert await store.due_jobs(utcnow(), 10) == []  # all leased

    async def test_a_lease_that_ran_out_is_claimed_again(self, store: Store) -> None:
        job = await _confirmed(store)
        now = utcnow()
        assert await store.claim_job(job, "first", now, LEASE) is not None
        assert await store.claim_job(job, "second", now + LEASE / 2, LEASE) is None
        later = now + LEASE + timedelta(seconds=1)
        assert [j.id for j in await store.due_jobs(later, 10)] == [job]
        again = await store.claim_job(job, "second", later, LEASE)
        assert again is not None
        assert again.lease_owner == "second"
        # The first owner lost it: it may neither mark nor fail the job any more.
        assert not await store.mark_job_sending(job, "first", later)
        assert not await store.mark_job_sent(job, "first", later)
        assert await store.fail_job(job, "first", later, "late", 8) is None
        assert await store.mark_job_sent(job, "second", later)
        assert await store.claim_job(job, "third", later + 2 * LEASE, LEASE) is None

    async def test_a_job_left_sending_is_claimed_again_as_sending(self, store: Store) -> None:
        """The mail's fate is unknown after a crash while it was handed over: the next
        claim sees `sending`, the one case where a second mail may go out."""
        job = await _confirmed(store)
        now = utcnow()
        assert await store.claim_job(job, "crashed", now, LEASE) is not None
        assert await store.mark_job_sending(job, "crashed", now)
        stored = await store.get_job(job)
        assert stored is not None
        assert stored.state is JobState.SENDING
        assert (await store.job_counts())[JobState.SENDING] == 1
        later = now + LEASE + timedelta(seconds=1)
        again = await store.claim_job(job, "next", later, LEASE)
        assert again is not None
        assert again.state is JobState.SENDING
        assert await store.mark_job_sent(job, "next", later)

    async def test_failures_back_off_then_the_job_dies_and_can_be_retried(
        self, store: Store
    ) -> None:
        job = await _confirmed(store)
        now = utcnow()
        for attempt in range(1, 3):
            assert await store.claim_job(job, "w", now, LEASE) is not None
            failed = await store.fail_job(job, "w", now, f"SES down {attempt}", 3)
            assert failed is not None
            assert (failed.state, failed.attempts) == (JobState.PENDING, attempt)
            assert failed.next_try_at - now == RETRY_FIRST * 2 ** (attempt - 1)
            assert failed.lease_owner is None
            assert await store.due_jobs(now, 10) == []  # not before its time
            assert await store.claim_job(job, "w", now, LEASE) is None
            now = failed.next_try_at
            assert [j.id for j in await store.due_jobs(now, 10)] == [job]
        assert await store.claim_job(job, "w", now, LEASE) is not None
        dead = await store.fail_job(job, "w", now, "SES down 3", 3)
        assert dead is not None
        assert (dead.state, dead.attempts, dead.last_error) == (JobState.DEAD, 3, "SES down 3")
        assert await store.due_jobs(now + timedelta(days=1), 10) == []
        assert [j.id for j in await store.list_jobs(JobState.DEAD, 10)] == [job]
        assert (await store.job_counts())[JobState.DEAD] == 1
        back = await store.retry_job(job, now)
        assert back is not None
        assert (back.state, back.attempts) == (JobState.PENDING, 0)
        assert await store.retry_job(job, now) is None  # not dead any more
        assert [j.id for j in await store.due_jobs(now, 10)] == [job]

    async def test_a_job_that_can_never_succeed_dies_at_once(self, store: Store) -> None:
        job = await _confirmed(store)
        now = utcnow()
        assert await store.claim_job(job, "w", now, LEASE) is not None
        dead = await store.fail_job(job, "w", now, "cannot be built", 8, permanent=True)
        assert dead is not None
        assert (dead.state, dead.attempts) == (JobState.DEAD, 1)
        stored = await store.get_job(job)
        assert stored == dead
