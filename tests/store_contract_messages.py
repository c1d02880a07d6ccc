"""The Store contract for organizers' messages (issue 15): the daily limit taken in the
same atomic step as the message and its first job, the fan-out's steps, and unsubscribes.

`tests/test_store_sqlite.py` and `tests/test_store_dynamo.py` inherit `MessagesContract`,
so every backend passes these unchanged.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from models.domain import new_id, utcnow
from models.messages import Audience, Message, MessageState, fanout_job, mail_job
from models.outbox import JobState
from models.store import Store
from tests.store_contract import make_event

LIMIT = 3


def make_message(event_id: str, day: str = "2030-01-01", **changes: object) -> Message:
    values: dict[str, object] = {
        "id": new_id(),
        "event_id": event_id,
        "author_id": "org",
        "subject": "Doors at seven",
        "body": "See you there.",
        "audience": Audience.CONFIRMED,
        "recipients": 2,
        "day": day,
        "created_at": utcnow(),
    }
    values.update(changes)
    return Message(**values)  # type: ignore[arg-type]


class MessagesContract:
    async def test_a_message_is_stored_with_its_first_job(self, store: Store) -> None:
        """Would fail before issue 15: the Store had no messages."""
        event = make_event()
        await store.create_event(event)
        message = make_message(event.id)
        job = fanout_job(message.id, 0, utcnow())
        assert await store.queue_message(message, job, LIMIT) == message
        assert await store.get_message(message.id) == message
        stored = await store.get_job(job.id)
        assert stored is not None
        assert stored.state is JobState.PENDING
        assert [m.id for m in await store.list_event_messages(event.id, 10)] == [message.id]
        assert message.state is MessageState.QUEUED

    async def test_concurrent_senders_never_pass_the_daily_limit(self, store: Store) -> None:
        """Would fail on a count-then-write outside one atomic step: 20 senders at once,
        3 a day; a refused send leaves neither message nor job; another day counts anew."""
        event = make_event()
        await store.create_event(event)
        now = utcnow()
        messages = [make_message(event.id) for _ in range(20)]
        results = await asyncio.gather(
            *(store.queue_message(m, fanout_job(m.id, 0, now), LIMIT) for m in messages)
        )
        accepted = [r for r in results if r is not None]
        assert len(accepted) == LIMIT
        listed = await store.list_event_messages(event.id, 50)
        assert {m.id for m in listed} == {m.id for m in accepted}
        for refused in (m for m, r in zip(messages, results, strict=True) if r is None):
            assert await store.get_message(refused.id) is None
            assert await store.get_job(fanout_job(refused.id, 0, now).id) is None
        tomorrow = make_message(event.id, day="2030-01-02")
        assert await store.queue_message(tomorrow, fanout_job(tomorrow.id, 0, now), LIMIT)
        other = make_event()
        await store.create_event(other)
        elsewhere = make_message(other.id)
        assert await store.queue_message(elsewhere, fanout_job(elsewhere.id, 0, now), LIMIT)

    async def test_messages_list_newest_first(self, store: Store) -> None:
        event = make_event()
        await store.create_event(event)
        start = utcnow()
        ids = []
        for n in range(3):
            message = make_message(event.id, created_at=start + timedelta(seconds=n))
            await store.queue_message(message, fanout_job(message.id, 0, start), LIMIT)
            ids.append(message.id)
        assert [m.id for m in await store.list_event_messages(event.id, 2)] == ids[::-1][:2]

    async def test_fanout_steps_move_once_and_write_the_next_job(self, store: Store) -> None:
        """Two runs of one step: one moves it (and writes the next step's job), the other
        finds it moved; the last step marks the fan-out done."""
        event = make_event()
        await store.create_event(event)
        now = utcnow()
        message = make_message(event.id)
        await store.queue_message(message, fanout_job(message.id, 0, now), LIMIT)
        moved = await asyncio.gather(
            *(
                store.advance_message(message.id, 0, "c1", 5, fanout_job(message.id, 1, now))
                for _ in range(5)
            )
        )
        assert moved.count(True) == 1
        after = await store.get_message(message.id)
        assert after is not None
        assert (after.fanout_step, after.fanout_cursor, after.queued) == (1, "c1", 5)
        assert await store.get_job(fanout_job(message.id, 1, now).id) is not None
        assert await store.advance_message(message.id, 1, None, 2, None)
        done = await store.get_message(message.id)
        assert done is not None
        assert done.fanout_done
        assert done.queued == 7
        assert done.fanout_cursor is None
        assert done.state is MessageState.SENDING
        assert not await store.advance_message(message.id, 2, None, 1, None)
        for sent in (True, True, True, True, True, True, False):
            await store.count_message_mail(message.id, sent)
        finished = await store.get_message(message.id)
        assert finished is not None
        assert (finished.sent, finished.skipped) == (6, 1)
        assert finished.state is MessageState.SENT

    async def test_jobs_already_written_are_kept(self, store: Store) -> None:
        now = utcnow()
        jobs = [mail_job("m", f"u{n}", now) for n in range(30)]
        assert await store.add_jobs(jobs[:10]) == 10
        claimed = await store.claim_job(jobs[0].id, "w", now, timedelta(minutes=1))
        assert claimed is not None
        assert await store.add_jobs(jobs) == 20
        kept = await store.get_job(jobs[0].id)
        assert kept is not None
        assert kept.lease_owner == "w"
        assert await store.add_jobs([]) == 0

    async def test_unsubscribes_are_per_organizer(self, store: Store) -> None:
        """Would fail before issue 15: nobody could unsubscribe."""
        now = utcnow()
        await store.unsubscribe("org-a", "u1", now)
        await store.unsubscribe("org-a", "u1", now)  # again: no error
        await store.unsubscribe("org-b", "u2", now)
        users = [f"u{n}" for n in range(250)]
        assert await store.unsubscribed_among("org-a", users) == {"u1"}
        assert await store.unsubscribed_among("org-b", users) == {"u2"}
        assert await store.unsubscribed_among("org-c", users) == set()
        assert await store.unsubscribed_among("org-a", []) == set()

    async def test_the_waiting_list_has_no_one_to_message_yet(self, store: Store) -> None:
        event = make_event()
        await store.create_event(event)
        assert await store.list_waitlist_user_ids(event.id) == []

    async def test_a_message_survives_its_fields_round_trip(self, store: Store) -> None:
        event = make_event()
        await store.create_event(event)
        message = make_message(
            event.id, subject="Ünïcode “quotes”", body="Line one\nLine two\n" + "x" * 4000
        )
        message = replace(message, audience=Audience.NOT_CHECKED_IN, recipients=0)
        await store.queue_message(message, fanout_job(message.id, 0, utcnow()), LIMIT)
        assert await store.get_message(message.id) == message
