"""Piccolo app config: the tables and where their migrations live."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from models.sqlite.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="admit",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=list(TABLES),
    migration_dependencies=[],
    commands=[],
)
