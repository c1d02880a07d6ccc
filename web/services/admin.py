"""Operator tasks run from the command line."""

from __future__ import annotations

from models.domain import Role
from models.errors import EmailTaken, ValidationFailed
from web.keys import load_or_create_keys
from web.settings import Settings
from web.wiring import open_services


async def create_user(
    settings: Settings, email: str, password: str, role: str, name: str | None
) -> str:
    """Create an active (verified) account; raises ValueError with a readable message."""
    async with open_services(settings, load_or_create_keys(settings)) as services:
        try:
            user = await services.accounts.sign_up(
                email,
                password,
                name or email.split("@", 1)[0],
                role,
                verified=True,
                allowed_roles=tuple(Role),
            )
        except ValidationFailed as exc:
            raise ValueError("; ".join(f"{k}: {v}" for k, v in exc.fields.items())) from exc
        except EmailTaken as exc:
            raise ValueError(exc.message) from exc
    return f"Created {role} {user.email} (id {user.id})."


DEAD_SHOWN = 50


async def outbox_status(settings: Settings) -> str:
    """How many delivery jobs wait, and the dead ones with their last error."""
    from models.outbox import JobState

    async with open_services(settings, load_or_create_keys(settings)) as services:
        counts = await services.store.job_counts()
        dead = await services.store.list_jobs(JobState.DEAD, DEAD_SHOWN)
    lines = [", ".join(f"{state.value}: {count}" for state, count in counts.items())]
    lines += [f"{job.id}  {job.attempts} attempt(s)  {job.last_error}" for job in dead]
    return "\n".join(lines)


async def shard_event(settings: Settings, event_id: str, shards: int) -> str:
    """Split an event's seat counter over `shards` items (docs/SCALING.md)."""
    async with open_services(settings, load_or_create_keys(settings)) as services:
        await services.store.shard_event(event_id, shards)
    return f"Event {event_id}: its seats are on {shards} counter item(s)."


async def outbox_retry(settings: Settings, job_ids: list[str]) -> str:
    """Put dead delivery jobs back (the named ones, or every dead one), due now."""
    from models.domain import utcnow
    from models.outbox import JobState

    async with open_services(settings, load_or_create_keys(settings)) as services:
        store = services.store
        if not job_ids:
            job_ids = [job.id for job in await store.list_jobs(JobState.DEAD, 1000)]
        back = [job_id for job_id in job_ids if await store.retry_job(job_id, utcnow())]
    missing = sorted(set(job_ids) - set(back))
    message = f"Put back {len(back)} dead delivery job(s)."
    if missing:
        message += f" Not dead (or unknown): {', '.join(missing)}."
    return message
