"""Jinja2 set-up and the one helper that decides "whole page or htmx fragment"."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from models.event_rules import editable
from models.money import money
from web.auth import current_user
from web.flash import pop_flashes
from web.middleware.csrf import csrf_token
from web.static_urls import StaticUrls

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"


def when(value: datetime, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    return value.strftime(fmt)


def _base_context(request: Request) -> dict[str, Any]:
    return {
        "current_user": current_user(request),
        # A callable, so anonymous pages without forms never create a session cookie.
        "csrf_token": lambda: csrf_token(request.session),
        "flashes": pop_flashes(request),
        "is_local": request.app.state.settings.is_local,
    }


def make_templates(static_urls: StaticUrls | None = None) -> Jinja2Blocks:
    templates = Jinja2Blocks(directory=str(TEMPLATES_DIR), context_processors=[_base_context])
    templates.env.globals["static_url"] = static_urls or StaticUrls(STATIC_DIR, hashed=False)
    templates.env.filters["money"] = money
    templates.env.filters["when"] = when
    # `{% if event is editable %}`: the pages offer changes by the rule the services apply.
    templates.env.tests["editable"] = editable
    templates.env.trim_blocks = True
    templates.env.lstrip_blocks = True
    return templates


def is_fragment_request(request: Request) -> bool:
    """htmx swaps want the fragment; boosted navigations and history restores want pages."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-boosted") != "true"
        and headers.get("hx-history-restore-request") != "true"
    )


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    block: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Render `name`; for an htmx swap with `block` given, only that block."""
    templates: Jinja2Blocks = request.app.state.templates
    fragment = block is not None and is_fragment_request(request)
    response = templates.TemplateResponse(
        request,
        name,
        context or {},
        status_code=status_code,
        headers=headers,
        block_name=block if fragment else None,
    )
    response.headers.append("Vary", "HX-Request")
    return response


def render_form(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """A form page: the whole page when it is asked for (200); an answer with its errors
    (4xx) is only the page's `form` block when htmx swaps it in."""
    block = "form" if status_code != 200 else None
    return render(request, name, context, status_code=status_code, block=block)


def redirect(request: Request, url: str) -> Response:
    """After a successful POST: 303 for a plain form, HX-Redirect for an htmx one (a 303
    would be followed by fetch and its page swapped into the form)."""
    if is_fragment_request(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
