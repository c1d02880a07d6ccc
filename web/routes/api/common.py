"""Shared pieces of the JSON API: body parsing and the shapes of our objects."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from models.domain import User
from models.errors import AdmitError, ValidationFailed


class InvalidJSON(AdmitError):
    status = 400
    code = "invalid_json"
    message = "The request body must be a JSON object."


async def json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidJSON() from exc
    if not isinstance(body, dict):
        raise InvalidJSON()
    return body


def strings(body: dict[str, Any], *names: str, optional: tuple[str, ...] = ()) -> dict[str, str]:
    """Pick string fields; a missing required field or a non-string is a 422 naming it."""
    values: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name in (*names, *optional):
        value = body.get(name)
        if value is None:
            if name in names:
                problems[name] = "This field is required."
            continue
        if not isinstance(value, str):
            problems[name] = "Must be a string."
            continue
        values[name] = value
    if problems:
        raise ValidationFailed(problems)
    return values


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "roles": sorted(role.value for role in user.roles),
    }
