"""Browser end-to-end tests: a live uvicorn server per test, driven by Debian's Chromium.

Playwright comes through pytest-playwright (its sync `page` fixture), launching
/usr/bin/chromium by `executable_path`: `playwright install` cannot download here.
Every context is a phone (390x844 CSS pixels, touch). Tests are plain sync functions;
the server runs its own event loop in a background thread.

A test changes the server's Settings with `@pytest.mark.settings(...)`, as HTTP tests do.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserType,
    ConsoleMessage,
    Page,
    Playwright,
    sync_playwright,
)

from web.app import create_app
from web.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
START_TIMEOUT = 10.0
HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/browser is a browser test (`-m "not browser"` skips them).

    Under pytest-xdist one worker runs them all in a row (tests/parallel.py).
    """
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


# Playwright's sync API leaves its event loop marked as running in the main thread while it
# is alive, so `asyncio.run` and pytest-asyncio tests fail until it stops. pytest-playwright
# keeps it for the whole session; these overrides keep it (and the browser) for this
# package only, so the rest of the suite runs after it as if it were not there.


@pytest.fixture(scope="package")
def playwright(_pw_api_request_contexts: Any) -> Iterator[Playwright]:
    pw = sync_playwright().start()
    if _pw_api_request_contexts:
        _pw_api_request_contexts.instrument(pw)
    yield pw
    pw.stop()


@pytest.fixture(scope="package")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    return getattr(playwright, browser_name)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


@pytest.fixture(scope="package")
def launch_browser(
    browser_type_launch_args: dict[str, Any], browser_type: BrowserType
) -> Callable[..., Browser]:
    def launch(**kwargs: Any) -> Browser:
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="package")
def browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def browser_context_args() -> dict[str, Any]:
    """A phone. (Not built on pytest-playwright's: that one needs the session Playwright.)"""
    return dict(PHONE)


@dataclass(frozen=True)
class LiveServer:
    url: str
    settings: Settings

    def at(self, path: str) -> str:
        return self.url + path


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """The app on a free 127.0.0.1 port, with a fresh data dir (a copy of the template DB).

    The socket is bound here and handed to uvicorn, so the port is ours from the moment it
    is known: a port probed, released and bound again later could be taken meanwhile by
    another test or another xdist worker.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        settings = settings.with_changes(base_url=url)
        config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            ws="none",
            # An open dashboard's figures stream would hold the stop for its whole length.
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive():
                pytest.fail("the live server stopped while starting (see the captured log)")
            if time.monotonic() > deadline:
                server.should_exit = True
                pytest.fail(f"the live server did not start within {START_TIMEOUT} s")
            time.sleep(0.02)
        try:
            yield LiveServer(url, settings)
        finally:
            server.should_exit = True
            thread.join(timeout=START_TIMEOUT)
            assert not thread.is_alive(), "the live server did not stop"


@dataclass
class BrowserProblems:
    """Console errors, uncaught exceptions and CSP violations seen by a page."""

    messages: list[str] = field(default_factory=list)
    # Console errors a test expects, e.g. Chromium's note on a 422 answer to htmx.
    allowed: list[str] = field(default_factory=list)

    def allow(self, fragment: str) -> None:
        self.allowed.append(fragment)

    def unexpected(self) -> list[str]:
        return [m for m in self.messages if not any(a in m for a in self.allowed)]


# Reports violations through an exposed binding: it survives navigations, and CSP does not
# apply to scripts the browser injects.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCsp(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || document.location.pathname}:${event.lineNumber}`);
});
"""


def watch_problems(page: Page, found: BrowserProblems | None = None) -> BrowserProblems:
    """Collects what `page` complains about (e.g. a page of a second browser context)."""
    found = found if found is not None else BrowserProblems()

    def on_console(message: ConsoleMessage) -> None:
        if message.type in {"error", "assert"}:
            found.messages.append(f"console {message.type}: {message.text} ({message.location})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: found.messages.append(f"page error: {error}"))
    page.expose_binding(
        "__reportCsp", lambda _source, text: found.messages.append(f"CSP violation: {text}")
    )
    page.add_init_script(CSP_LISTENER)
    return found


@pytest.fixture
def problems(page: Page) -> BrowserProblems:
    """Collects what a page complains about; tests assert `problems.unexpected() == []`."""
    return watch_problems(page)
