"""The mail port: what Admit needs from a mail service."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    # Extra headers (an organizer's message carries List-Unsubscribe, RFC 2369 / 8058).
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class StoredMail:
    """A mail as a mailer that keeps what it sends shows it (the local outbox)."""

    filename: str
    to: str
    subject: str
    sent_at: datetime
    text: str


class MailDeliveryFailed(RuntimeError):
    """The mail service refused or could not take the message (may pass: retry)."""


class MailNotBuilt(RuntimeError):
    """The mail cannot be made into a message at all (an address or a header that cannot
    be encoded): sending it again will never work, so it is not retried."""


class Mailer(ABC):
    @abstractmethod
    async def send(self, mail: Mail) -> None: ...

    def kept_messages(self, limit: int = 50) -> list[StoredMail] | None:
        """The mails sent, newest first, when this mailer keeps them for a person to
        read (the local outbox, shown at /dev/outbox); None when mail leaves for good."""
        return None
