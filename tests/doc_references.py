"""What the docs name, checked against what exists: repository paths (and the tests they
cite), routes of the app, and settings. `tests/test_docs.py` runs it over every doc."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route

TOP_LEVEL = ("web", "models", "templates", "static", "infra", "tests", "bench", "docs", ".ci")
# Made by the Makefile or at run time, never committed.
GENERATED = ("static/vendor", "web/rendering/fonts", "var", "build", "node_modules", ".venv")

_TOPS = "|".join(re.escape(top) for top in TOP_LEVEL)
_PATH = re.compile(rf"`((?:{_TOPS})/[^`\s]*)`")
_ROUTE = re.compile(r"`(?:(GET|POST|PATCH|PUT|DELETE) )?(/[^`\s]*)`")
_SETTING = re.compile(r"\bADMIT_[A-Z0-9_]*[A-Z0-9]\b")
_PREFIX_ENDS = ("/", "…", "...")


@dataclass(frozen=True)
class RoutePattern:
    template: str
    methods: frozenset[str]
    regex: re.Pattern[str]

    @classmethod
    def of(cls, template: str, methods: Iterable[str]) -> RoutePattern:
        pattern = re.sub(r"\\\{[^}]*:path\\\}", ".+", re.escape(template))
        pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", pattern)
        return cls(template, frozenset(methods), re.compile(pattern + "/?"))


def app_routes(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[RoutePattern]:
    """Every route the app serves, Mounts walked through; a mounted app (static files)
    counts as a prefix serving GET."""
    for route in routes:
        if isinstance(route, Mount):
            if route.routes:
                yield from app_routes(route.routes, prefix + route.path)
            else:
                yield RoutePattern.of(prefix + route.path + "/{rest:path}", {"GET"})
        elif isinstance(route, Route):
            yield RoutePattern.of(prefix + route.path, route.methods or {"GET"})


def stale_references(
    text: str, root: Path, routes: list[RoutePattern], settings: set[str]
) -> list[str]:
    """What `text` names that does not exist, one line each."""
    problems = [*_stale_paths(text, root), *_stale_settings(text, settings)]
    problems += _stale_routes(text, routes)
    return problems


def _stale_paths(text: str, root: Path) -> Iterator[str]:
    for match in _PATH.finditer(text):
        named = match.group(1)
        line_start = text.rfind("\n", 0, match.start()) + 1
        if "github.com/" in text[line_start : match.start()]:
            continue  # a file of another repository
        path, _, test = named.partition("::")
        path = re.split(r"[#?]|:(?=\d)", path)[0]
        if any(mark in path for mark in "{*<…") or path.startswith(GENERATED):
            continue
        if not (root / path).exists():
            yield f"path {named} does not exist"
        elif test:
            name = re.split(r"[\[(]", test.split("::")[-1])[0]
            if not re.search(rf"\bdef {re.escape(name)}\b", (root / path).read_text()):
                yield f"test {named} does not exist"


def _stale_settings(text: str, settings: set[str]) -> Iterator[str]:
    for name in sorted(set(_SETTING.findall(text)) - settings):
        yield f"setting {name} is not one Admit reads"


def _stale_routes(text: str, routes: list[RoutePattern]) -> Iterator[str]:
    first_segments = {route.template.split("/")[1] for route in routes}
    for match in _ROUTE.finditer(text):
        method, path = match.groups()
        path = re.split(r"[?#]", path)[0]
        # `/usr/bin/chromium` or an SSM name is no route; a route named with its method
        # always is, as is any path under one of the app's own first segments.
        if method is None and path.split("/")[1] not in first_segments:
            continue
        if not _served(method, path, routes):
            yield f"route {method + ' ' if method else ''}{path} is not served"


def _served(method: str | None, path: str, routes: list[RoutePattern]) -> bool:
    candidates = (path, "/api/v1" + path)  # docs/API.md names API paths either way
    for route in routes:
        if method is None and any(route.template.startswith(c + "/") for c in candidates):
            return True  # a prefix such as `/api/v1`
        if method is not None and method not in route.methods:
            continue
        for candidate in candidates:
            if candidate.endswith(_PREFIX_ENDS):
                prefix = candidate.rstrip("/….")
                if route.template.startswith(prefix) or route.regex.fullmatch(prefix + "/x"):
                    return True
            elif route.regex.fullmatch(candidate):
                return True
    return False
