"""Promo codes on SQLite: rows of `promo_codes`, unique per event by their folded
spelling (`key`). Definitions change here, each in one BEGIN IMMEDIATE transaction;
`uses` moves only in models/sqlite/seats.py, with the seats (invariant 6)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from models.errors import NotFound, ValidationFailed
from models.promo_codes import CODE_TAKEN, PromoCode, below_uses, code_key
from models.sqlite.base import SqliteBase
from models.sqlite.point_reads import row_where, rows_where
from models.sqlite.rows import insert_sql, utc, utc_or_none
from models.sqlite.tables import PromoCodeRow

DEFINITION = (
    "code", "percent_off", "amount_off", "max_uses", "valid_from", "valid_until",
    "ticket_type_ids", "unlocks_hidden",
)  # fmt: skip


def row_key(event_id: str, code: str) -> str:
    return f"{event_id}:{code_key(code)}"


def promo_columns(promo: PromoCode) -> dict[str, Any]:
    return {
        "id": promo.id,
        "event_id": promo.event_id,
        "key": row_key(promo.event_id, promo.code),
        "code": promo.code,
        "percent_off": promo.percent_off,
        "amount_off": promo.amount_off,
        "max_uses": promo.max_uses,
        "uses": promo.uses,
        "valid_from": promo.valid_from,
        "valid_until": promo.valid_until,
        "ticket_type_ids": json.dumps(list(promo.ticket_type_ids)),
        "unlocks_hidden": promo.unlocks_hidden,
        "created_at": promo.created_at,
    }


def promo_from_row(row: dict[str, Any]) -> PromoCode:
    return PromoCode(
        id=row["id"],
        event_id=row["event_id"],
        code=row["code"],
        percent_off=row["percent_off"],
        amount_off=row["amount_off"],
        max_uses=row["max_uses"],
        uses=row["uses"],
        valid_from=utc_or_none(row["valid_from"]),
        valid_until=utc_or_none(row["valid_until"]),
        ticket_type_ids=tuple(json.loads(row["ticket_type_ids"] or "[]")),
        unlocks_hidden=bool(row["unlocks_hidden"]),
        created_at=utc(row["created_at"]),
    )


def read_promo(connection: sqlite3.Connection, event_id: str, promo_id: str) -> PromoCode | None:
    """The code as it is inside the caller's transaction (a seat decision reads it)."""
    row = connection.execute(
        "SELECT * FROM promo_codes WHERE id = ? AND event_id = ?", (promo_id, event_id)
    ).fetchone()
    return promo_from_row(dict(row)) if row else None


def write_use(connection: sqlite3.Connection, event_id: str, promo_id: str, uses: int) -> bool:
    """Move a code's uses; a take only while it stays within `max_uses`. False when that
    condition failed. Giving back to a code deleted meanwhile changes nothing (and does
    not fail: the seats still go back)."""
    sql = "UPDATE promo_codes SET uses = uses + ? WHERE id = ? AND event_id = ?"
    values: list[object] = [uses, promo_id, event_id]
    if uses <= 0:
        connection.execute(sql, values)
        return True
    sql += " AND (max_uses IS NULL OR uses + ? <= max_uses)"
    values.append(uses)
    return connection.execute(sql, values).rowcount == 1


def _add(connection: sqlite3.Connection, promo: PromoCode) -> PromoCode:
    row = promo_columns(promo)
    try:
        connection.execute(insert_sql("promo_codes", row), row)
    except sqlite3.IntegrityError as exc:
        if "promo_codes.key" in str(exc):
            raise ValidationFailed(CODE_TAKEN) from exc
        raise
    return promo


def _update(
    connection: sqlite3.Connection,
    event_id: str,
    promo_id: str,
    change: Callable[[PromoCode], PromoCode],
) -> PromoCode:
    current = read_promo(connection, event_id, promo_id)
    if current is None:
        raise NotFound("This promo code does not exist.")
    changed = change(current)
    below_uses(changed)
    row = promo_columns(changed)
    names = ", ".join(f"{name} = :{name}" for name in (*DEFINITION, "key"))
    try:
        connection.execute(
            f"UPDATE promo_codes SET {names} WHERE id = :id AND event_id = :event_id",  # noqa: S608
            row,
        )
    except sqlite3.IntegrityError as exc:
        raise ValidationFailed(CODE_TAKEN) from exc
    found = read_promo(connection, event_id, promo_id)
    assert found is not None
    return found


def _delete(connection: sqlite3.Connection, event_id: str, promo_id: str) -> None:
    gone = connection.execute(
        "DELETE FROM promo_codes WHERE id = ? AND event_id = ?", (promo_id, event_id)
    ).rowcount
    if not gone:
        raise NotFound("This promo code does not exist.")


class SqlitePromoCodes(SqliteBase):
    async def add_promo_code(self, promo: PromoCode) -> PromoCode:
        return await self._hot(lambda connection: _add(connection, promo))

    async def list_promo_codes(self, event_id: str) -> list[PromoCode]:
        rows = await rows_where(
            PromoCodeRow, PromoCodeRow.event_id, event_id, order_by=PromoCodeRow.created_at
        )
        return [promo_from_row(row) for row in rows]

    async def get_promo_code(self, event_id: str, promo_id: str) -> PromoCode | None:
        row = await row_where(PromoCodeRow, PromoCodeRow.id, promo_id)
        return promo_from_row(row) if row and row["event_id"] == event_id else None

    async def find_promo_code(self, event_id: str, code: str) -> PromoCode | None:
        row = await row_where(PromoCodeRow, PromoCodeRow.key, row_key(event_id, code))
        return promo_from_row(row) if row else None

    async def update_promo_code(
        self, event_id: str, promo_id: str, change: Callable[[PromoCode], PromoCode]
    ) -> PromoCode:
        return await self._hot(lambda connection: _update(connection, event_id, promo_id, change))

    async def delete_promo_code(self, event_id: str, promo_id: str) -> None:
        await self._hot(lambda connection: _delete(connection, event_id, promo_id))
