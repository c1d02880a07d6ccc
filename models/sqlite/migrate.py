"""Bring a SQLite database up to date with the committed Piccolo migrations."""

from __future__ import annotations

import contextlib
import importlib
import io
import os
from pathlib import Path

from models.sqlite.engine import enable_wal
from models.sqlite.schema import applied_migrations

CONF_MODULE = "models.sqlite.piccolo_conf"
APP_NAME = "admit"
MIGRATIONS_DIR = Path(__file__).parent / "piccolo_migrations"


def migration_ids() -> list[str]:
    """The ids of the committed migrations, in order (read from the files, not imported)."""
    ids = []
    for path in sorted(MIGRATIONS_DIR.glob("admit_*.py")):
        for line in path.read_text().splitlines():
            if line.startswith("ID = "):
                ids.append(line.split("=", 1)[1].strip().strip('"'))
                break
    return sorted(ids)


async def migrate(database_path: Path, *, quiet: bool = False) -> list[str]:
    """Apply every migration not yet applied; return the ids that ran."""
    from piccolo.apps.migrations.commands.forwards import run_forwards
    from piccolo.apps.migrations.tables import Migration

    enable_wal(database_path)
    # Piccolo's migration runner finds its engine through PICCOLO_CONF; point that
    # module's engine at the database we were asked to migrate.
    os.environ.setdefault("PICCOLO_CONF", CONF_MODULE)
    conf = importlib.import_module(CONF_MODULE)
    conf.DB.path = str(database_path)
    Migration._meta.db = conf.DB

    before = set(await applied_migrations(conf.DB))
    output = io.StringIO()
    with contextlib.redirect_stdout(output) if quiet else contextlib.nullcontext():
        result = await run_forwards(app_name=APP_NAME, migration_id="all")
    if not result.success:
        raise RuntimeError(f"Migration failed: {result.message}")
    return sorted(set(await applied_migrations(conf.DB)) - before)
