"""The OpenAPI 3.1 document of the JSON API, served at /api/v1/openapi.json.

Written as data next to the code, one module per part of the API; `tests/test_openapi.py`
fails when a route under /api/v1 is missing here or documented here without existing.
"""

from __future__ import annotations

from typing import Any

from web.openapi import (
    accounts,
    events,
    figures,
    messages,
    promo_codes,
    questions,
    ticket_types,
    tickets,
    transfers,
    waitlist,
)
from web.openapi.shapes import SCHEMAS, error

# Answers any operation may give for how it was called rather than what it does:
# a body that is not a JSON object or is too large, a missing or revoked token.
BODY_ERRORS = {"400": error("invalid_json"), "413": error("payload_too_large")}
BEARER_ERRORS = {"401": error("not_authenticated")}


def with_common_errors(paths: dict[str, Any]) -> dict[str, Any]:
    for item in paths.values():
        for operation in item.values():
            common = {**(BODY_ERRORS if "requestBody" in operation else {})}
            if operation.get("security"):
                common.update(BEARER_ERRORS)
            operation["responses"] = {**common, **operation["responses"]}
            operation["responses"] = dict(sorted(operation["responses"].items()))
    return paths


PATHS: dict[str, Any] = with_common_errors(
    {
        **accounts.PATHS,
        **events.PATHS,
        **figures.PATHS,
        **ticket_types.PATHS,
        **questions.PATHS,
        **promo_codes.PATHS,
        **messages.PATHS,
        **tickets.PATHS,
        **waitlist.PATHS,
        **transfers.PATHS,
    }
)


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Admit API",
            "version": "1",
            "description": "Events, registrations, tickets and check-in. Errors are "
            "`{error: {code, message, fields?}}`; lists are `{items, next_cursor}`.",
        },
        "servers": [{"url": "/"}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
