"""Piccolo's configuration module (`PICCOLO_CONF=models.sqlite.piccolo_conf`).

Used by Piccolo's own CLI and migration runner. The database path comes from Admit's
settings; `models.sqlite.migrate.migrate()` re-points `DB` when it is given other settings.
"""

from piccolo.conf.apps import AppRegistry

from models.sqlite.engine import make_engine
from web.settings import Settings

DB = make_engine(Settings.from_env().database_path)

APP_REGISTRY = AppRegistry(apps=["models.sqlite.piccolo_app"])
