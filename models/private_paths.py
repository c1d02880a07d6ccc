"""Folders and files only Admit's own user may read: the data dir and what is in it.

The database, the generated keys, the mail outbox (reset codes) and stored ticket PDFs
name people or are secrets, so another account on the same machine gets nothing: folders
are made 0700 and files 0600, whatever the process's umask.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Make `path` and any missing parents 0700 (folders that already exist keep their
    mode: the data dir may sit in a folder the operator chose)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # another worker made it first
        os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 if it does not exist (before SQLite or a writer
    opens it, so it is never readable by others, not even for a moment)."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write a new file that only this user may read."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
