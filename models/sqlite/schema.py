"""What the database file says about its own schema."""

from __future__ import annotations

from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString


async def applied_migrations(engine: SQLiteEngine) -> list[str]:
    tables = await engine.run_querystring(
        QueryString("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'migration'")
    )
    if not tables:
        return []
    rows = await engine.run_querystring(
        QueryString("SELECT name FROM migration WHERE app_name = 'admit' ORDER BY name")
    )
    return [row["name"] for row in rows]
