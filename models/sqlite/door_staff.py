"""Door staff taken back, and door staff invited by email before they have an account."""

from __future__ import annotations

from typing import Any

from models.sqlite.base import SqliteBase
from models.sqlite.rows import utc
from models.sqlite.tables import DoorInvitationRow, DoorStaffRow
from models.tickets import DoorInvitation


def _invitation(row: dict[str, Any]) -> DoorInvitation:
    return DoorInvitation(
        id=row["id"],
        event_id=row["event_id"],
        email=row["email"],
        created_at=utc(row["created_at"]),
    )


class SqliteDoorStaff(SqliteBase):
    async def remove_door_staff(self, event_id: str, user_id: str) -> bool:
        key = f"{event_id}:{user_id}"
        async with self.write_transaction():
            if not await DoorStaffRow.exists().where(DoorStaffRow.key == key).run():
                return False
            await DoorStaffRow.delete().where(DoorStaffRow.key == key).run()
        return True

    async def add_door_invitation(self, invitation: DoorInvitation) -> DoorInvitation:
        key = f"{invitation.event_id}:{invitation.email}"
        async with self.write_transaction():
            row = await DoorInvitationRow.select().where(DoorInvitationRow.key == key).first()
            if row is not None:
                return _invitation(row)
            await DoorInvitationRow.insert(
                DoorInvitationRow(
                    key=key,
                    id=invitation.id,
                    event_id=invitation.event_id,
                    email=invitation.email,
                    created_at=invitation.created_at,
                )
            ).run()
        return invitation

    async def list_door_invitations(self, event_id: str) -> list[DoorInvitation]:
        rows = (
            await DoorInvitationRow.select()
            .where(DoorInvitationRow.event_id == event_id)
            .order_by(DoorInvitationRow.created_at)
            .run()
        )
        return [_invitation(row) for row in rows]

    async def door_invitations_for(self, email: str) -> list[DoorInvitation]:
        rows = (
            await DoorInvitationRow.select()
            .where(DoorInvitationRow.email == email)
            .order_by(DoorInvitationRow.created_at)
            .run()
        )
        return [_invitation(row) for row in rows]

    async def remove_door_invitation(self, event_id: str, email: str) -> bool:
        key = f"{event_id}:{email}"
        async with self.write_transaction():
            if not await DoorInvitationRow.exists().where(DoorInvitationRow.key == key).run():
                return False
            await DoorInvitationRow.delete().where(DoorInvitationRow.key == key).run()
        return True
