"""Admit's entities, states and rules: plain Python, no I/O.

Every front end (pages, htmx fragments, the JSON API, the CLI) reaches these rules through
`web/services/`, so a rule is written once.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


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
    # Moved on by a password change or reset and by "log out everywhere": sessions and
    # tokens of an earlier generation are refused (models/sessions.py).
    token_generation: int = 0
    # When the generation last moved: providers whose tokens cannot carry a generation
    # (Cognito) have their tokens compared with it by issue time.
    tokens_valid_after: datetime | None = None

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def home_path(self) -> str:
        """Where a person lands after logging in."""
        return "/organizer" if Role.ORGANIZER in self.roles else "/"


NAME_MAX = 100

# What a one-line field (a name, a title, a venue, a gate) may not hold: C0 controls (tab,
# line feed and carriage return included), DEL, C1 controls, the Unicode line and
# paragraph separators, and the bidi embeddings, overrides and isolates (U+202A-U+202E,
# U+2066-U+2069), which make "Ana" display as something else in a list, a mail header or a
# CSV cell. Multi-line text (a description) is not checked here.
_NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
ONE_LINE_MESSAGE = "Use one line of plain text: no tabs, line breaks or control characters."


def one_line_problem(raw: str) -> str | None:
    """The rule for every single-line text field, in one place."""
    return ONE_LINE_MESSAGE if _NOT_ONE_LINE.search(raw) else None


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
    if not email.isascii():
        # A mail header cannot carry it without SMTPUTF8, which not every mail service
        # takes: refused here, not half-way through sending a code or an invitation.
        return "Enter the address in plain letters, without accents: our mail cannot reach it."
    # Imported here: 20 ms that a Lambda cold start serving a page need not pay.
    from email_validator import EmailNotValidError, validate_email

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
    if problem := one_line_problem(raw):
        return problem
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
class Attempt:
    """What `Store.take_attempt` did: took an attempt (`token` names it, for
    `release_attempt`), or took none because the limit was reached (`oldest` is when the
    oldest attempt still counted was taken, which says when the next one may be)."""

    token: str | None
    oldest: datetime | None = None

    @property
    def taken(self) -> bool:
        return self.token is not None

    def retry_after(self, window: timedelta, now: datetime) -> int:
        """Seconds until the oldest attempt counted leaves the window."""
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
DEFAULT_CANCELLATION_HOURS = 24
DEFAULT_MAX_PER_ACCOUNT = 10
DEFAULT_WAITLIST_OFFER_HOURS = 24
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
    # Attendees may cancel (and be refunded) until this many hours before the start.
    cancellation_hours: int = DEFAULT_CANCELLATION_HOURS
    # Seats one account may hold and have confirmed, over all its registrations.
    max_per_account: int = DEFAULT_MAX_PER_ACCOUNT
    seats_confirmed: int = 0
    seats_held: int = 0
    # Figures kept by the store in the same transaction as each registration change.
    registrations: int = 0
    revenue: int = 0
    # When the earliest live hold runs out: reading seats after it means holds to release.
    holds_expire_next: datetime | None = None
    checked_in: int = 0
    created_at: datetime = field(default_factory=utcnow)
    # The counter items its seats are split over (docs/SCALING.md; DynamoDB only).
    seat_shards: int = 1
    # The waiting list (models/waitlist_rules.py): on or off, how long an offer lasts,
    # and, kept by the store with every entry that joins, is offered or leaves, the
    # seats and entries waiting. Seats waited for are not the public's (invariant 7).
    waitlist_enabled: bool = True
    waitlist_offer_hours: int = DEFAULT_WAITLIST_OFFER_HOURS
    waitlist_seats: int = 0
    waitlist_entries: int = 0
    # Attendees may pass tickets on (models/transfers.py) unless the organizer locks it.
    transfers_allowed: bool = True

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
    def cancellation_deadline(self) -> datetime:
        return self.starts_at - timedelta(hours=self.cancellation_hours)

    @property
    def seats_taken(self) -> int:
        return self.seats_confirmed + self.seats_held

    @property
    def seats_left(self) -> int:
        """Seats the public can buy: seats waited for on the waiting list are not theirs."""
        return max(0, self.capacity - self.seats_taken - self.waitlist_seats)

    @property
    def seats_free(self) -> int:
        """Seats no registration takes (the waiting list's offers draw on these)."""
        return max(0, self.capacity - self.seats_taken)

    def is_on_sale(self, now: datetime) -> bool:
        """Sales stay open until the event ends (API.md)."""
        return self.status is EventStatus.PUBLISHED and now < self.ends_at

    def has_expired_holds(self, now: datetime) -> bool:
        return self.holds_expire_next is not None and self.holds_expire_next <= now


# ----------------------------------------------------------------------- ticket types

GENERAL_ADMISSION = "General admission"
TICKET_TYPE_NAME_MAX = 100
# Makes the id of the one type an event made the old way has (and the migration gave
# every existing event): the same on both stores and in old rows that name no type.
_DEFAULT_TYPE_NAMESPACE = uuid.UUID("6f1c3a52-9d3e-4c57-8f0e-2b7f3c1d5a90")


def default_type_id(event_id: str) -> str:
    return uuid.uuid5(_DEFAULT_TYPE_NAMESPACE, event_id).hex


@dataclass(frozen=True)
class TicketType:
    """A kind of ticket of an event, with its own price and, optionally, capacity. The
    event's capacity still bounds all its types together (invariant 1). The counters are
    kept by the store in the same atomic step as the event's."""

    id: str
    event_id: str
    name: str
    price: int
    currency: str
    description: str = ""
    capacity: int | None = None  # None: only the event's capacity limits it
    sales_start: datetime | None = None
    sales_end: datetime | None = None
    max_per_registration: int | None = None  # None: the event's
    hidden: bool = False
    position: int = 0
    seats_confirmed: int = 0
    seats_held: int = 0
    revenue: int = 0  # sales of this type, before partial refunds
    in_use: bool = False  # a seat of it was ever taken: it can be hidden, not deleted
    # Seats waited for by waiting-list entries of this type (invariant 7).
    waitlist_seats: int = 0

    @property
    def seats_taken(self) -> int:
        return self.seats_confirmed + self.seats_held

    @property
    def own_seats_left(self) -> int | None:
        """Seats the public can buy under the type's own capacity (None: it has none)."""
        if self.capacity is None:
            return None
        return max(0, self.capacity - self.seats_taken - self.waitlist_seats)

    @property
    def own_seats_free(self) -> int | None:
        """Seats of its own capacity no registration takes (None: it has none)."""
        return None if self.capacity is None else max(0, self.capacity - self.seats_taken)

    def seats_left(self, event: Event) -> int:
        """The smaller of its own capacity left and the event's seats left."""
        own = self.own_seats_left
        return event.seats_left if own is None else min(own, event.seats_left)

    def on_sale(self, now: datetime) -> bool:
        """Inside its sales window (the event being on sale is checked apart)."""
        if self.sales_start is not None and now < self.sales_start:
            return False
        return self.sales_end is None or now < self.sales_end

    def per_registration(self, event: Event) -> int:
        return self.max_per_registration or event.max_per_registration


def default_ticket_type(event: Event) -> TicketType:
    """The one type of an event made the old way (a price and a capacity, no types)."""
    return TicketType(
        id=default_type_id(event.id),
        event_id=event.id,
        name=GENERAL_ADMISSION,
        price=event.price,
        currency=event.currency,
    )


def lowest_price(types: list[TicketType]) -> int:
    """The event's `price`: its lowest visible type's (all types', when all are hidden)."""
    visible = [t.price for t in types if not t.hidden]
    prices = visible or [t.price for t in types]
    return min(prices) if prices else 0


@dataclass(frozen=True)
class RegistrationItem:
    """One line of a registration: `quantity` seats of one type, at the type's price then
    (`discount` per ticket, in minor units, comes from a promo code)."""

    ticket_type_id: str
    name: str
    quantity: int
    unit_price: int
    discount: int = 0

    @property
    def amount(self) -> int:
        return max(0, self.unit_price - self.discount) * self.quantity


# ----------------------------------------------------------------------- registrations


class RegistrationStatus(StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


# An answer to a registration question (models/questions.py): text, an option, or a box.
AnswerValue = str | bool

# Statuses whose seats count against capacity.
SEAT_TAKING = frozenset({RegistrationStatus.HELD, RegistrationStatus.CONFIRMED})
ATTENDEE_NAME_MAX = 100


@dataclass(frozen=True)
class Registration:
    id: str
    event_id: str
    user_id: str
    buyer_name: str
    buyer_email: str
    quantity: int
    amount: int
    currency: str
    status: RegistrationStatus
    created_at: datetime
    hold_expires_at: datetime | None = None
    attendee_names: tuple[str, ...] = ()
    updated_at: datetime | None = None
    # The payment provider's reference (a Stripe PaymentIntent id, or the simulator's).
    payment_ref: str | None = None
    # Minor units given back by a partial refund (a full refund makes it `refunded`).
    refunded_amount: int = 0
    # The seats by ticket type, in the order the attendees' names follow. Empty in a
    # registration stored before types existed: see `seat_items`.
    items: tuple[RegistrationItem, ...] = ()
    # Answers to the event's questions (by question id): those asked once, and for each
    # seat in order those asked per ticket (empty when none is).
    answers: Mapping[str, AnswerValue] = field(default_factory=dict)
    seat_answers: tuple[Mapping[str, AnswerValue], ...] = ()
    # The promo code it used (`models.promo_codes`): its id, whose use counter moves with
    # the seats, and the code as the organizer wrote it.
    promo_code_id: str | None = None
    promo_code: str | None = None

    @property
    def seat_items(self) -> tuple[RegistrationItem, ...]:
        """The items, or for a registration that names none (made before ticket types),
        all its seats of the event's default "General admission" type."""
        if self.items:
            return self.items
        unit = self.amount // self.quantity if self.quantity else 0
        return (
            RegistrationItem(
                default_type_id(self.event_id), GENERAL_ADMISSION, self.quantity, unit
            ),
        )

    def hold_expired(self, now: datetime) -> bool:
        return (
            self.status is RegistrationStatus.HELD
            and self.hold_expires_at is not None
            and self.hold_expires_at <= now
        )

    @property
    def is_free(self) -> bool:
        return self.amount == 0


def registration_problems(event: Event, quantity: int, names: list[str]) -> dict[str, str]:
    """`names` as given (only surrounding white space trimmed): a name with a control
    character is refused, not silently cleaned."""
    problems: dict[str, str] = {}
    if quantity < 1:
        problems["quantity"] = "Choose at least 1 ticket."
    elif quantity > event.max_per_registration:
        problems["quantity"] = (
            f"You can book at most {event.max_per_registration} tickets at a time."
        )
    if len(names) > max(quantity, 0):
        problems["attendee_names"] = "Give at most one name per ticket."
    elif any(len(name) > ATTENDEE_NAME_MAX for name in names):
        problems["attendee_names"] = f"A name has at most {ATTENDEE_NAME_MAX} characters."
    elif problem := next(filter(None, map(one_line_problem, names)), None):
        problems["attendee_names"] = problem
    return problems


class PaymentOutcome(StrEnum):
    """What a successful payment did to its registration."""

    CONFIRMED = "confirmed"  # seats (still or again) free: tickets issued
    ALREADY_CONFIRMED = "already_confirmed"  # a repeated or late duplicate: nothing changed
    NO_SEATS = "no_seats"  # the hold ran out and the seats were sold: refund
    NOT_PAYABLE = "not_payable"  # cancelled or refunded meanwhile: refund
