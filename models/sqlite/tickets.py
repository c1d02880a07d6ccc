"""Tickets, door staff and check-ins on SQLite (the scan itself is in door.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from piccolo.columns.combination import WhereRaw

from models.sqlite import door
from models.sqlite.base import SqliteBase
from models.sqlite.point_reads import rows_where
from models.sqlite.rows import like_pattern, ticket_from_row
from models.sqlite.tables import DoorStaffRow, TicketRow
from models.tickets import CheckinAttempt, CheckinOutcome, Ticket


class SqliteTickets(SqliteBase):
    async def get_ticket(self, ticket_id: str) -> Ticket | None:
        row = await TicketRow.select().where(TicketRow.id == ticket_id).first().run()
        return ticket_from_row(row) if row else None

    async def list_registration_tickets(self, registration_id: str) -> list[Ticket]:
        rows = await rows_where(
            TicketRow, TicketRow.registration_id, registration_id, order_by=TicketRow.seat_no
        )
        return [ticket_from_row(row) for row in rows]

    async def list_user_tickets(self, user_id: str) -> list[Ticket]:
        rows = (
            await TicketRow.select()
            .where(TicketRow.user_id == user_id)
            .order_by(TicketRow.created_at, TicketRow.seat_no)
            .run()
        )
        return [ticket_from_row(row) for row in rows]

    async def list_event_tickets(self, event_id: str) -> list[Ticket]:
        rows = (
            await TicketRow.select()
            .where(TicketRow.event_id == event_id)
            .order_by(TicketRow.created_at, TicketRow.registration_id, TicketRow.seat_no)
            .run()
        )
        return [ticket_from_row(row) for row in rows]

    async def search_event_tickets(self, event_id: str, text: str, limit: int) -> list[Ticket]:
        pattern = like_pattern(text)
        rows = (
            await TicketRow.select()
            .where(
                (TicketRow.event_id == event_id)
                & WhereRaw(
                    "(attendee_name LIKE {} ESCAPE '\\' OR buyer_name LIKE {} ESCAPE '\\')",
                    pattern,
                    pattern,
                )
            )
            .order_by(TicketRow.attendee_name, TicketRow.seat_no)
            .limit(limit)
            .run()
        )
        return [ticket_from_row(row) for row in rows]

    async def check_in(
        self, attempt: CheckinAttempt, code_event_id: str | None, grace: timedelta
    ) -> CheckinOutcome:
        async with self._write_lock:
            return await self.engine.in_hot_transaction(
                lambda connection: door.check_in(connection, attempt, code_event_id, grace)
            )

    # -- door staff ---------------------------------------------------------------------

    async def add_door_staff(self, event_id: str, user_id: str, now: datetime) -> bool:
        key = f"{event_id}:{user_id}"
        async with self.write_transaction():
            if await DoorStaffRow.exists().where(DoorStaffRow.key == key).run():
                return False
            await DoorStaffRow.insert(
                DoorStaffRow(key=key, event_id=event_id, user_id=user_id, created_at=now)
            ).run()
        return True

    async def is_door_staff(self, event_id: str, user_id: str) -> bool:
        return await DoorStaffRow.exists().where(DoorStaffRow.key == f"{event_id}:{user_id}").run()

    async def list_door_staff(self, event_id: str) -> list[str]:
        rows = (
            await DoorStaffRow.select(DoorStaffRow.user_id)
            .where(DoorStaffRow.event_id == event_id)
            .order_by(DoorStaffRow.created_at)
            .run()
        )
        return [row["user_id"] for row in rows]

    async def door_staff_events(self, user_id: str) -> list[str]:
        rows = (
            await DoorStaffRow.select(DoorStaffRow.event_id)
            .where(DoorStaffRow.user_id == user_id)
            .run()
        )
        return [row["event_id"] for row in rows]
