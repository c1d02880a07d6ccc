"""Outbox mail: each message is written as an .eml file under the data dir.

Local development and tests read mail from here (and `/dev/outbox` lists it), so a
verification code is one click away without a mail server.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import email.utils
from datetime import UTC, datetime
from pathlib import Path

from models.private_paths import write_private
from web.adapters.mail.mime import message_bytes
from web.adapters.mail.port import Mail, MailDeliveryFailed, Mailer, StoredMail


class OutboxMailer(Mailer):
    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    async def send(self, mail: Mail) -> None:
        try:
            await asyncio.to_thread(self._deliver, mail)
        except OSError as exc:
            raise MailDeliveryFailed(f"Could not write to the outbox: {exc}") from exc

    def _deliver(self, mail: Mail) -> None:
        # Building and serialising a MIME message costs about 1.5 ms of CPU: done in the
        # worker thread with the write, not on the event loop.
        message_id, raw = message_bytes(mail, self.sender)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{message_id.strip('<>').split('@')[0]}.eml"
        # Reset and verification codes: readable by this user only.
        write_private(self.folder / name, raw)

    def kept_messages(self, limit: int = 50) -> list[StoredMail]:
        """Newest first."""
        if not self.folder.exists():
            return []
        paths = sorted(self.folder.glob("*.eml"), reverse=True)[:limit]
        return [self._read(path) for path in paths]

    def _read(self, path: Path) -> StoredMail:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        return StoredMail(
            filename=path.name,
            to=str(message["To"]),
            subject=str(message["Subject"]),
            sent_at=email.utils.parsedate_to_datetime(str(message["Date"])),
            text=body.get_content() if body else "",
        )
