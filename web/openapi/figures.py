"""OpenAPI paths and shapes: an organizer's figures (API.md, "Figures")."""

from __future__ import annotations

from typing import Any

from web.openapi.shapes import BEARER, SCHEMAS, STRING, answer, error, obj, ref

INTEGER = {"type": "integer"}

SCHEMAS["Totals"] = obj(
    ["events", "upcoming", "tickets_sold", "revenue", "checked_in"],
    events=INTEGER,
    upcoming={"type": "integer", "description": "published events not started yet"},
    tickets_sold=INTEGER,
    revenue={
        "type": "array",
        "items": obj(["currency", "amount"], currency=STRING, amount=INTEGER),
    },
    checked_in=INTEGER,
)

PATHS: dict[str, Any] = {
    "/api/v1/me/events/stats": {
        "get": {
            "summary": "Your figures over all your events",
            "security": BEARER,
            "responses": {
                "200": answer("Totals", ref("Totals")),
                "403": error("forbidden: organizers only"),
            },
        }
    },
}
