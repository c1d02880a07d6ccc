"""What every part of the DynamoDB store shares: the client, table names, paging and the
translation of DynamoDB's refusals.

Optimistic writes: every read-check-write in this store is a read followed by a
conditional write (or TransactWriteItems) whose condition re-states what was read; when
the condition fails, the operation reads again and decides again (`RETRIES` times).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from typing import Any

from botocore.exceptions import ClientError

from models.aws_session import shared_session
from models.dynamo.codec import Item, encode_cursor
from models.dynamo.tables import LAYOUT
from models.errors import StoreNotReady, ValidationFailed

RETRIES = 60  # optimistic read-decide-write rounds before giving up
CONFLICT_RETRIES = 5


class Refused(Exception):
    """A conditional write or transaction did not apply. `reasons` holds one code per
    transaction item ("None", "ConditionalCheckFailed", "TransactionConflict", ...)."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = list(reasons)

    def failed(self, index: int) -> bool:
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class DynamoBase:
    def __init__(
        self,
        tables: dict[str, str],
        endpoint_url: str | None = None,
        region: str = "eu-west-1",
        credentials: dict[str, str] | None = None,
        seat_shards: int = 1,
    ) -> None:
        missing = sorted(set(LAYOUT) - set(tables))
        if missing:
            raise ValueError(f"No DynamoDB table name for {', '.join(missing)}")
        self.tables = dict(tables)
        self.endpoint_url = endpoint_url
        self.region = region
        self.credentials = credentials or {}
        # The counter items a new event's seats are split over (seat_shards.py).
        self.default_seat_shards = seat_shards
        self._stack: AsyncExitStack | None = None
        self.client: Any = None

    async def open(self) -> None:
        """Make the client. The tables are not described here: on Lambda this runs in
        every cold start, where ten DescribeTable calls cost more than they tell (the
        stack creates the tables with the function). A missing table shows at its first
        use instead, as StoreNotReady naming it."""
        stack = AsyncExitStack()
        client = await stack.enter_async_context(
            shared_session().create_client(
                "dynamodb",
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                **self.credentials,
            )
        )
        self.client = _MissingTablesNamed(client)
        self._stack = stack

    async def close(self) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()
            self.client = None

    def t(self, logical: str) -> str:
        return self.tables[logical]

    # -- reads ---------------------------------------------------------------------------

    async def get(self, logical: str, key: dict[str, str]) -> Item | None:
        response = await self.client.get_item(
            TableName=self.t(logical),
            Key={name: {"S": value} for name, value in key.items()},
            ConsistentRead=True,
        )
        return response.get("Item")

    async def batch_get(self, logical: str, keys: list[dict[str, Any]]) -> list[Item]:
        """The items of `keys` that exist (strongly consistent, any order), 100 a call,
        asking again for what DynamoDB left unprocessed."""
        found: list[Item] = []
        table = self.t(logical)
        while keys:
            response = await self.client.batch_get_item(
                RequestItems={table: {"Keys": keys[:100], "ConsistentRead": True}}
            )
            found += response.get("Responses", {}).get(table, ())
            unprocessed = response.get("UnprocessedKeys", {}).get(table, {})
            keys = list(unprocessed.get("Keys", ())) + keys[100:]
        return found

    async def query_all(self, logical: str, **arguments: Any) -> AsyncIterator[Item]:
        start: Item | None = None
        while True:
            extra = {"ExclusiveStartKey": start} if start else {}
            response = await self.client.query(TableName=self.t(logical), **arguments, **extra)
            for item in response.get("Items", ()):
                yield item
            start = response.get("LastEvaluatedKey")
            if not start:
                return

    async def query_page(
        self,
        logical: str,
        index: str | None,
        limit: int,
        start: Item | None,
        **arguments: Any,
    ) -> tuple[list[Item], str | None]:
        """Up to `limit` matching items from `start` on, and a cursor when more match.

        A FilterExpression applies after DynamoDB's Limit, so this reads on until it has
        one item more than asked (to know whether a next page exists); the cursor is the
        key of the last item returned, i.e. the LastEvaluatedKey of a read ending there.
        """
        key_names = LAYOUT[logical].key_names(index)
        found: list[Item] = []
        batch = limit + 1 if "FilterExpression" not in arguments else max(limit + 1, 100)
        if index:
            arguments["IndexName"] = index
        while len(found) <= limit:
            extra = {"ExclusiveStartKey": start} if start else {}
            try:
                response = await self.client.query(
                    TableName=self.t(logical), Limit=batch, **arguments, **extra
                )
            except ClientError as exc:
                # A well-formed cursor of another list (say, another event's registrations)
                # names a start key outside this key range.
                if extra and _error_code(exc) == "ValidationException":
                    raise ValidationFailed(
                        {"cursor": "This cursor was not issued for this list."}
                    ) from exc
                raise
            found += response.get("Items", ())
            start = response.get("LastEvaluatedKey")
            if not start:
                break
        items = found[:limit]
        if len(found) > limit and items:
            last = items[-1]
            return items, encode_cursor({name: last[name] for name in key_names})
        return items, None

    # -- writes --------------------------------------------------------------------------

    async def transact(self, items: list[dict[str, Any]]) -> None:
        """TransactWriteItems; raises `Refused` with the per-item reasons."""
        try:
            await self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            code = _error_code(exc)
            if code == "TransactionCanceledException":
                reasons = [
                    r.get("Code", "None") for r in exc.response.get("CancellationReasons", ())
                ]
                raise Refused(reasons or ["Unknown"]) from exc
            if code in ("TransactionConflictException", "TransactionInProgressException"):
                raise Refused(["TransactionConflict"]) from exc
            raise

    async def conditional(self, method: str, **arguments: Any) -> dict[str, Any] | None:
        """A conditional single-item write; None when its condition failed. A write that
        collides with a transaction in flight on the same item is retried a few times,
        then raises `Refused`."""
        for attempt in range(CONFLICT_RETRIES):
            try:
                return await getattr(self.client, method)(**arguments)
            except ClientError as exc:
                code = _error_code(exc)
                if code == "ConditionalCheckFailedException":
                    return None
                if code != "TransactionConflictException":
                    raise
                if attempt == CONFLICT_RETRIES - 1:
                    raise Refused(["TransactionConflict"]) from exc
            await self.backoff(attempt)
        return None  # unreachable: the last attempt returns or raises

    @staticmethod
    async def backoff(attempt: int) -> None:
        """A short random pause before retrying an optimistic write that lost a race."""
        await asyncio.sleep(random.uniform(0, min(0.05, 0.002 * (attempt + 1))))  # noqa: S311


class _MissingTablesNamed:
    """The DynamoDB client, with "no such table" turned into StoreNotReady."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if not callable(method):
            return method

        async def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return await method(*args, **kwargs)
            except ClientError as exc:
                if _error_code(exc) == "ResourceNotFoundException":
                    message = exc.response.get("Error", {}).get("Message", "")
                    raise StoreNotReady(
                        f"DynamoDB table missing (ADMIT_DYNAMODB_TABLES, region): {message}"
                    ) from exc
                raise

        return call
