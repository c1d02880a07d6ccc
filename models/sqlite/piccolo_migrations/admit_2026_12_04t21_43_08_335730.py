from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-04T21:43:08:335730"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="admit", description=DESCRIPTION)

    manager.alter_column(
        table_class_name="TicketTransferRow",
        tablename="ticket_transfers",
        column_name="to_email",
        db_column_name="to_email",
        params={"index": True},
        old_params={"index": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
