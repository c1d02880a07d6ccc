"""Small helpers for HTML forms: read fields as trimmed strings, keep what was typed."""

from __future__ import annotations

from starlette.requests import Request

SECRET_FIELDS = frozenset({"password", "csrf_token"})


async def read_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def kept(values: dict[str, str]) -> dict[str, str]:
    """What to put back into a re-shown form: everything but secrets."""
    return {key: value for key, value in values.items() if key not in SECRET_FIELDS}


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths: a `next` parameter must not send people to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
