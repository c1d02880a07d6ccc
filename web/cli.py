"""The `admit` command line (API.md, "Command line")."""

from __future__ import annotations

import argparse
import asyncio
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


def _serve(settings: Settings, host: str, port: int, workers: int, from_ssm: bool) -> int:
    import uvicorn

    # Each worker builds its own app from the environment, which holds only the SSM
    # parameters' names: secrets read from SSM need the one in-process app built here.
    app: Any = "web.app:create_app"
    if from_ssm:
        if workers > 1:
            print("error: with ADMIT_*_PARAMETER set, serve runs one worker", file=sys.stderr)
            return 2
        from web.app import create_app

        app = create_app(settings)
    uvicorn.run(
        app,
        host=host,
        port=port,
        workers=workers,
        factory=not from_ssm,
        proxy_headers=not settings.is_local,
        log_level="info",
    )
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
    serve.add_argument("--workers", type=int, default=1)

    commands.add_parser("migrate", help="bring the SQLite database up to date")

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
            return _serve(settings, args.host, args.port, args.workers, from_ssm)
        if args.command == "migrate":
            return _migrate(settings)
        if args.command == "demo":
            return _demo(settings, args.if_empty)
        return _create_user(settings, args)
    except (StoreNotReady, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
