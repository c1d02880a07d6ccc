"""Issue 12, cheaper work per request: what each request no longer does twice or in vain
(the figures are in docs/BENCHMARKS.md, "Where a request's time goes"; no test times)."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount, Route

from web.app import create_app
from web.settings import Settings


def test_the_api_is_the_routers_first_route_and_no_page_route_takes_api_paths(
    tmp_path: Path,
) -> None:
    """Issue 12: every API request was matched against some 40 page routes first."""
    app = create_app(Settings.from_env({"ADMIT_DATA_DIR": str(tmp_path)}, env_file=None))
    first = app.router.routes[0]
    assert isinstance(first, Mount)
    assert first.path == "/api/v1"
    for route in app.router.routes[1:]:
        path = route.path if isinstance(route, (Route, Mount)) else ""
        assert not path.startswith("/api"), path
