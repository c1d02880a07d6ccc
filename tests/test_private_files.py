"""The data dir and what Admit writes in it are for Admit's own user only (issue 10)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.sqlite.migrate import migrate
from models.sqlite.store import SqliteStore
from web.adapters.files.local import LocalFiles
from web.adapters.mail.outbox import OutboxMailer
from web.adapters.mail.port import Mail
from web.keys import load_or_create_keys
from web.settings import Settings

pytestmark = pytest.mark.local_adapters


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask (022) lets everyone read what is made: the modes must not rely on it."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


async def test_data_dir_database_keys_outbox_and_files_are_private(
    tmp_path: Path, open_umask: None
) -> None:
    """Fails before issue 10: the data dir was 0755 and the database and outbox 0644."""
    settings = Settings(data_dir=tmp_path / "data" / "admit", base_url="http://testserver")
    await migrate(settings.database_path, quiet=True)
    keys = load_or_create_keys(settings)
    store = SqliteStore(settings.database_path)
    await store.open()
    try:
        await store.is_empty()
    finally:
        await store.close()
    await OutboxMailer(settings.outbox_dir, "Admit <admit@example.com>").send(
        Mail(to="ana@example.com", subject="Your code", text="123456")
    )
    files = LocalFiles(settings.data_dir / "files", keys.secret_key)
    await files.put("tickets/e1/t1.pdf", b"%PDF-1.4", "application/pdf")

    folders = [
        tmp_path / "data",
        settings.data_dir,
        settings.keys_dir,
        settings.outbox_dir,
        settings.data_dir / "files",
        settings.data_dir / "files" / "tickets" / "e1",
    ]
    for folder in folders:
        assert mode(folder) == 0o700, folder
    written = [
        path for path in settings.data_dir.rglob("*") if path.is_file() and path.parent.exists()
    ]
    names = {path.name for path in written}
    assert "admit.sqlite3" in names
    assert "t1.pdf" in names
    assert any(name.endswith(".eml") for name in names)
    assert any(path.parent == settings.keys_dir for path in written)
    for path in written:
        assert mode(path) == 0o600, path
