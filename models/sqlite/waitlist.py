"""The waiting list on SQLite: rows of `waitlist_entries`, and the seats waited for counted
on the event's and type's rows in the same BEGIN IMMEDIATE transaction (invariant 7).

Every step that gives seats back (a cancellation, a refund, a run-out hold, a raised
capacity: models/sqlite/cancelling.py, payments.py, seats.py, events.py) calls
`offer_sync` inside its own transaction, so seats that come back are offered before any
other writer can see them free.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from models.domain import Event, Registration
from models.errors import NotEnoughSeats
from models.sqlite import figures, seats
from models.sqlite.base import SqliteBase
from models.sqlite.outbox import write_job
from models.sqlite.point_reads import row_where
from models.sqlite.rows import insert_sql, registration_columns, utc, utc_or_none
from models.sqlite.tables import EventRow, WaitlistEntryRow
from models.waitlist import EntryStatus, WaitlistEntry
from models.waitlist_rules import (
    Offer,
    WaitChange,
    choose_offers,
    chosen_offer,
    join_refusal,
    joined,
    leave_refusal,
    left,
    offer_due,
    offer_job,
)


def entry_columns(entry: WaitlistEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "event_id": entry.event_id,
        "ticket_type_id": entry.ticket_type_id,
        "user_id": entry.user_id,
        "user_name": entry.user_name,
        "user_email": entry.user_email,
        "quantity": entry.quantity,
        "status": entry.status.value,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
        "registration_id": entry.registration_id,
        "offer_expires_at": entry.offer_expires_at,
    }


def entry_from_row(row: dict[str, Any]) -> WaitlistEntry:
    return WaitlistEntry(
        id=row["id"],
        event_id=row["event_id"],
        ticket_type_id=row["ticket_type_id"],
        user_id=row["user_id"],
        user_name=row["user_name"],
        user_email=row["user_email"],
        quantity=row["quantity"],
        status=EntryStatus(row["status"]),
        created_at=utc(row["created_at"])
        if not isinstance(row["created_at"], str)
        else utc(datetime.fromisoformat(row["created_at"])),
        updated_at=utc_or_none(_moment(row["updated_at"])),
        registration_id=row["registration_id"],
        offer_expires_at=utc_or_none(_moment(row["offer_expires_at"])),
    )


def _moment(value: datetime | str | None) -> datetime | None:
    """A raw sqlite3 read gives the stored text; Piccolo converts it."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def read_entry(connection: sqlite3.Connection, entry_id: str) -> WaitlistEntry | None:
    row = connection.execute("SELECT * FROM waitlist_entries WHERE id = ?", (entry_id,)).fetchone()
    return entry_from_row(dict(row)) if row else None


def _waiting(connection: sqlite3.Connection, event_id: str) -> list[WaitlistEntry]:
    rows = connection.execute(
        "SELECT * FROM waitlist_entries WHERE event_id = ? AND status = ? ORDER BY created_at, id",
        (event_id, EntryStatus.WAITING.value),
    ).fetchall()
    return [entry_from_row(dict(row)) for row in rows]


def write_wait(connection: sqlite3.Connection, event_id: str, change: WaitChange) -> None:
    connection.execute(
        "UPDATE events SET waitlist_seats = waitlist_seats + ?,"
        " waitlist_entries = waitlist_entries + ? WHERE id = ?",
        (change.seats, change.entries, event_id),
    )
    connection.execute(
        "UPDATE ticket_types SET waitlist_seats = waitlist_seats + ? WHERE id = ? AND event_id = ?",
        (change.seats, change.ticket_type_id, event_id),
    )


def join_sync(connection: sqlite3.Connection, entry: WaitlistEntry, now: datetime) -> WaitlistEntry:
    event = seats.sweep_if_due(connection, seats.read_event(connection, entry.event_id), now)
    types = {kind.id: kind for kind in seats.read_types(connection, event)}
    waiting_already = (
        connection.execute(
            "SELECT 1 FROM waitlist_entries WHERE event_id = ? AND user_id = ?"
            " AND status IN (?, ?)",
            (event.id, entry.user_id, EntryStatus.WAITING.value, EntryStatus.OFFERED.value),
        ).fetchone()
        is not None
    )
    held = seats.account_seats(connection, event.id, entry.user_id, now)
    if refusal := join_refusal(event, types, entry, now, held, waiting_already):
        raise refusal
    row = entry_columns(entry)
    connection.execute(insert_sql("waitlist_entries", row), row)
    write_wait(connection, event.id, joined(entry))
    # Seats already free but held back for older entries that do not fit may fit it.
    offer_sync(connection, event.id, now)
    found = read_entry(connection, entry.id)
    assert found is not None
    return found


def leave_sync(
    connection: sqlite3.Connection, entry_id: str, user_id: str, now: datetime
) -> WaitlistEntry:
    entry = read_entry(connection, entry_id)
    if refusal := leave_refusal(entry, user_id):
        raise refusal
    assert entry is not None
    connection.execute(
        "UPDATE waitlist_entries SET status = ?, updated_at = ? WHERE id = ?",
        (EntryStatus.LEFT.value, now, entry_id),
    )
    write_wait(connection, entry.event_id, left(entry))
    # Its seats waited for may now be the public's, or fit a younger entry.
    offer_sync(connection, entry.event_id, now)
    found = read_entry(connection, entry_id)
    assert found is not None
    return found


def offer_sync(
    connection: sqlite3.Connection, event_id: str, now: datetime, entry_id: str | None = None
) -> list[Registration]:
    """Offer the seats free now (`choose_offers`, or `chosen_offer` for `entry_id`), inside
    the caller's transaction."""
    event = seats.read_event(connection, event_id)
    if entry_id is None and not offer_due(event):
        return []
    types = {kind.id: kind for kind in seats.read_types(connection, event)}
    if entry_id is None:
        offers = choose_offers(event, types, _waiting(connection, event_id), now)
    else:
        offers = [chosen_offer(event, types, read_entry(connection, entry_id), now)]
    made = []
    for offer in offers:
        event = _write_offer(connection, event, offer, now)
        made.append(offer.registration)
    return made


def _write_offer(
    connection: sqlite3.Connection, event: Event, offer: Offer, now: datetime
) -> Event:
    q = offer.registration.quantity
    ends = offer.registration.hold_expires_at
    assert ends is not None
    next_expiry = ends if event.holds_expire_next is None else min(event.holds_expire_next, ends)
    # Seats waited for become seats held, on condition of the seats being free (they were,
    # as read in this transaction: the condition only makes it certain).
    moved = connection.execute(
        "UPDATE events SET seats_held = seats_held + ?, waitlist_seats = waitlist_seats - ?,"
        " waitlist_entries = waitlist_entries - 1, holds_expire_next = ?"
        " WHERE id = ? AND seats_confirmed + seats_held + ? <= capacity",
        (q, q, next_expiry, event.id, q),
    ).rowcount
    type_id = offer.wait.ticket_type_id
    moved += connection.execute(
        "UPDATE ticket_types SET seats_held = seats_held + ?, waitlist_seats = waitlist_seats - ?,"
        " in_use = 1 WHERE id = ? AND event_id = ?"
        " AND (capacity IS NULL OR seats_confirmed + seats_held + ? <= capacity)",
        (q, q, type_id, event.id, q),
    ).rowcount
    moved += connection.execute(
        "UPDATE waitlist_entries SET status = ?, registration_id = ?, offer_expires_at = ?,"
        " updated_at = ? WHERE id = ? AND status = ?",
        (
            EntryStatus.OFFERED.value,
            offer.registration.id,
            ends,
            now,
            offer.entry.id,
            EntryStatus.WAITING.value,
        ),
    ).rowcount
    if moved != 3:
        raise NotEnoughSeats(0)  # the decision read these rows: made certain here
    columns = registration_columns(offer.registration)
    connection.execute(insert_sql("registrations", columns), columns)
    write_job(connection, offer_job(offer.entry.id, now))
    figures.seats(connection, event.id, offer.seats, now)
    return seats.read_event(connection, event.id)


class SqliteWaitlist(SqliteBase):
    async def join_waitlist(self, entry: WaitlistEntry, now: datetime) -> WaitlistEntry:
        return await self._hot(lambda connection: join_sync(connection, entry, now))

    async def leave_waitlist(self, entry_id: str, user_id: str, now: datetime) -> WaitlistEntry:
        return await self._hot(lambda connection: leave_sync(connection, entry_id, user_id, now))

    async def get_waitlist_entry(self, entry_id: str) -> WaitlistEntry | None:
        row = await row_where(WaitlistEntryRow, WaitlistEntryRow.id, entry_id)
        return entry_from_row(row) if row else None

    async def list_event_waitlist(self, event_id: str) -> list[WaitlistEntry]:
        rows = await (
            WaitlistEntryRow.select()
            .where(WaitlistEntryRow.event_id == event_id)
            .order_by(WaitlistEntryRow.created_at, WaitlistEntryRow.id)
            .run()
        )
        return [entry_from_row(row) for row in rows]

    async def list_user_waitlist(self, user_id: str) -> list[WaitlistEntry]:
        rows = await (
            WaitlistEntryRow.select()
            .where(WaitlistEntryRow.user_id == user_id)
            .order_by(WaitlistEntryRow.created_at, WaitlistEntryRow.id, ascending=False)
            .run()
        )
        return [entry_from_row(row) for row in rows]

    async def offer_waitlist(
        self, event_id: str, now: datetime, entry_id: str | None = None
    ) -> list[Registration]:
        return await self._hot(lambda connection: offer_sync(connection, event_id, now, entry_id))

    # -- what the figures and the organizer's messages read ---------------------------

    async def waitlist_size(self, event_id: str) -> int:
        """People waiting: the entries waiting, as counted with each step."""
        row = await row_where(EventRow, EventRow.id, event_id)
        return int(row["waitlist_entries"]) if row else 0

    async def list_waitlist_user_ids(self, event_id: str) -> list[str]:
        waiting = [e.user_id for e in await self.list_event_waitlist(event_id) if e.waiting]
        return list(dict.fromkeys(waiting))
