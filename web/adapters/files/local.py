"""Local files: a folder under the data dir, served by HMAC-signed, expiring links.

A link is `/files/<key>?name=<filename>&expires=<unix time>&sig=<hex>`, the signature an
HMAC-SHA256 over key, filename and expiry with the app's secret: changing any part of it,
or using it after it expires, gets a 403.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from models.private_paths import private_dir
from web.adapters.files.port import DownloadLink, Files, FileStoreFailed, LinkRefused

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9/_.-]{0,200}$")
MAX_TTL = 900


class LocalFiles(Files):
    def __init__(self, root: Path, secret: str, url_prefix: str = "/files") -> None:
        self.root = root
        self.secret = secret.encode()
        self.url_prefix = url_prefix

    def path(self, key: str) -> Path:
        if not KEY_PATTERN.match(key) or ".." in key:
            raise ValueError(f"not a file key: {key!r}")
        return self.root / key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            await asyncio.to_thread(self._write, self.path(key), data)
        except OSError as exc:
            raise FileStoreFailed(f"Could not store {key}: {exc}") from exc

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        # Write aside and rename, so a reader never sees half a PDF.
        private_dir(path.parent)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)

    async def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    async def get(self, key: str) -> bytes | None:
        path = self.path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    def _signature(self, key: str, filename: str, expires: int) -> str:
        message = f"{key}\n{filename}\n{expires}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    async def download_link(self, key: str, filename: str, ttl: int) -> DownloadLink:
        ttl = min(ttl, MAX_TTL)
        expires = int(datetime.now(UTC).timestamp()) + ttl
        query = urlencode(
            {"name": filename, "expires": expires, "sig": self._signature(key, filename, expires)}
        )
        return DownloadLink(
            url=f"{self.url_prefix}/{key}?{query}",
            expires_at=datetime.fromtimestamp(expires, UTC),
        )

    def check_link(self, key: str, filename: str, expires: str, sig: str) -> None:
        """Raises LinkRefused unless the link is ours, unchanged and not expired."""
        try:
            expires_at = int(expires)
        except ValueError as exc:
            raise LinkRefused(expired=False) from exc
        expected = self._signature(key, filename, expires_at)
        if not hmac.compare_digest(expected, sig):
            raise LinkRefused(expired=False)
        if datetime.now(UTC).timestamp() > expires_at:
            raise LinkRefused(expired=True)

    async def open_link(self, key: str, filename: str, expires: str, signature: str) -> bytes:
        self.check_link(key, filename, expires, signature)
        try:
            path = self.path(key)
        except ValueError as exc:
            raise LinkRefused(expired=False) from exc
        if not path.is_file():
            raise LinkRefused(expired=False)
        return await asyncio.to_thread(path.read_bytes)
