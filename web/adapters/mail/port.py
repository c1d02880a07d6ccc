"""The mail port: what Admit needs from a mail service."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field


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


class MailDeliveryFailed(RuntimeError):
    """The mail service refused or could not take the message (may pass: retry)."""


class MailNotBuilt(RuntimeError):
    """The mail cannot be made into a message at all (an address or a header that cannot
    be encoded): sending it again will never work, so it is not retried."""


class Mailer(ABC):
    @abstractmethod
    async def send(self, mail: Mail) -> None: ...
