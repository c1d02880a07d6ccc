"""Reads of rows by one column's value, on the hot paths, without Piccolo's query builder.

A `Table.select().where(...).first()` spends about 0.25 ms of CPU building its SQL before
SQLite answers in a fraction of that; a hold, a payment and a scan each make several.
These read the same rows (`SELECT *`: every column, converted by the connection's
declared-type converters exactly as Piccolo's select gets them) with SQL written once
per table and column. Inside a transaction they fall back to Piccolo, whose reads use
the transaction's connection.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from piccolo.columns import Column
from piccolo.table import Table

from models.sqlite.engine import PooledSQLiteEngine


@cache
def _sql(tablename: str, column: str, order_by: str | None, limit: int | None) -> str:
    # Names come from the table classes, never from a request; the value is a parameter.
    sql = f'SELECT * FROM "{tablename}" WHERE "{column}" = ?'  # noqa: S608
    if order_by:
        sql += f' ORDER BY "{order_by}"'
    if limit:
        sql += f" LIMIT {limit}"
    return sql


async def rows_where(
    table: type[Table], column: Column, value: Any, order_by: Column | None = None
) -> list[dict[str, Any]]:
    """Every row of `table` whose `column` equals `value`, in `order_by`'s order."""
    engine = table._meta.db
    if isinstance(engine, PooledSQLiteEngine):
        order = order_by._meta.db_column_name if order_by is not None else None
        sql = _sql(table._meta.tablename, column._meta.db_column_name, order, None)
        rows = await engine.read_rows(sql, [value])
        if rows is not None:
            return rows
    query = table.select().where(column == value)
    if order_by is not None:
        query = query.order_by(order_by)
    result: list[dict[str, Any]] = await query.run()
    return result


async def row_where(table: type[Table], column: Column, value: Any) -> dict[str, Any] | None:
    """The first row of `table` whose `column` equals `value` (a key: the one row)."""
    engine = table._meta.db
    if isinstance(engine, PooledSQLiteEngine):
        sql = _sql(table._meta.tablename, column._meta.db_column_name, None, 1)
        rows = await engine.read_rows(sql, [value])
        if rows is not None:
            return rows[0] if rows else None
    row: dict[str, Any] | None = await table.select().where(column == value).first().run()
    return row
