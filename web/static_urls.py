"""Content-hashed names for static/ files (`make deploy` uploads them; DEPLOYMENT.md).

With `ADMIT_STATIC_HASHED_URLS` on (serverless.yml), pages name each asset by its
content, `/static/css/app.<10 hex of sha256>.css`, which CloudFront and browsers may keep
for a year: a changed file gets a new name. infra/static_upload.py uploads the same names
from the same `hashed_name`. The app also answers those names itself (the execute-api URL
and `admit serve`), and only while the hash is the file's current one. Off (the default,
`make run`, the tests), pages keep the plain names.

The service worker (static/sw.js) caches an asset under its plain name, so a page with
hashed names still finds it offline.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

HASH_LENGTH = 10
_HASHED = re.compile(
    rf"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{HASH_LENGTH}}})(?P<ext>\.[A-Za-z0-9]+)$"
)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_LENGTH]


def hashed_name(path: str, digest: str) -> str:
    """`css/app.css` -> `css/app.<digest>.css` (a name without a suffix gets it at the end)."""
    folder, _, name = path.rpartition("/")
    stem, dot, ext = name.rpartition(".")
    hashed = f"{stem}.{digest}.{ext}" if dot and stem else f"{name}.{digest}"
    return f"{folder}/{hashed}" if folder else hashed


def split_hashed(path: str) -> tuple[str, str] | None:
    """`css/app.<digest>.css` -> (`css/app.css`, digest); None for a plain name."""
    match = _HASHED.match(path)
    if match is None:
        return None
    return match["stem"] + match["ext"], match["digest"]


class StaticUrls:
    """`static_url("css/app.css")` for the templates; hashes are read once per file (the
    files do not change under a running deployment)."""

    def __init__(self, directory: Path, hashed: bool) -> None:
        self.directory = directory
        self.hashed = hashed
        self._digests: dict[str, str] = {}

    def digest(self, path: str) -> str | None:
        if path not in self._digests:
            file = (self.directory / path).resolve()
            if self.directory.resolve() not in file.parents or not file.is_file():
                return None
            self._digests[path] = content_hash(file.read_bytes())
        return self._digests[path]

    def __call__(self, path: str) -> str:
        path = path.lstrip("/")
        digest = self.digest(path) if self.hashed else None
        return f"/static/{hashed_name(path, digest) if digest else path}"


class HashedStaticFiles(StaticFiles):
    """StaticFiles that also answers an asset's hashed name (the current hash only)."""

    def __init__(self, *, directory: Path, urls: StaticUrls) -> None:
        super().__init__(directory=directory)
        self.urls = urls

    async def get_response(self, path: str, scope: Scope) -> Response:
        parts = split_hashed(path.replace("\\", "/"))
        if parts is not None:
            plain, digest = parts
            if self.urls.digest(plain) == digest:
                return await super().get_response(plain, scope)
        return await super().get_response(path, scope)
