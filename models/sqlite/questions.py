"""Registration questions on SQLite: one row per question in `questions` (deleted ones
kept with `deleted_at`). A change reads the event's rows, runs the pure change and writes
the rows that differ, in one BEGIN IMMEDIATE transaction. Answers live in the
registration's own row (`answers`, `seat_answers`), inserted with it by the hold."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any

from models.questions import AskedPer, Question, QuestionKind
from models.sqlite.base import SqliteBase
from models.sqlite.rows import insert_sql, utc_or_none
from models.sqlite.tables import QuestionRow


def question_columns(question: Question) -> dict[str, Any]:
    return {
        "id": question.id,
        "event_id": question.event_id,
        "label": question.label,
        "kind": question.kind.value,
        "options": json.dumps(list(question.options)),
        "required": question.required,
        "per": question.per.value,
        "position": question.position,
        "deleted_at": question.deleted_at,
    }


def question_from_row(row: dict[str, Any]) -> Question:
    deleted_at = row["deleted_at"]
    if isinstance(deleted_at, str):  # a raw sqlite3 read gives the stored text
        deleted_at = datetime.fromisoformat(deleted_at)
    return Question(
        id=row["id"],
        event_id=row["event_id"],
        label=row["label"],
        kind=QuestionKind(row["kind"]),
        options=tuple(json.loads(row["options"] or "[]")),
        required=bool(row["required"]),
        per=AskedPer(row["per"]),
        position=row["position"],
        deleted_at=utc_or_none(deleted_at),
    )


def _read(connection: sqlite3.Connection, event_id: str) -> list[Question]:
    rows = connection.execute(
        "SELECT * FROM questions WHERE event_id = ? ORDER BY position, id", (event_id,)
    ).fetchall()
    return [question_from_row(dict(row)) for row in rows]


def apply_change(
    connection: sqlite3.Connection,
    event_id: str,
    work: Callable[[list[Question]], list[Question]],
) -> list[Question]:
    before = {q.id: q for q in _read(connection, event_id)}
    after = work(list(before.values()))
    for question in after:
        if before.get(question.id) != question:
            columns = question_columns(question)
            connection.execute(
                insert_sql("questions", columns).replace("INSERT", "INSERT OR REPLACE", 1),
                columns,
            )
    kept = {q.id for q in after}
    for gone in set(before) - kept:
        connection.execute("DELETE FROM questions WHERE id = ?", (gone,))
    return sorted(after, key=lambda q: (q.position, q.id))


class SqliteQuestions(SqliteBase):
    async def list_questions(self, event_id: str) -> list[Question]:
        rows = await QuestionRow.raw(
            "SELECT * FROM questions WHERE event_id = {} ORDER BY position, id", event_id
        ).run()
        return [question_from_row(row) for row in rows]

    async def change_questions(
        self, event_id: str, change: Callable[[list[Question]], list[Question]]
    ) -> list[Question]:
        return await self._hot(lambda connection: apply_change(connection, event_id, change))
