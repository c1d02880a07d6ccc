"""Shared fixtures: a fresh data dir and app per test, an httpx client over ASGI.

The database of each test is a copy of one migrated template (running Piccolo's
migrations once per session instead of once per test).

`pytest --adapters=aws` runs the same tests on the production adapters instead: the
DynamoDB store, S3 files, Cognito identity and SES mail, all on one moto server, with
tables, bucket, user pool and sender made afresh for each test from infra/. Tests of
what only the local adapters do carry `@pytest.mark.local_adapters` and are skipped there.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from models.sqlite.migrate import migrate
from models.sqlite.store import SqliteStore
from tests.api_helpers import Person, sign_up
from web.app import create_app
from web.services.container import Services
from web.settings import Settings

pytest_plugins = ["tests.moto_server", "tests.parallel", "tests.localstripe_server"]

BASE_URL = "http://testserver"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--adapters",
        choices=("local", "aws"),
        default="local",
        help="run the app on the local adapters (default) or the AWS ones, on moto",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--adapters") != "aws":
        return
    skip = pytest.mark.skip(reason="tests what only the local adapters do")
    for item in items:
        if item.get_closest_marker("local_adapters"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "admit.sqlite3"
    asyncio.run(migrate(path, quiet=True))
    return path


@pytest.fixture
async def sqlite_store(tmp_path: Path, template_db: Path) -> AsyncIterator[SqliteStore]:
    """An open SqliteStore on a fresh copy of the migrated template."""
    path = tmp_path / "admit.sqlite3"
    shutil.copyfile(template_db, path)
    store = SqliteStore(path)
    await store.open()
    yield store
    await store.close()


def fresh_settings(data_dir: Path, template_db: Path, **changes: object) -> Settings:
    data_dir.mkdir(parents=True, exist_ok=True)
    # The app drains its own outbox right after each answer, so a test reads the mail
    # once the answer is in (httpx's ASGI transport waits for background tasks).
    changes = {"delivery": "in-app", **changes}
    settings = Settings(data_dir=data_dir, base_url=BASE_URL).with_changes(**changes)
    shutil.copyfile(template_db, settings.database_path)
    return settings


@pytest.fixture
def settings(tmp_path: Path, template_db: Path, request: pytest.FixtureRequest) -> Settings:
    """Per-test settings; a test changes them with @pytest.mark.settings(key=value)."""
    marker = request.node.get_closest_marker("settings")
    changes = dict(marker.kwargs) if marker else {}
    if request.config.getoption("--adapters") == "aws":
        from tests.aws_app import aws_settings

        endpoint = request.getfixturevalue("moto")
        request.getfixturevalue("aws_credentials")
        # A loop of its own in a thread: this fixture also serves the browser tests, whose
        # Playwright already runs a loop in this one.
        with ThreadPoolExecutor(1) as thread:
            made = thread.submit(asyncio.run, aws_settings(endpoint)).result()
        changes = {**made, **changes}
    return fresh_settings(tmp_path / "data", template_db, **changes)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        app.state.asgi = manager.app
        # asgi-lifespan keeps the lifespan's state privately; tests read the services
        # from it to arrange data the way the app itself would.
        app.state.lifespan_state = manager._state
        yield app


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app.state.asgi, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def organizer(client: httpx.AsyncClient) -> Person:
    """The organizer most HTTP tests act as (a module may define its own)."""
    return await sign_up(client, "org@example.com", "organizer", "Olga Organizer")


@pytest.fixture
async def attendee(client: httpx.AsyncClient) -> Person:
    """The attendee most HTTP tests buy as (a module may define its own)."""
    return await sign_up(client, "ana@example.com", "attendee", "Ana")


@pytest.fixture
def services(app: Starlette) -> Services:
    """The running app's services (for arranging data the way the app would)."""
    return app.state.lifespan_state["services"]
