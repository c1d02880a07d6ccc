"""Piccolo's configuration module (`PICCOLO_CONF=models.sqlite.piccolo_conf`).

Used by Piccolo's own CLI and migration runner. `models.sqlite.migrate.migrate()` points
`DB` at the database it is asked to migrate (the app's settings decide which); Piccolo's
CLI, used here only to generate migrations from the migration files, gets the default data
dir's file. `models/` reads no settings: it imports nothing from `web/`.
"""

from pathlib import Path

from piccolo.conf.apps import AppRegistry

from models.sqlite.engine import make_engine

DB = make_engine(Path("var") / "admit.sqlite3")

APP_REGISTRY = AppRegistry(apps=["models.sqlite.piccolo_app"])
