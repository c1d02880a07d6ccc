"""The OpenAPI 3.1 document of the JSON API, served at /api/v1/openapi.json.

Written as data next to the code, one module per part of the API; `tests/test_openapi.py`
fails when a route under /api/v1 is missing here or documented here without existing.
"""

from __future__ import annotations

from typing import Any

from web.openapi import accounts, events, tickets
from web.openapi.shapes import SCHEMAS

PATHS: dict[str, Any] = {**accounts.PATHS, **events.PATHS, **tickets.PATHS}


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
