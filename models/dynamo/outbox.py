"""Delivery jobs on DynamoDB (the transactional outbox, models/outbox.py).

Table `outbox`, key `id` (`<kind>:<subject>`). `job_put` is one more item of the
confirming TransactWriteItems (models/dynamo/registrations.py `hold_seats`,
models/dynamo/payments.py `confirm_payment`), conditioned on `attribute_not_exists(id)`,
so the job commits with the confirmation and a job is never written twice or over.
The table's stream (NEW_IMAGE, filtered to INSERTs) invokes the `deliverer` function for
each new job; the sweeper finds the jobs due again through the GSI `by_state` (state,
next_try_at). A job that is sent leaves that index (its `next_try_at` is removed) and
is forgotten by TTL (`expires_ttl`) a month later, so the index holds only the backlog
and the dead letters. The worker's writes are conditional UpdateItems: a claim applies
only while the job is claimable, so of concurrent claimers exactly one wins.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models.dynamo.base import DynamoBase
from models.dynamo.codec import Item, from_iso, iso
from models.outbox import (
    OPEN_STATES,
    DeliveryJob,
    JobKind,
    JobState,
    after_failure,
    retried,
)

SENT_MEMORY = timedelta(days=30)
_NAMES = {"#state": "state"}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def job_item(job: DeliveryJob) -> Item:
    item: Item = {
        "id": _s(job.id),
        "kind": _s(job.kind.value),
        "subject": _s(job.subject),
        "state": _s(job.state.value),
        "attempts": _n(job.attempts),
        "created_at": _s(iso(job.created_at)),
        "updated_at": _s(iso(job.updated_at)),
        "last_error": _s(job.last_error),
    }
    if job.state is JobState.SENT:
        item["expires_ttl"] = _n(int((job.updated_at + SENT_MEMORY).timestamp()))
    else:
        item["next_try_at"] = _s(iso(job.next_try_at))  # in the by_state index
    if job.lease_owner is not None and job.lease_until is not None:
        item["lease_owner"] = _s(job.lease_owner)
        item["lease_until"] = _s(iso(job.lease_until))
    return item


def job_from_item(item: Item) -> DeliveryJob:
    def text(name: str) -> str | None:
        return item[name]["S"] if name in item else None

    updated_at = from_iso(item["updated_at"]["S"])
    next_try_at = text("next_try_at")
    lease_until = text("lease_until")
    return DeliveryJob(
        id=item["id"]["S"],
        kind=JobKind(item["kind"]["S"]),
        subject=item["subject"]["S"],
        state=JobState(item["state"]["S"]),
        attempts=int(item["attempts"]["N"]),
        next_try_at=from_iso(next_try_at) if next_try_at else updated_at,
        created_at=from_iso(item["created_at"]["S"]),
        updated_at=updated_at,
        lease_owner=text("lease_owner"),
        lease_until=from_iso(lease_until) if lease_until else None,
        last_error=text("last_error") or "",
    )


class DynamoOutbox(DynamoBase):
    def job_put(self, job: DeliveryJob) -> dict[str, Any]:
        """The transaction item that writes a new job (never over an existing one)."""
        return {
            "Put": {
                "TableName": self.t("outbox"),
                "Item": job_item(job),
                "ConditionExpression": "attribute_not_exists(id)",
            }
        }

    async def get_job(self, job_id: str) -> DeliveryJob | None:
        item = await self.get("outbox", {"id": job_id})
        return job_from_item(item) if item else None

    async def due_jobs(self, now: datetime, limit: int) -> list[DeliveryJob]:
        found: list[DeliveryJob] = []
        for state in OPEN_STATES:
            async for item in self.query_all(
                "outbox",
                IndexName="by_state",
                KeyConditionExpression="#state = :state AND next_try_at <= :now",
                FilterExpression="attribute_not_exists(lease_until) OR lease_until <= :now",
                ExpressionAttributeNames=_NAMES,
                ExpressionAttributeValues={":state": _s(state.value), ":now": _s(iso(now))},
            ):
                found.append(job_from_item(item))
                if len(found) >= limit * len(OPEN_STATES):
                    break
        found.sort(key=lambda job: job.next_try_at)
        return found[:limit]

    async def claim_job(
        self, job_id: str, owner: str, now: datetime, lease: timedelta
    ) -> DeliveryJob | None:
        # `DeliveryJob.claimable`, as a condition.
        response = await self.conditional(
            "update_item",
            TableName=self.t("outbox"),
            Key={"id": _s(job_id)},
            UpdateExpression="SET lease_owner = :owner, lease_until = :until, updated_at = :now",
            ConditionExpression=(
                "#state IN (:pending, :sending)"
                " AND (attribute_not_exists(lease_until) OR lease_until <= :now)"
                " AND (attempts = :zero OR next_try_at <= :now)"
            ),
            ExpressionAttributeNames=_NAMES,
            ExpressionAttributeValues={
                ":owner": _s(owner),
                ":until": _s(iso(now + lease)),
                ":now": _s(iso(now)),
                ":pending": _s(JobState.PENDING.value),
                ":sending": _s(JobState.SENDING.value),
                ":zero": _n(0),
            },
            ReturnValues="ALL_NEW",
        )
        return job_from_item(response["Attributes"]) if response else None

    def _held_by(self, owner: str, values: dict[str, Any]) -> str:
        values |= {
            ":owner": _s(owner),
            ":pending": _s(JobState.PENDING.value),
            ":sending": _s(JobState.SENDING.value),
        }
        return "lease_owner = :owner AND #state IN (:pending, :sending)"

    async def mark_job_sending(self, job_id: str, owner: str, now: datetime) -> bool:
        values: dict[str, Any] = {":to": _s(JobState.SENDING.value), ":now": _s(iso(now))}
        response = await self.conditional(
            "update_item",
            TableName=self.t("outbox"),
            Key={"id": _s(job_id)},
            UpdateExpression="SET #state = :to, updated_at = :now",
            ConditionExpression=self._held_by(owner, values),
            ExpressionAttributeNames=_NAMES,
            ExpressionAttributeValues=values,
        )
        return response is not None

    async def mark_job_sent(self, job_id: str, owner: str, now: datetime) -> bool:
        values: dict[str, Any] = {
            ":to": _s(JobState.SENT.value),
            ":now": _s(iso(now)),
            ":ttl": _n(int((now + SENT_MEMORY).timestamp())),
        }
        response = await self.conditional(
            "update_item",
            TableName=self.t("outbox"),
            Key={"id": _s(job_id)},
            UpdateExpression=(
                "SET #state = :to, updated_at = :now, expires_ttl = :ttl"
                " REMOVE lease_owner, lease_until, next_try_at"
            ),
            ConditionExpression=self._held_by(owner, values),
            ExpressionAttributeNames=_NAMES,
            ExpressionAttributeValues=values,
        )
        return response is not None

    async def fail_job(
        self,
        job_id: str,
        owner: str,
        now: datetime,
        error: str,
        max_attempts: int,
        permanent: bool = False,
    ) -> DeliveryJob | None:
        job = await self.get_job(job_id)
        if job is None or job.lease_owner != owner or job.state not in OPEN_STATES:
            return None
        failed = after_failure(job, now, error, max_attempts, permanent)
        if not await self._put_over(job, failed):
            return None
        return failed

    async def list_jobs(self, state: JobState, limit: int) -> list[DeliveryJob]:
        found: list[DeliveryJob] = []
        async for item in self.query_all(
            "outbox",
            IndexName="by_state",
            KeyConditionExpression="#state = :state",
            ExpressionAttributeNames=_NAMES,
            ExpressionAttributeValues={":state": _s(state.value)},
        ):
            found.append(job_from_item(item))
            if len(found) >= limit:
                break
        return found

    async def retry_job(self, job_id: str, now: datetime) -> DeliveryJob | None:
        job = await self.get_job(job_id)
        if job is None or job.state is not JobState.DEAD:
            return None
        again = retried(job, now)
        return again if await self._put_over(job, again) else None

    async def _put_over(self, seen: DeliveryJob, job: DeliveryJob) -> bool:
        """Replace the job read as `seen` (conditioned on its state, attempts and lease
        still being what was read)."""
        values: dict[str, Any] = {
            ":state": _s(seen.state.value),
            ":attempts": _n(seen.attempts),
        }
        condition = "#state = :state AND attempts = :attempts"
        if seen.lease_owner is not None:
            condition += " AND lease_owner = :owner"
            values[":owner"] = _s(seen.lease_owner)
        response = await self.conditional(
            "put_item",
            TableName=self.t("outbox"),
            Item=job_item(job),
            ConditionExpression=condition,
            ExpressionAttributeNames=_NAMES,
            ExpressionAttributeValues=values,
        )
        return response is not None

    async def job_counts(self) -> dict[JobState, int]:
        counts: dict[JobState, int] = {}
        for state in (*OPEN_STATES, JobState.DEAD):
            total = 0
            start: Item | None = None
            while True:
                extra = {"ExclusiveStartKey": start} if start else {}
                response = await self.client.query(
                    TableName=self.t("outbox"),
                    IndexName="by_state",
                    KeyConditionExpression="#state = :state",
                    ExpressionAttributeNames=_NAMES,
                    ExpressionAttributeValues={":state": _s(state.value)},
                    Select="COUNT",
                    **extra,
                )
                total += int(response.get("Count", 0))
                start = response.get("LastEvaluatedKey")
                if not start:
                    break
            counts[state] = total
        return counts
