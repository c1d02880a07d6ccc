"""The docs stay true: settings, API paths, commands and demo log-ins match the code."""

from __future__ import annotations

import argparse
import re
import runpy
from pathlib import Path

import pytest

from tests.doc_references import RoutePattern, app_routes, stale_references
from web.app import create_app
from web.cli import build_parser
from web.openapi import PATHS
from web.services.demo import ACCOUNTS, DEMO_PASSWORD
from web.settings import SECRET_SETTINGS, SETTINGS_DOCS, Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
API_DOC = (ROOT / "docs" / "API.md").read_text(encoding="utf-8")
SETTINGS_SOURCE = (ROOT / "web" / "settings.py").read_text(encoding="utf-8")

DOCUMENTED = {doc.name for doc in SETTINGS_DOCS}


def _mentioned(text: str, word: str) -> bool:
    """`word` appears on its own, not as the start of a longer name or path."""
    return re.search(re.escape(word) + r"(?![\w/.-])", text) is not None


def test_every_admit_variable_in_settings_py_is_documented() -> None:
    read = set(re.findall(r'"(ADMIT_[A-Z_]+)"', SETTINGS_SOURCE))
    assert read, "found no ADMIT_ variables in web/settings.py"
    assert read <= DOCUMENTED, f"read but not a documented setting: {sorted(read - DOCUMENTED)}"


def test_settings_docs_have_no_duplicates() -> None:
    assert len(DOCUMENTED) == len(SETTINGS_DOCS)


@pytest.mark.parametrize(
    ("method", "path"),
    [(method.upper(), path) for path, item in PATHS.items() for method in item],
)
def test_every_api_path_is_in_docs_api_md(method: str, path: str) -> None:
    assert _mentioned(API_DOC, path), f"{path} is not in docs/API.md"
    assert _mentioned(API_DOC, f"{method} {path}"), f"{method} {path} is not in docs/API.md"


def test_readme_names_the_two_make_commands() -> None:
    assert "make run" in README
    assert "make test" in README


def test_readme_gives_the_demo_log_ins() -> None:
    assert DEMO_PASSWORD in README
    for account in ACCOUNTS:
        assert account.email in README, f"demo account {account.email} is not in the README"


def test_readme_lists_every_cli_command() -> None:
    commands: list[str] = []

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{prefix} {name}")
                return
        commands.append(prefix)

    walk(build_parser(Settings()), "admit")
    assert commands
    for command in commands:
        assert f"`{command}" in README, f"`{command}` is not in the README"


# -- what the docs name exists ---------------------------------------------------------

DOCS = [ROOT / "README.md", ROOT / "DEPLOYMENT.md", *sorted((ROOT / "docs").glob("*.md"))]
SETTING_NAMES = DOCUMENTED | {f"{name}_PARAMETER" for name in SECRET_SETTINGS}
# Read by serverless.yml when it packages, not by the app.
PACKAGING_SETTINGS = {"ADMIT_PACKAGING_PYTHON"}


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> list[RoutePattern]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("docs-app"))
    return list(app_routes(create_app(settings).routes))


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_docs_name_only_paths_routes_and_settings_that_exist(
    doc: Path, routes: list[RoutePattern]
) -> None:
    text = doc.read_text(encoding="utf-8")
    problems = stale_references(text, ROOT, routes, SETTING_NAMES | PACKAGING_SETTINGS)
    assert not problems, f"{doc.name} names what is not there:\n" + "\n".join(problems)


def test_a_planted_stale_reference_is_caught(routes: list[RoutePattern]) -> None:
    planted = (
        "Seats live in `models/sqlite/seat_counter.py`, proven by "
        "`tests/test_store_sqlite.py::test_no_such_test`; `POST /api/v1/events/{id}/clone` "
        "copies an event and `/organizer/events/{id}/archive` hides it; "
        "`ADMIT_SEAT_SPLITS` splits the counter."
    )
    problems = stale_references(planted, ROOT, routes, SETTING_NAMES)
    assert problems == [
        "path models/sqlite/seat_counter.py does not exist",
        "test tests/test_store_sqlite.py::test_no_such_test does not exist",
        "setting ADMIT_SEAT_SPLITS is not one Admit reads",
        "route POST /api/v1/events/{id}/clone is not served",
        "route /organizer/events/{id}/archive is not served",
    ]


def test_real_references_pass_the_check(routes: list[RoutePattern]) -> None:
    real = (
        "`models/sqlite/seats.py`, `tests/test_docs.py::test_readme_names_the_two_make_commands`,"
        " `GET /api/v1/events/{id}`, `/my/tickets`, `/api/v1`, `/static/`, `/usr/bin/chromium`,"
        " `ADMIT_STORE`, `static/vendor/htmx.min.js`"
    )
    assert stale_references(real, ROOT, routes, SETTING_NAMES) == []


STALE_PHRASES = re.compile(
    r"not (built|implemented|filled in|wired) yet|none exist yet|(is|are) planned\b"
    r"|\*planned\*",
    re.IGNORECASE,
)


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_docs_do_not_promise_what_is_already_built(doc: Path) -> None:
    """Words like "planned" and "not built yet" go stale silently: say what is there instead."""
    lines = [
        f"{number}: {line.strip()}"
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1)
        if STALE_PHRASES.search(line)
    ]
    assert not lines, f"{doc.name}:\n" + "\n".join(lines)


def test_generated_docs_match_the_code() -> None:
    """The README's settings table and ARCHITECTURE.md's layers picture."""
    generate = runpy.run_path(str(ROOT / "docs" / "generate.py"))
    assert generate["main"](["--check"]) == 0, "run: python docs/generate.py"


def test_a_setting_added_to_the_code_makes_the_readme_stale() -> None:
    generate = runpy.run_path(str(ROOT / "docs" / "generate.py"))
    planted = README.replace("| `ADMIT_PORT` |", "| `ADMIT_PORTS` |")
    assert generate["regenerated"](planted, "settings", generate["settings_table"]) == README
