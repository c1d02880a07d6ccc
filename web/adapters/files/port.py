"""The files port: ticket PDFs and the short-lived links that download them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime

from models.errors import NotFound


@dataclass(frozen=True)
class DownloadLink:
    url: str
    expires_at: datetime


class FileStoreFailed(RuntimeError):
    """The file service refused or could not take a file."""


class LinkRefused(Exception):
    """The link was altered or has expired, or names no file."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "altered")
        self.expired = expired


class Files(ABC):
    @abstractmethod
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    @abstractmethod
    async def exists(self, key: str) -> bool: ...

    @abstractmethod
    async def get(self, key: str) -> bytes | None:
        """The file's bytes, or None when it is not there."""

    @abstractmethod
    async def download_link(self, key: str, filename: str, ttl: int) -> DownloadLink:
        """A link that works without other credentials and stops working after `ttl`
        seconds (at most 15 minutes): a path on this site (local) or an absolute URL (S3).
        """

    async def open_link(self, key: str, filename: str, expires: str, signature: str) -> bytes:
        """The file a `download_link` of this site names (local files): raises LinkRefused
        when the link was altered, has expired or names no file. Stores whose links go
        elsewhere (S3) serve none here: NotFound, as if the page did not exist."""
        raise NotFound()
