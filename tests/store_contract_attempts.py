"""Store contract: attempts under a limit (`take_attempt` / `release_attempt`), the
atomic counter behind the log-in and code limits. Both store test classes inherit it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from models.domain import utcnow
from models.store import Store

WINDOW = timedelta(hours=1)


class AttemptsContract:
    async def test_attempts_are_taken_up_to_the_limit(self, store: Store) -> None:
        now = utcnow()
        first = await store.take_attempt("code:a", now - timedelta(minutes=30), now - WINDOW, 2)
        second = await store.take_attempt("code:a", now, now - WINDOW, 2)
        assert first.taken
        assert second.taken
        assert first.token != second.token
        refused = await store.take_attempt("code:a", now, now - WINDOW, 2)
        assert not refused.taken
        assert refused.oldest is not None
        assert abs(refused.oldest - (now - timedelta(minutes=30))) < timedelta(milliseconds=1)
        assert refused.retry_after(WINDOW, now) in range(30 * 60, 30 * 60 + 2)
        # Another key has a limit of its own.
        assert (await store.take_attempt("code:b", now, now - WINDOW, 2)).taken

    async def test_attempts_older_than_the_window_do_not_count(self, store: Store) -> None:
        now = utcnow()
        for _ in range(3):
            assert (await store.take_attempt("k", now - 2 * WINDOW, now - 3 * WINDOW, 3)).taken
        assert not (await store.take_attempt("k", now - 2 * WINDOW, now - 3 * WINDOW, 3)).taken
        for _ in range(3):
            assert (await store.take_attempt("k", now, now - WINDOW, 3)).taken
        assert not (await store.take_attempt("k", now, now - WINDOW, 3)).taken

    async def test_a_released_attempt_no_longer_counts(self, store: Store) -> None:
        now = utcnow()
        taken = await store.take_attempt("login:x", now, now - WINDOW, 1)
        assert taken.token is not None
        assert not (await store.take_attempt("login:x", now, now - WINDOW, 1)).taken
        await store.release_attempt("login:other", taken.token)  # another key: nothing
        assert not (await store.take_attempt("login:x", now, now - WINDOW, 1)).taken
        await store.release_attempt("login:x", taken.token)
        await store.release_attempt("login:x", taken.token)  # twice: ignored
        await store.release_attempt("login:x", "no-such-token")
        later = now + timedelta(milliseconds=1)
        again = await store.take_attempt("login:x", later, now - WINDOW, 1)
        assert again.taken
        # The stale token of the released attempt does not release its successor.
        await store.release_attempt("login:x", taken.token)
        assert not (await store.take_attempt("login:x", later, now - WINDOW, 1)).taken

    async def test_parallel_takers_never_pass_the_limit(self, store: Store) -> None:
        """Many callers at once (a guesser's parallel requests) take at most `limit`."""
        now = utcnow()

        async def take() -> bool:
            return (await store.take_attempt("race", now, now - WINDOW, 5)).taken

        results = await asyncio.gather(*(take() for _ in range(40)))
        assert sum(results) == 5
        # Releasing and retaking in parallel keeps the bound too.
        results = await asyncio.gather(*(take() for _ in range(20)))
        assert sum(results) == 0
