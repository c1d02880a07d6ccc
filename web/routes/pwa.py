"""The progressive web app's files, served from the site root so the service worker's
scope covers every page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from web.templating import STATIC_DIR


async def service_worker(request: Request) -> Response:
    # no-cache: a phone must pick up a new worker on its next visit, not a day later.
    return FileResponse(
        STATIC_DIR / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


async def manifest(request: Request) -> Response:
    return FileResponse(
        STATIC_DIR / "manifest.webmanifest",
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )


async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico on their own (a PDF viewer tab, for one)."""
    return FileResponse(
        STATIC_DIR / "icons" / "icon-192.png",
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=86400"},
    )


routes = [
    Route("/favicon.ico", favicon),
    Route("/sw.js", service_worker),
    Route("/manifest.webmanifest", manifest),
]
