"""Admit's entities, states and rules: plain Python, no I/O.

Every front end (pages, htmx fragments, the JSON API, the CLI) reaches these rules through
`web/services/`, so a rule is written once.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email


def new_id() -> str:
    """A random public identifier (UUID4, hex): never sequential, never guessable."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


# ----------------------------------------------------------------------------- users


class Role(StrEnum):
    ATTENDEE = "attendee"
    ORGANIZER = "organizer"
    DOOR_STAFF = "door_staff"


SIGNUP_ROLES = (Role.ATTENDEE, Role.ORGANIZER)


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    roles: frozenset[Role]
    email_verified: bool
    created_at: datetime

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def home_path(self) -> str:
        """Where a person lands after logging in."""
        return "/organizer" if Role.ORGANIZER in self.roles else "/"


NAME_MAX = 100
PASSWORD_MIN = 8
PASSWORD_MAX = 256
EMAIL_MAX = 254


def normalize_email(raw: str) -> str:
    """The form we store and look up: trimmed and lower-cased."""
    return raw.strip().lower()


def email_problem(raw: str) -> str | None:
    email = raw.strip()
    if not email:
        return "Enter your email address."
    if len(email) > EMAIL_MAX:
        return f"An email address has at most {EMAIL_MAX} characters."
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return "Enter an email address like name@example.com."
    return None


def password_problem(password: str) -> str | None:
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters."
    if not re.search(r"\d", password) or not re.search(r"[A-Z]", password):
        return "Include at least one digit and one upper-case letter."
    return None


def name_problem(raw: str) -> str | None:
    name = raw.strip()
    if not name:
        return "Enter your name."
    if len(name) > NAME_MAX:
        return f"A name has at most {NAME_MAX} characters."
    return None


def signup_problems(
    email: str, password: str, name: str, role: str, allowed_roles: tuple[Role, ...] = SIGNUP_ROLES
) -> dict[str, str]:
    """Every problem with a sign-up at once, keyed by field, so a form can show them all."""
    role_names = " or ".join(r.value for r in allowed_roles)
    problems = {
        "email": email_problem(email),
        "password": password_problem(password),
        "name": name_problem(name),
        "role": None if role in allowed_roles else f"Choose {role_names}.",
    }
    return {key: value for key, value in problems.items() if value}


# ------------------------------------------------------------------ one-time codes


class CodePurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a purpose name, not a secret)


CODE_ATTEMPTS = 5


def new_code() -> str:
    """Six random digits, as people type them from a mail."""
    return f"{secrets.randbelow(1_000_000):06d}"


def clean_code(raw: str) -> str:
    return re.sub(r"\s+", "", raw)


@dataclass(frozen=True)
class OneTimeCode:
    email: str
    purpose: CodePurpose
    code_hash: str
    expires_at: datetime
    attempts_left: int = CODE_ATTEMPTS

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True)
class LoginFailures:
    count: int
    oldest: datetime | None

    def retry_after(self, window: timedelta, now: datetime) -> int:
        if self.oldest is None:
            return 0
        return max(1, int((self.oldest + window - now).total_seconds()) + 1)


# ----------------------------------------------------------------------------- events


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    ENDED = "ended"


DEFAULT_MAX_PER_REGISTRATION = 10
DOORS_OPEN_BEFORE = timedelta(hours=2)


@dataclass(frozen=True)
class Event:
    id: str
    organizer_id: str
    title: str
    description: str
    venue: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    capacity: int
    price: int
    currency: str
    category: str
    status: EventStatus
    max_per_registration: int = DEFAULT_MAX_PER_REGISTRATION
    doors_open_at: datetime | None = None
    seats_confirmed: int = 0
    seats_held: int = 0
    created_at: datetime = field(default_factory=utcnow)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_starts_at(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def local_ends_at(self) -> datetime:
        return self.ends_at.astimezone(self.zone)

    @property
    def effective_doors_open_at(self) -> datetime:
        return self.doors_open_at or self.starts_at - DOORS_OPEN_BEFORE

    @property
    def is_free(self) -> bool:
        return self.price == 0

    @property
    def seats_taken(self) -> int:
        return self.seats_confirmed + self.seats_held

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.seats_taken)

    def is_upcoming(self, now: datetime) -> bool:
        return self.status is EventStatus.PUBLISHED and self.ends_at > now
