"""AWS Lambda entry points: `handler` serves the API Gateway HTTP API (payload format 2.0)
through Mangum; `sweep` runs the clock jobs for the EventBridge schedule (with the
delivery jobs due again); `deliver` runs the new delivery jobs of a batch of records from
the outbox table's DynamoDB stream.

`lambda` is a Python keyword, so `import web.lambda` is a syntax error: the Lambda runtime
loads the handler with importlib (`web/lambda.handler` / `web.lambda.handler`), and Python
code does `importlib.import_module("web.lambda")`.

Cold start. Importing this module loads the standard library only. The first invocation
opens an event loop, reads the secrets from SSM Parameter Store on it (one GetParameters
call for the `ADMIT_*_PARAMETER` names; `web/secret_parameters.py`), builds the app (settings, keys,
routes, templates) and runs the app's lifespan on the loop once, which opens the store; the
container keeps all of it in `_runtime` for every later invocation, so the secrets are read
once per container (a rotated secret reaches new cold starts). Mangum's own lifespan
handling (`lifespan="auto"`) runs startup and shutdown around every single invocation
(mangum 0.22; Kludex/mangum#342), which would open and close the store per request, so
Mangum gets `lifespan="off"` and the lifespan runs here instead. A container that Lambda
retires is frozen and killed without notice; `shutdown()` exists for tests and for a
process that ends on its own terms.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mangum import Mangum
    from mangum.protocols import LifespanCycle
    from starlette.types import ASGIApp, Receive, Scope, Send

    from web.services.container import Services
    from web.settings import Settings

log = logging.getLogger("admit.outbox")


def settings_from_env() -> Settings:
    """Settings from the function's environment alone (a `.env` in the bundle is ignored)."""
    from web.settings import Settings

    # Lambda's Python runtime leaves the root logger at WARNING; the app's INFO lines (sales,
    # check-ins, clock jobs) feed the dashboard's metric filters (infra/dashboard.yml).
    logging.getLogger("admit").setLevel(logging.INFO)
    environ = dict(os.environ)
    # The app's clock task would sleep between sweeps, but Lambda freezes a container
    # between invocations, so its timers never fire on time (and a sweep could run in the
    # middle of a request). The scheduled `sweep` function does that work instead; only an
    # explicit ADMIT_SWEEP_INTERVAL turns the in-app clock back on.
    environ.setdefault("ADMIT_SWEEP_INTERVAL", "0")
    return Settings.from_env(environ, env_file=None)


class _WithLifespanState:
    """Hands each request a copy of the lifespan state, as an ASGI server does (Mangum with
    `lifespan="off"` leaves `scope["state"]` out, and the routes read the services there)."""

    def __init__(self, app: ASGIApp, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope["state"] = dict(self.state)
        await self.app(scope, receive, send)


@dataclass
class _Runtime:
    loop: asyncio.AbstractEventLoop
    lifespan: LifespanCycle
    adapter: Mangum


_runtime: _Runtime | None = None


def _start() -> _Runtime:
    from mangum import Mangum
    from mangum.protocols import LifespanCycle

    from web.app import create_app
    from web.secret_parameters import with_secrets

    settings = settings_from_env()
    # One loop for the container's life: the store's connections belong to it, and Mangum
    # runs every request on the current loop.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        app = create_app(loop.run_until_complete(with_secrets(settings)))
        lifespan = LifespanCycle(app, "on")
        lifespan.__enter__()  # runs the lifespan's startup on `loop`; raises if it fails
    except BaseException:
        _close_loop(loop)
        raise
    # PDFs, images and gzipped bodies leave base64-encoded (`isBase64Encoded: true`): Mangum
    # sends as text only bodies whose type is in its text list (text/*, JSON, JavaScript,
    # XML) and that decode as UTF-8.
    adapter = Mangum(_WithLifespanState(app, lifespan.lifespan_state), lifespan="off")
    return _Runtime(loop, lifespan, adapter)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The web function: one API Gateway HTTP API event in, its response out."""
    global _runtime
    if _runtime is None:
        # The start makes hundreds of thousands of objects that live as long as the
        # container (modules, botocore's service models, templates); the cyclic garbage
        # collector would walk them again and again while they are made. Off during the
        # start, then those objects are frozen out of its way for good.
        gc.disable()
        try:
            _runtime = _start()
        finally:
            gc.freeze()
            gc.enable()
    # Something else in the process (a test, an `asyncio.run`) may have changed the current
    # loop since the last call; Mangum looks the loop up on each call.
    asyncio.set_event_loop(_runtime.loop)
    return _runtime.adapter(event, context)


def shutdown() -> None:
    """Run the lifespan's shutdown (closes the store) and forget the app; the next
    invocation builds a new one."""
    global _runtime
    runtime, _runtime = _runtime, None
    if runtime is None:
        return
    asyncio.set_event_loop(runtime.loop)
    try:
        runtime.lifespan.__exit__(None, None, None)
    finally:
        _close_loop(runtime.loop)


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    try:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()
        asyncio.set_event_loop(None)


@asynccontextmanager
async def _services_for_one_run() -> AsyncIterator[Services]:
    """For the scheduled and queue functions: settings with their secrets, and services
    with a store opened for this one run and closed after it."""
    from web.keys import load_or_create_keys
    from web.secret_parameters import with_secrets
    from web.wiring import open_services

    settings = await with_secrets(settings_from_env())
    async with open_services(settings, load_or_create_keys(settings)) as services:
        yield services


def sweep(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The scheduled function: the clock jobs once, through the same code as the app's
    clock task, with a store opened for this run and closed after it."""
    from web.clock import run_clock_jobs

    started = time.perf_counter()

    async def run() -> None:
        async with _services_for_one_run() as services:
            await run_clock_jobs(services)

    asyncio.run(run())
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000)}


def deliver(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The delivery function, fed by the outbox table's DynamoDB stream (new jobs only:
    serverless.yml filters on INSERT). For each record it runs the job its key names
    (`OutboxWorker.run`: claim with a lease, render and store the PDFs, mail, mark), with
    a store opened for this batch and closed after it.

    A job that fails is recorded on the job itself (a retry after its backoff, which the
    sweeper runs, or dead with an ERROR log and its alarm), so its record is done with:
    reporting it back would hold up the whole shard behind it. Only a record whose job
    could not even be claimed or recorded (the store unreachable) is reported back
    (`ReportBatchItemFailures`, by sequence number), and Lambda retries from there. A
    record that names no job is logged and dropped. A failure to start (a secret, the
    store) raises, and Lambda retries the batch."""
    records = event.get("Records") or []

    async def run() -> list[str]:
        failed: list[str] = []
        async with _services_for_one_run() as services:
            for record in records:
                sequence = str(record.get("dynamodb", {}).get("SequenceNumber", ""))
                job_id = _job_id(record)
                if job_id is None:
                    log.error("stream record %s names no delivery job; dropped", sequence)
                    continue
                try:
                    await services.delivery.worker.run(job_id)
                except Exception:
                    # The job could not be claimed or its outcome not recorded: Lambda
                    # hands this record (and those after it) back. Raising instead would
                    # hand back the records already done as well.
                    log.exception("delivery job %s could not be run; the stream retries it", job_id)
                    failed.append(sequence)
                    break  # a stream's records are in order: the rest come back after it
        return failed

    failures = asyncio.run(run())
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failures]}


def _job_id(record: Any) -> str | None:
    """The delivery job a stream record's key names, or None."""
    if not isinstance(record, dict):
        return None
    keys = record.get("dynamodb", {}).get("Keys", {})
    value = keys.get("id", {}).get("S") if isinstance(keys, dict) else None
    if not isinstance(value, str) or not value.strip():
        return None
    return value
