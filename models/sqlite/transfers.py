"""Transfers on SQLite: the ticket, its record and the new holder's mail job written in
one BEGIN IMMEDIATE transaction, decided on what was read inside it (models/transfers.py).
A scan is a transaction on the same lock, so a scan and a transfer of one ticket are
decided one after the other."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from models.errors import Conflict
from models.sqlite.base import SqliteBase
from models.sqlite.outbox import write_job
from models.sqlite.point_reads import row_where
from models.sqlite.rows import event_from_row, insert_sql, ticket_from_row, utc
from models.sqlite.tables import TicketTransferRow
from models.tickets import Ticket, TicketStatus
from models.transfers import Transfer, completed, transfer_job, transfer_refusal, transferred


def transfer_columns(transfer: Transfer) -> dict[str, Any]:
    return {
        "id": transfer.id,
        "ticket_id": transfer.ticket_id,
        "event_id": transfer.event_id,
        "registration_id": transfer.registration_id,
        "by_user_id": transfer.by_user_id,
        "from_user_id": transfer.from_user_id,
        "from_name": transfer.from_name,
        "to_user_id": transfer.to_user_id,
        "to_name": transfer.to_name,
        "to_email": transfer.to_email,
        "generation": transfer.generation,
        "at": transfer.at,
    }


def transfer_from_row(row: dict[str, Any]) -> Transfer:
    at = row["at"]
    return Transfer(
        id=row["id"],
        ticket_id=row["ticket_id"],
        event_id=row["event_id"],
        registration_id=row["registration_id"],
        by_user_id=row["by_user_id"],
        from_user_id=row["from_user_id"],
        from_name=row["from_name"],
        to_user_id=row["to_user_id"],
        to_name=row["to_name"],
        to_email=row["to_email"],
        generation=row["generation"],
        at=utc(datetime.fromisoformat(at) if isinstance(at, str) else at),
    )


def transfer_sync(
    connection: sqlite3.Connection, transfer: Transfer, now: datetime
) -> tuple[Ticket, Transfer]:
    found = connection.execute(
        "SELECT * FROM tickets WHERE id = ?", (transfer.ticket_id,)
    ).fetchone()
    ticket = ticket_from_row(dict(found)) if found else None
    event = None
    if ticket is not None:
        row = connection.execute("SELECT * FROM events WHERE id = ?", (ticket.event_id,)).fetchone()
        event = event_from_row(dict(row)) if row else None
    if refusal := transfer_refusal(event, ticket, transfer.by_user_id, now):
        raise refusal
    assert ticket is not None
    record = completed(transfer, ticket)
    moved = transferred(ticket, record)
    changed = connection.execute(
        "UPDATE tickets SET user_id = ?, attendee_name = ?, code_generation = ? "
        "WHERE id = ? AND status = ? AND user_id = ? AND code_generation = ?",
        (
            moved.user_id,
            moved.attendee_name,
            moved.code_generation,
            ticket.id,
            TicketStatus.VALID.value,
            ticket.user_id,
            ticket.code_generation,
        ),
    ).rowcount
    if changed != 1:  # the lock is held since the read: unreachable, but never half-written
        raise Conflict("This ticket changed meanwhile; try again.")
    columns = transfer_columns(record)
    connection.execute(insert_sql("ticket_transfers", columns), columns)
    write_job(connection, transfer_job(record.id, now))
    return moved, record


def claim_sync(connection: sqlite3.Connection, transfer: Transfer, user_id: str) -> bool:
    moved = connection.execute(
        "UPDATE tickets SET user_id = ? WHERE id = ? AND user_id = '' AND code_generation = ?",
        (user_id, transfer.ticket_id, transfer.generation),
    ).rowcount
    if moved != 1:
        return False
    connection.execute(
        "UPDATE ticket_transfers SET to_user_id = ? WHERE id = ?", (user_id, transfer.id)
    )
    return True


class SqliteTransfers(SqliteBase):
    async def transfer_ticket(self, transfer: Transfer, now: datetime) -> tuple[Ticket, Transfer]:
        return await self._hot(lambda connection: transfer_sync(connection, transfer, now))

    async def get_transfer(self, transfer_id: str) -> Transfer | None:
        row = await row_where(TicketTransferRow, TicketTransferRow.id, transfer_id)
        return transfer_from_row(row) if row else None

    async def list_ticket_transfers(self, ticket_id: str) -> list[Transfer]:
        rows = await (
            TicketTransferRow.select()
            .where(TicketTransferRow.ticket_id == ticket_id)
            .order_by(TicketTransferRow.at, TicketTransferRow.generation)
            .run()
        )
        return [transfer_from_row(row) for row in rows]

    async def list_transfers_to(self, email: str) -> list[Transfer]:
        rows = await (
            TicketTransferRow.select()
            .where((TicketTransferRow.to_email == email) & (TicketTransferRow.to_user_id == ""))
            .order_by(TicketTransferRow.at)
            .run()
        )
        return [transfer_from_row(row) for row in rows]

    async def claim_transfer(self, transfer: Transfer, user_id: str) -> bool:
        return await self._hot(lambda connection: claim_sync(connection, transfer, user_id))

    async def list_event_transfers(self, event_id: str) -> list[Transfer]:
        rows = await (
            TicketTransferRow.select()
            .where(TicketTransferRow.event_id == event_id)
            .order_by(TicketTransferRow.at, ascending=False)
            .run()
        )
        return [transfer_from_row(row) for row in rows]
