"""`admit shard-event ID N`: the operator's command to split a hot event's seat counter
(docs/SCALING.md). New: the command did not exist."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.test_cli import run


async def _an_event(database: Path) -> str:
    from models.sqlite.store import SqliteStore
    from tests.store_contract import make_event

    store = SqliteStore(database)
    await store.open()
    try:
        event = make_event()
        await store.create_event(event)
    finally:
        await store.close()
    return event.id


def test_shard_event_answers_and_refuses_a_wrong_count(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    event_id = asyncio.run(_an_event(tmp_path / "admit.sqlite3"))
    done = run(tmp_path, "shard-event", event_id, "4")
    assert done.returncode == 0, done.stderr
    assert f"Event {event_id}: its seats are on 4 counter item(s)." in done.stdout
    wrong = run(tmp_path, "shard-event", event_id, "40")
    assert wrong.returncode == 1
    assert "shards" in wrong.stderr
    missing = run(tmp_path, "shard-event", "no-such-event", "4")
    assert missing.returncode == 1
