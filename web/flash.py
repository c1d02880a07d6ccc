"""One-shot messages carried in the session to the next page."""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request

Kind = Literal["success", "info", "error"]
KEY = "flash"


def flash(request: Request, text: str, kind: Kind = "success") -> None:
    request.session.setdefault(KEY, []).append({"kind": kind, "text": text})


def pop_flashes(request: Request) -> list[dict[str, str]]:
    if KEY not in request.session:
        return []
    return request.session.pop(KEY)
