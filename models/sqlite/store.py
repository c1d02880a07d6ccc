"""SqliteStore: the Store on one SQLite file through Piccolo (aiosqlite).

Piccolo binds tables to an engine per class, so one process serves one SqliteStore at a
time: `open()` binds the tables to this store's engine. That matches how Admit runs (one
app per process; tests build one app at a time).
"""

from __future__ import annotations

from models.errors import StoreNotReady
from models.sqlite.attempts import SqliteAttempts
from models.sqlite.door_staff import SqliteDoorStaff
from models.sqlite.events import SqliteEvents
from models.sqlite.figures import SqliteFigures
from models.sqlite.messages import SqliteMessages
from models.sqlite.migrate import migration_ids
from models.sqlite.outbox import SqliteOutbox
from models.sqlite.partial_refunds import SqlitePartialRefunds
from models.sqlite.payments import SqlitePayments
from models.sqlite.promo_codes import SqlitePromoCodes
from models.sqlite.questions import SqliteQuestions
from models.sqlite.registrations import SqliteRegistrations
from models.sqlite.schema import applied_migrations
from models.sqlite.seat_shards import SqliteSeatShards
from models.sqlite.sessions import SqliteSessions
from models.sqlite.tables import TABLES
from models.sqlite.ticket_types import SqliteTicketTypes
from models.sqlite.tickets import SqliteTickets
from models.sqlite.transfers import SqliteTransfers
from models.sqlite.users import SqliteUsers
from models.sqlite.waitlist import SqliteWaitlist
from models.store import Store


class SqliteStore(
    SqliteUsers,
    SqliteAttempts,
    SqliteSeatShards,
    SqliteEvents,
    SqliteTicketTypes,
    SqliteRegistrations,
    SqliteTickets,
    SqlitePayments,
    SqlitePartialRefunds,
    SqliteDoorStaff,
    SqliteSessions,
    SqliteOutbox,
    SqliteQuestions,
    SqlitePromoCodes,
    SqliteFigures,
    SqliteWaitlist,  # before SqliteMessages: its waiting accounts are real
    SqliteMessages,
    SqliteTransfers,
    Store,
):
    async def open(self) -> None:
        if not self.path.exists():
            raise StoreNotReady(f"No database at {self.path}: run `admit migrate` first.")
        for table in TABLES:
            table._meta.db = self.engine
        await self.engine.start()
        missing = sorted(set(migration_ids()) - set(await applied_migrations(self.engine)))
        if missing:
            await self.engine.stop()
            raise StoreNotReady(
                f"The database at {self.path} lacks migrations {', '.join(missing)}: "
                "run `admit migrate`."
            )

    async def close(self) -> None:
        await self.engine.stop()
