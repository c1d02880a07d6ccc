"""Delivery jobs on SQLite (the transactional outbox, models/outbox.py).

`write_job` runs inside the confirming BEGIN IMMEDIATE transaction (models/sqlite/seats.py
`hold`, models/sqlite/payments.py `confirm`), so the job commits or rolls back with the
confirmation. The worker's writes are small conditional UPDATEs, each its own
transaction: a claim succeeds only while the row is claimable, so of concurrent
claimers (threads or processes) exactly one changes it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Count

from models.outbox import (
    OPEN_STATES,
    DeliveryJob,
    JobKind,
    JobState,
    after_failure,
    retried,
)
from models.sqlite.base import SqliteBase
from models.sqlite.rows import insert_sql, utc, utc_or_none
from models.sqlite.tables import DeliveryJobRow

_OPEN = tuple(state.value for state in OPEN_STATES)


def job_columns(job: DeliveryJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind.value,
        "subject": job.subject,
        "state": job.state.value,
        "attempts": job.attempts,
        "next_try_at": job.next_try_at,
        "lease_owner": job.lease_owner,
        "lease_until": job.lease_until,
        "last_error": job.last_error,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
    }


def job_from_row(row: Any) -> DeliveryJob:
    row = dict(row)
    return DeliveryJob(
        id=row["id"],
        kind=JobKind(row["kind"]),
        subject=row["subject"],
        state=JobState(row["state"]),
        attempts=row["attempts"],
        next_try_at=utc(row["next_try_at"]),
        created_at=utc(row["created_at"]),
        updated_at=utc(row["updated_at"]),
        lease_owner=row["lease_owner"],
        lease_until=utc_or_none(row["lease_until"]),
        last_error=row["last_error"] or "",
    )


def write_job(connection: sqlite3.Connection, job: DeliveryJob) -> None:
    """Insert the job inside the caller's transaction; one of that id already there is
    kept (a repeated confirmation never makes a second job)."""
    columns = job_columns(job)
    sql = insert_sql("delivery_jobs", columns) + " ON CONFLICT(id) DO NOTHING"
    connection.execute(sql, columns)


def _read(connection: sqlite3.Connection, job_id: str) -> DeliveryJob | None:
    row = connection.execute("SELECT * FROM delivery_jobs WHERE id = ?", (job_id,)).fetchone()
    return job_from_row(row) if row else None


def _claim(
    connection: sqlite3.Connection, job_id: str, owner: str, now: datetime, lease: timedelta
) -> DeliveryJob | None:
    job = _read(connection, job_id)
    if job is None or not job.claimable(now):
        return None
    claimed = replace(job, lease_owner=owner, lease_until=now + lease, updated_at=now)
    connection.execute(
        "UPDATE delivery_jobs SET lease_owner = ?, lease_until = ?, updated_at = ? WHERE id = ?",
        (owner, claimed.lease_until, now, job_id),
    )
    return claimed


def _holds(connection: sqlite3.Connection, job_id: str, owner: str) -> DeliveryJob | None:
    job = _read(connection, job_id)
    if job is None or job.lease_owner != owner or job.state not in OPEN_STATES:
        return None
    return job


def _mark(
    connection: sqlite3.Connection, job_id: str, owner: str, now: datetime, state: JobState
) -> bool:
    if _holds(connection, job_id, owner) is None:
        return False
    if state is JobState.SENT:
        connection.execute(
            "UPDATE delivery_jobs SET state = ?, updated_at = ?, lease_owner = NULL,"
            " lease_until = NULL WHERE id = ?",
            (state.value, now, job_id),
        )
    else:
        connection.execute(
            "UPDATE delivery_jobs SET state = ?, updated_at = ? WHERE id = ?",
            (state.value, now, job_id),
        )
    return True


def _fail(
    connection: sqlite3.Connection,
    job_id: str,
    owner: str,
    now: datetime,
    error: str,
    max_attempts: int,
    permanent: bool,
) -> DeliveryJob | None:
    job = _holds(connection, job_id, owner)
    if job is None:
        return None
    failed = after_failure(job, now, error, max_attempts, permanent)
    _replace(connection, failed)
    return failed


def _retry(connection: sqlite3.Connection, job_id: str, now: datetime) -> DeliveryJob | None:
    job = _read(connection, job_id)
    if job is None or job.state is not JobState.DEAD:
        return None
    again = retried(job, now)
    _replace(connection, again)
    return again


def _replace(connection: sqlite3.Connection, job: DeliveryJob) -> None:
    columns = job_columns(job)
    sets = ", ".join(f"{name} = :{name}" for name in columns if name != "id")
    connection.execute(f"UPDATE delivery_jobs SET {sets} WHERE id = :id", columns)  # noqa: S608


class SqliteOutbox(SqliteBase):
    async def get_job(self, job_id: str) -> DeliveryJob | None:
        row = await DeliveryJobRow.select().where(DeliveryJobRow.id == job_id).first().run()
        return job_from_row(row) if row else None

    async def due_jobs(self, now: datetime, limit: int) -> list[DeliveryJob]:
        # `DeliveryJob.claimable`, as a query.
        rows = (
            await DeliveryJobRow.select()
            .where(
                DeliveryJobRow.state.is_in(list(_OPEN))
                & (DeliveryJobRow.lease_until.is_null() | (DeliveryJobRow.lease_until <= now))
                & ((DeliveryJobRow.attempts == 0) | (DeliveryJobRow.next_try_at <= now))
            )
            .order_by(DeliveryJobRow.next_try_at)
            .limit(limit)
            .run()
        )
        return [job_from_row(row) for row in rows]

    async def claim_job(
        self, job_id: str, owner: str, now: datetime, lease: timedelta
    ) -> DeliveryJob | None:
        async with self._write_lock:
            return await self.engine.in_hot_transaction(
                lambda connection: _claim(connection, job_id, owner, now, lease)
            )

    async def mark_job_sending(self, job_id: str, owner: str, now: datetime) -> bool:
        async with self._write_lock:
            return await self.engine.in_hot_transaction(
                lambda connection: _mark(connection, job_id, owner, now, JobState.SENDING)
            )

    async def mark_job_sent(self, job_id: str, owner: str, now: datetime) -> bool:
        async with self._write_lock:
            return await self.engine.in_hot_transaction(
                lambda connection: _mark(connection, job_id, owner, now, JobState.SENT)
            )

    async def fail_job(
        self,
        job_id: str,
        owner: str,
        now: datetime,
        error: str,
        max_attempts: int,
        permanent: bool = False,
    ) -> DeliveryJob | None:
        async with self._write_lock:
            return await self.engine.in_hot_transaction(
                lambda connection: _fail(
                    connection, job_id, owner, now, error, max_attempts, permanent
                )
            )

    async def list_jobs(self, state: JobState, limit: int) -> list[DeliveryJob]:
        rows = (
            await DeliveryJobRow.select()
            .where(DeliveryJobRow.state == state.value)
            .order_by(DeliveryJobRow.next_try_at)
            .limit(limit)
            .run()
        )
        return [job_from_row(row) for row in rows]

    async def retry_job(self, job_id: str, now: datetime) -> DeliveryJob | None:
        async with self._write_lock:
            return await self.engine.in_hot_transaction(
                lambda connection: _retry(connection, job_id, now)
            )

    async def job_counts(self) -> dict[JobState, int]:
        rows = (
            await DeliveryJobRow.select(DeliveryJobRow.state, Count(alias="count"))
            .where(DeliveryJobRow.state != JobState.SENT.value)
            .group_by(DeliveryJobRow.state)
            .run()
        )
        counts: dict[JobState, int] = {s: 0 for s in JobState if s is not JobState.SENT}
        for row in rows:
            counts[JobState(row["state"])] = row["count"]
        return counts
