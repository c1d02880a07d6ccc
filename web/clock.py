"""Clock jobs. Locally an asyncio task in the app's lifespan runs them; on AWS a scheduled
Lambda calls the same `run_clock_jobs`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from web.services.container import Services

log = logging.getLogger("admit.clock")


async def run_clock_jobs(services: Services) -> None:
    freed = await services.registrations.sweep()
    if freed:
        log.info("released %d seats from run-out holds", freed)
    purged = await services.accounts.purge_spent()
    if purged:
        log.info("forgot %d expired codes and old failed log-ins", purged)
    retried = await services.delivery.retry_due()
    if retried:
        log.info("ran %d delivery jobs that were due again", retried)
    ended = await services.sessions.purge_expired()
    if ended:
        log.info("forgot %d run-out sessions", ended)


async def _every(interval: float, services: Services) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await run_clock_jobs(services)
        except Exception:
            # A failed sweep must not end the loop: the next run retries, and the lazy
            # release on every seat count keeps figures true meanwhile.
            log.exception("clock jobs failed; retrying in %.0f s", interval)


@asynccontextmanager
async def clock(services: Services, interval: float) -> AsyncIterator[None]:
    """Run the clock jobs every `interval` seconds while the app lives (0: never)."""
    if interval <= 0:
        yield
        return
    task = asyncio.create_task(_every(interval, services), name="admit-clock")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
