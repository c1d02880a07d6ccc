"""Signed-in sessions and the rules that end them: plain Python, no I/O.

A session is one signed-in browser. Its record lives in the Store, so that logging out,
changing a password or "log out everywhere" ends it for good: a copy of the cookie taken
earlier names a record that is gone. Bearer tokens are not stored (they are checked by
signature); they end when the account's token generation moves on.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.domain import User

# last_seen is written at most this often per session: a page or an API call a second
# (the door scanner) must not turn into a write a second.
TOUCH_INTERVAL = timedelta(minutes=1)
USER_AGENT_MAX = 300


def new_session_secret() -> str:
    """The random value the cookie carries (256 bits)."""
    return secrets.token_urlsafe(32)


def session_id_for(secret: str) -> str:
    """The record's key: a hash of the cookie's secret, never the secret itself. The
    sessions page names sessions by this id (to end one), and an id read from the page,
    a log or a database backup cannot be turned back into a working cookie."""
    return hashlib.sha256(secret.encode()).hexdigest()


def clean_user_agent(raw: str) -> str:
    printable = "".join(ch for ch in raw if ch.isprintable())
    return printable.strip()[:USER_AGENT_MAX]


@dataclass(frozen=True)
class Session:
    id: str
    user_id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str
    # The account's token generation when this session began: a session from before a
    # "log out everywhere" is refused even if deleting its record was missed (an index
    # read a moment behind on DynamoDB).
    generation: int = 0

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at <= now

    def needs_touch(self, now: datetime) -> bool:
        return now - self.last_seen_at >= TOUCH_INTERVAL


def start_session(
    user: User, secret: str, user_agent: str, now: datetime, lifetime: timedelta
) -> Session:
    return Session(
        id=session_id_for(secret),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        user_agent=clean_user_agent(user_agent),
        generation=user.token_generation,
    )


def session_accepted(session: Session, user: User, now: datetime) -> bool:
    """May this session act for `user`: not run out, and not from an earlier generation."""
    return (
        session.user_id == user.id
        and not session.is_expired(now)
        and session.generation == user.token_generation
    )


def token_accepted(user: User, generation: int | None, issued_at: int | None) -> bool:
    """May a genuine, unexpired bearer token act for `user`?

    Local tokens carry the generation they were issued in: exact. Tokens of an outside
    provider (Cognito) cannot carry it, so they are compared by their issue time in whole
    seconds: one issued in or before the second of the last revocation is refused (the
    revocation waits out that second, see CognitoIdentity.revoke_tokens).
    """
    if generation is not None:
        return generation == user.token_generation
    if user.tokens_valid_after is None:
        return True
    if issued_at is None:
        return False
    return issued_at > int(user.tokens_valid_after.timestamp())


# Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari", iPads may say "Mac".
_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_name(user_agent: str) -> str:
    """A short name a person recognises their device by ("Firefox on Android"), from
    the User-Agent the browser sent when the session began."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"A browser on {system}"
    return "Unknown device" if not user_agent else "Another app or script"
