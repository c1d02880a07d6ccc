from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.querystring import QueryString

# The id every store gives an event's "General admission" type; fixed for good (the
# DynamoDB store makes the same one for events stored before types, lazily).
from models.domain import GENERAL_ADMISSION, default_type_id

ID = "2026-12-04T14:09:57:270437"
VERSION = "1.38.0"
DESCRIPTION = (
    'Every existing event gets one "General admission" type with its price and its seats '
    "taken (capacity null: the event's limits it); its registrations and tickets point to it"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="admit", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        assert engine is not None

        async def sql(text, *args):
            return await engine.run_querystring(QueryString(text, *args))

        events = await sql(
            "SELECT id FROM events WHERE id NOT IN (SELECT event_id FROM ticket_types)"
        )
        for row in events:
            event_id = row["id"]
            type_id = default_type_id(event_id)
            await sql(
                "INSERT INTO ticket_types (id, event_id, name, description, price, capacity,"
                " sales_start, sales_end, max_per_registration, hidden, position,"
                " seats_confirmed, seats_held, revenue, in_use)"
                " SELECT {}, e.id, {}, '', e.price, NULL, NULL, NULL, NULL, 0, 0,"
                " e.seats_confirmed, e.seats_held,"
                " (SELECT COALESCE(SUM(r.amount), 0) FROM registrations r"
                "  WHERE r.event_id = e.id AND r.status = 'confirmed'),"
                " EXISTS (SELECT 1 FROM registrations r WHERE r.event_id = e.id)"
                " FROM events e WHERE e.id = {}",
                type_id,
                GENERAL_ADMISSION,
                event_id,
            )
            await sql(
                "UPDATE registrations SET items = json_array(json_object("
                "'ticket_type_id', {}, 'name', {}, 'quantity', quantity,"
                " 'unit_price', amount / MAX(quantity, 1), 'discount', 0))"
                " WHERE event_id = {}",
                type_id,
                GENERAL_ADMISSION,
                event_id,
            )
            await sql(
                "UPDATE tickets SET ticket_type_id = {}, ticket_type_name = {} WHERE event_id = {}",
                type_id,
                GENERAL_ADMISSION,
                event_id,
            )

    manager.add_raw(run)

    return manager
