"""The OpenAPI document matches the routes the app really serves."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from web.openapi import PATHS


def _api_routes(app: Starlette) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for mount in app.routes:
        if isinstance(mount, Mount) and mount.path == "/api/v1":
            for route in mount.routes:
                assert isinstance(route, Route)
                for method in route.methods or ():
                    if method != "HEAD":
                        found.add((f"/api/v1{route.path}", method.lower()))
    return found


def _documented() -> set[tuple[str, str]]:
    return {(path, method) for path, item in PATHS.items() for method in item}


async def test_every_api_route_is_documented_and_nothing_else(app: Starlette) -> None:
    assert _api_routes(app) == _documented()


async def test_document_is_served_as_openapi_3_1(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/v1/openapi.json")).json()
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == set(PATHS)
    for item in document["paths"].values():
        for operation in item.values():
            assert operation["responses"], operation["summary"]
