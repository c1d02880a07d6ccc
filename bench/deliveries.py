"""After a load run: was every confirmed registration delivered exactly once?

A delivery is one ticket mail in the data dir's mail outbox (`outbox/*.eml`, naming the
registration in its link) and one stored PDF per ticket (`files/tickets/<event>/<ticket>.pdf`).
Deliveries may still be running when the load ends (a background task after each answer,
or a separate worker process draining a queue), so the folders are read again until the
counts match what was confirmed, or stop changing for a while, or time runs out.
"""

from __future__ import annotations

import asyncio
import collections
import email
import email.policy
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

TICKET_MAIL_SUBJECT = "You're going:"
REGISTRATION_LINK = re.compile(r"/my/registrations/([A-Za-z0-9_-]+)")


@dataclass
class Seen:
    mails: collections.Counter[str] = field(default_factory=collections.Counter)
    pdfs: set[str] = field(default_factory=set)

    def counts(self) -> tuple[int, int]:
        return sum(self.mails.values()), len(self.pdfs)


class _Reader:
    """Reads each .eml once: a mail file is written whole (renamed into place) and never
    changed, so only the new names need parsing on each look."""

    def __init__(self, data_dir: Path) -> None:
        self.outbox = data_dir / "outbox"
        self.files = data_dir / "files" / "tickets"
        self.parsed: dict[str, str | None] = {}

    def look(self) -> Seen:
        seen = Seen()
        if self.outbox.is_dir():
            for path in self.outbox.glob("*.eml"):
                if path.name not in self.parsed:
                    self.parsed[path.name] = _ticket_mail_registration(path)
        for registration_id in self.parsed.values():
            if registration_id is not None:
                seen.mails[registration_id] += 1
        if self.files.is_dir():
            seen.pdfs = {path.stem for path in self.files.glob("*/*.pdf")}
        return seen


def _ticket_mail_registration(path: Path) -> str | None:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    if not str(message["Subject"] or "").startswith(TICKET_MAIL_SUBJECT):
        return None
    body = message.get_body(preferencelist=("plain",))
    found = REGISTRATION_LINK.search(body.get_content() if body else "")
    return found.group(1) if found else None


async def check_deliveries(
    data_dir: Path,
    confirmed: dict[str, list[str]],
    wait_at_most: float = 180.0,
    settle: float = 5.0,
) -> bool:
    """`confirmed` maps each confirmed registration's id to its ticket ids. Prints what
    was found and returns True when every registration got exactly one ticket mail, every
    ticket its PDF, and nothing else was delivered."""
    reader = _Reader(data_dir)
    want_mails = len(confirmed)
    want_pdfs = sum(len(tickets) for tickets in confirmed.values())
    began = time.monotonic()
    last_counts: tuple[int, int] | None = None
    last_change = began
    while True:
        seen = await asyncio.to_thread(reader.look)
        counts = seen.counts()
        now = time.monotonic()
        if counts != last_counts:
            last_counts, last_change = counts, now
        if counts == (want_mails, want_pdfs):
            # Matching counts could still hide a duplicate and a missing one: the checks
            # below look at each registration and ticket.
            break
        if counts[0] > want_mails or now - began > wait_at_most:
            break
        if now - last_change > settle and counts != (0, 0):
            break
        await asyncio.sleep(0.25)
    waited = time.monotonic() - began

    tickets = {ticket for ids in confirmed.values() for ticket in ids}
    missing_mail = [r for r in confirmed if seen.mails[r] == 0]
    twice = [r for r, n in seen.mails.items() if n > 1]
    stray_mail = [r for r in seen.mails if r not in confirmed]
    missing_pdf = tickets - seen.pdfs
    stray_pdf = seen.pdfs - tickets
    print(
        f"deliveries         {counts[0]} ticket mails for {want_mails} confirmed registrations,"
        f" {counts[1]} PDFs for {want_pdfs} tickets (after waiting {waited:.1f} s)"
    )
    problems = {
        "registrations without a mail": missing_mail,
        "registrations mailed more than once": twice,
        "mails for registrations not confirmed here": stray_mail,
        "tickets without a PDF": sorted(missing_pdf),
        "PDFs of tickets not confirmed here": sorted(stray_pdf),
    }
    ok = True
    for what, items in problems.items():
        if items:
            ok = False
            print(f"NOT DELIVERED ONCE: {len(items)} {what}, e.g. {items[:3]}")
    return ok
