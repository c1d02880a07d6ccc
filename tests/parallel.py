"""How pytest-xdist shares the tests out (`make test`: `-n auto --dist loadgroup`).

Every test is a unit of work of its own, which any worker may take, except the browser
tests (tests/browser/): they are one unit, so one worker runs them all in a row. Playwright
and Chromium then start once (their fixtures live for that package), and Playwright's
event loop, which stays marked as running in the main thread, never sits between the
asyncio tests of a worker. Being the biggest unit, xdist hands it out first.

Why not the `xdist_group` mark: xdist 3.8 groups by appending "@name" to each node id,
which pytest 9.2's structured ids ignore (pytest-xdist issue 1386), so the mark silently
groups nothing. The scheduler below groups by path instead, on the controller, which
sees only node ids.
"""

from __future__ import annotations

from typing import Any

import pytest

BROWSER_TESTS = "tests/browser/"


@pytest.hookimpl(optionalhook=True)  # optional: `pytest -p no:xdist` still loads this
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None  # xdist's own scheduler for any other --dist
    from xdist.scheduler import LoadGroupScheduling

    class BrowserTestsTogether(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith(BROWSER_TESTS):
                return "browser"
            return super()._split_scope(nodeid)

    return BrowserTestsTogether(config, log)
