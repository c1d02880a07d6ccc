"""The `admit` command line (API.md, "Command line")."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from models.errors import StoreNotReady
from web.secret_parameters import with_secrets
from web.settings import Settings, SettingsError


def _migrate(settings: Settings) -> int:
    from models.sqlite.migrate import migrate

    ran = asyncio.run(migrate(settings.database_path, quiet=True))
    if ran:
        print(f"Applied {len(ran)} migration(s) to {settings.database_path}: {', '.join(ran)}")
    else:
        print(f"{settings.database_path} is up to date.")
    return 0


MAX_DEFAULT_WORKERS = 8


def default_workers() -> int:
    """One worker per core this process may run on (a container's or taskset's share, not
    the host's), capped: past a few workers SQLite's single writer is the limit, and each
    worker holds its own connections and memory."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_WORKERS))


GRACEFUL_STOP = 10  # seconds


class ServeRefused(Exception):
    """`admit serve`'s options cannot run together; the message says why."""


def uvicorn_options(
    settings: Settings,
    host: str,
    port: int,
    workers: int | None,
    access_log: bool,
    from_ssm: bool,
) -> dict[str, Any]:
    """What `admit serve` passes to uvicorn.run (besides the app), decided without
    starting anything so that the tests can check the choices."""
    if from_ssm:
        # Each worker builds its own app from the environment, which holds only the SSM
        # parameters' names: secrets read from SSM need the one in-process app.
        if workers is not None and workers > 1:
            raise ServeRefused("with ADMIT_*_PARAMETER set, serve runs one worker")
        workers = 1
    elif workers is None:
        workers = default_workers()
    if workers < 1:
        raise ServeRefused("--workers must be 1 or more")
    return {
        "host": host,
        "port": port,
        "workers": workers,
        "factory": not from_ssm,
        "proxy_headers": not settings.is_local,
        "log_level": "info",
        # uvicorn's access log formats and writes a line per request in the worker that
        # answers it, on the buyers' CPU during a rush. Off unless asked for.
        "access_log": access_log,
        # An open dashboard holds a figures stream (ADMIT_LIVE_FIGURES=sse) for up to
        # ADMIT_LIVE_FIGURES_STREAM_FOR; a stop waits this long, then ends such streams
        # (the browser reconnects to the next server). Plain requests finish well within.
        "timeout_graceful_shutdown": GRACEFUL_STOP,
    }


def _serve(
    settings: Settings,
    host: str,
    port: int,
    workers: int | None,
    access_log: bool,
    from_ssm: bool,
) -> int:
    import uvicorn

    try:
        options = uvicorn_options(settings, host, port, workers, access_log, from_ssm)
    except ServeRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    app: Any = "web.app:create_app"
    if from_ssm:
        from web.app import create_app

        app = create_app(settings)
    worker = _start_worker() if settings.delivery == "worker" else None
    if worker is not None:
        # uvicorn stops on SIGTERM, then raises it again under the handler it found: this
        # one, so that the `finally` below still stops the worker.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        uvicorn.run(app, **options)
    finally:
        if worker is not None:
            _stop_worker(worker)
    return 0


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


WORKER_NICENESS = 10  # below the web workers: buyers' requests come first


def _start_worker() -> subprocess.Popen[bytes]:
    """`admit worker` as a child process, lower in priority than the web workers, that
    ends when this process does (it watches its parent)."""
    command = [sys.executable, "-m", "web.cli", "worker", "--nice", str(WORKER_NICENESS)]
    return subprocess.Popen([*command, "--parent", str(os.getpid())])  # noqa: S603


def _stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the worker finishes the job in hand), then SIGKILL after 10 s: a job cut
    short is claimed again once its lease runs out."""
    worker.terminate()
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _worker(settings: Settings, nice: int, parent: int | None) -> int:
    """Drain the outbox until SIGTERM or SIGINT (or, with `parent`, until that process
    is gone)."""
    from web.keys import load_or_create_keys
    from web.wiring import open_services

    if nice:
        os.nice(nice)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        watcher = asyncio.create_task(_watch_parent(parent, stop)) if parent else None
        try:
            async with open_services(settings, load_or_create_keys(settings)) as services:
                await services.delivery.worker.run_forever(settings.outbox_poll, stop)
        finally:
            if watcher is not None:
                watcher.cancel()

    asyncio.run(run())
    return 0


async def _watch_parent(parent: int, stop: asyncio.Event) -> None:
    """A parent killed outright (SIGKILL) cannot stop its child: the child notices."""
    while os.getppid() == parent:  # noqa: ASYNC110 (no event tells a parent's death)
        await asyncio.sleep(1)
    stop.set()


def _outbox(settings: Settings, args: argparse.Namespace) -> int:
    from web.services.admin import outbox_retry, outbox_status

    if args.outbox_command == "retry":
        print(asyncio.run(outbox_retry(settings, args.job_ids)))
        return 0
    print(asyncio.run(outbox_status(settings)))
    return 0


def _shard_event(settings: Settings, event_id: str, shards: int) -> int:
    from models.errors import AdmitError
    from web.services.admin import shard_event

    try:
        print(asyncio.run(shard_event(settings, event_id, shards)))
    except AdmitError as exc:
        fields = getattr(exc, "fields", {})
        print(f"error: {exc}", *(f"{k}: {v}" for k, v in fields.items()), file=sys.stderr)
        return 1
    return 0


def _demo(settings: Settings, only_if_empty: bool) -> int:
    from web.services.demo import seed_demo

    result = asyncio.run(seed_demo(settings, only_if_empty=only_if_empty))
    print(result)
    return 0


def _create_user(settings: Settings, args: argparse.Namespace) -> int:
    from web.services.admin import create_user

    try:
        message = asyncio.run(
            create_user(settings, args.email, args.password, args.role, args.name)
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(message)
    return 0


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="admit", description="Admit: events and tickets.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the web app with uvicorn")
    serve.add_argument("--host", default=settings.host)
    serve.add_argument("--port", type=int, default=settings.port)
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help=f"worker processes (default: one per core, at most {MAX_DEFAULT_WORKERS})",
    )
    serve.add_argument(
        "--access-log",
        action="store_true",
        help="log a line per request (off by default: it costs CPU on every request)",
    )

    worker = commands.add_parser("worker", help="deliver tickets: drain the outbox until stopped")
    worker.add_argument("--nice", type=int, default=0, help="lower this process's priority")
    worker.add_argument("--parent", type=int, default=None, help=argparse.SUPPRESS)

    outbox = commands.add_parser("outbox", help="see and retry delivery jobs")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True)
    outbox_commands.add_parser("status", help="count the jobs waiting, and list the dead ones")
    retry = outbox_commands.add_parser("retry", help="put dead jobs back (all, or those named)")
    retry.add_argument("job_ids", nargs="*", help="job ids (tickets:<registration id>)")

    commands.add_parser("migrate", help="bring the SQLite database up to date")

    shard = commands.add_parser(
        "shard-event", help="split a hot event's seat counter over N items (docs/SCALING.md)"
    )
    shard.add_argument("event_id")
    shard.add_argument("shards", type=int)

    demo = commands.add_parser("demo", help="add demo accounts and events to an empty database")
    demo.add_argument(
        "--if-empty", action="store_true", help="do nothing (but print the log-ins) if data exists"
    )

    users = commands.add_parser("users", help="manage accounts")
    user_commands = users.add_subparsers(dest="users_command", required=True)
    create = user_commands.add_parser("create", help="create an active account")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--role", required=True, choices=["attendee", "organizer", "door_staff"])
    create.add_argument("--name", default=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args = build_parser(settings).parse_args(argv)
    from_ssm = bool(settings.secret_parameters)
    try:
        # The `ADMIT_*_PARAMETER` secrets, read once for every command (web/secret_parameters.py).
        settings = asyncio.run(with_secrets(settings))
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "serve":
            return _serve(settings, args.host, args.port, args.workers, args.access_log, from_ssm)
        if args.command == "worker":
            return _worker(settings, args.nice, args.parent)
        if args.command == "outbox":
            return _outbox(settings, args)
        if args.command == "migrate":
            return _migrate(settings)
        if args.command == "demo":
            return _demo(settings, args.if_empty)
        if args.command == "shard-event":
            return _shard_event(settings, args.event_id, args.shards)
        return _create_user(settings, args)
    except (StoreNotReady, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
