"""The Store: every read and write Admit makes, in domain words.

The operations are shaped by the questions the app asks (DynamoDB access patterns): each
one is a key lookup, a range read on one index, or a small conditional write. No caller
builds its own query. Two implementations: `models/sqlite/` (Piccolo) and, for production,
`models/dynamo/`. The same contract tests (`tests/store_contract.py`) run against both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from models.cancellation import Canceller
from models.domain import (
    Attempt,
    CodePurpose,
    Event,
    EventStatus,
    OneTimeCode,
    PaymentOutcome,
    Registration,
    RegistrationStatus,
    Role,
    TicketType,
    User,
)
from models.event_rules import EventFields
from models.figure_store import FigureStore
from models.message_store import MessageStore
from models.outbox_store import OutboxStore
from models.promo_code_store import PromoCodeStore
from models.question_store import QuestionStore
from models.session_store import SessionStore
from models.tickets import CheckinAttempt, CheckinOutcome, DoorInvitation, Ticket
from models.transfer_store import TransferStore
from models.waitlist_store import WaitlistStore

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, with an opaque cursor for the next page (None at the end)."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class EventQuery:
    """Filters of the public event list; every one optional."""

    text: str = ""
    category: str | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    free: bool | None = None


@dataclass(frozen=True)
class RegistrationQuery:
    text: str = ""
    status: RegistrationStatus | None = None


class Store(
    SessionStore,
    OutboxStore,
    QuestionStore,
    PromoCodeStore,
    FigureStore,
    MessageStore,
    WaitlistStore,
    TransferStore,
    ABC,
):
    @abstractmethod
    async def open(self) -> None:
        """Connect and check the schema is current (raises `StoreNotReady` if not)."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def is_empty(self) -> bool:
        """True when no account exists yet (used to seed demo data once)."""

    # -- users --------------------------------------------------------------------------

    @abstractmethod
    async def create_user(self, user: User, password_hash: str | None) -> None:
        """Insert a user; raises `EmailTaken` when the (normalised) email is in use.

        `password_hash` is for local identity; providers that keep passwords pass None.
        """

    @abstractmethod
    async def get_user(self, user_id: str) -> User | None: ...

    @abstractmethod
    async def get_user_by_email(self, email: str) -> User | None: ...

    @abstractmethod
    async def mark_email_verified(self, user_id: str) -> None: ...

    @abstractmethod
    async def add_role(self, user_id: str, role: Role) -> None: ...

    @abstractmethod
    async def get_password_hash(self, user_id: str) -> str | None: ...

    @abstractmethod
    async def set_password_hash(self, user_id: str, password_hash: str) -> None: ...

    # -- one-time codes (verification and password reset, local identity) ---------------

    @abstractmethod
    async def put_code(self, code: OneTimeCode) -> None:
        """Store a code, replacing any earlier one for the same email and purpose."""

    @abstractmethod
    async def get_code(self, email: str, purpose: CodePurpose) -> OneTimeCode | None: ...

    @abstractmethod
    async def use_code_attempt(self, email: str, purpose: CodePurpose) -> int:
        """Spend one attempt atomically; return attempts left (-1 when no code exists)."""

    @abstractmethod
    async def delete_code(self, email: str, purpose: CodePurpose) -> None: ...

    # -- spent codes and attempts --------------------------------------------------------

    @abstractmethod
    async def purge_spent(self, codes_expired_before: datetime, failures_before: datetime) -> int:
        """Delete codes that expired and failed log-ins older than the limits look back;
        the number of rows deleted. (DynamoDB's TTL does this by itself: 0.)"""

    # -- attempts under a limit (log-ins, codes checked, codes mailed) -------------------

    @abstractmethod
    async def take_attempt(self, key: str, at: datetime, since: datetime, limit: int) -> Attempt:
        """Atomically, under any concurrency: when fewer than `limit` attempts under `key`
        were taken after `since`, take one at `at` (the answer carries its token);
        otherwise take none and answer when the oldest counted one was taken. Keys used
        here are read through this method only (not `login_failures`); `purge_spent`
        forgets them with the failed log-ins."""

    @abstractmethod
    async def release_attempt(self, key: str, token: str) -> None:
        """Forget one taken attempt (it turned out not to be a failure); a token already
        released or unknown is ignored."""

    # -- events -------------------------------------------------------------------------

    @abstractmethod
    async def create_event(self, event: Event, ticket_types: Sequence[TicketType] = ()) -> None:
        """Store a new event with its ticket types in one step; without types, with one
        "General admission" type (`models.domain.default_ticket_type`). The stored
        `price` is the lowest visible type's."""

    @abstractmethod
    async def get_event(self, event_id: str) -> Event | None: ...

    @abstractmethod
    async def list_upcoming_events(
        self,
        now: datetime,
        limit: int,
        cursor: str | None = None,
        query: EventQuery | None = None,
    ) -> Page[Event]:
        """Published events that have not ended, soonest first, matching `query`."""

    @abstractmethod
    async def list_organizer_events(
        self, organizer_id: str, limit: int, cursor: str | None = None
    ) -> Page[Event]:
        """One organizer's events of every status, soonest first."""

    @abstractmethod
    async def update_event(
        self, event_id: str, change: Callable[[Event], EventFields], now: datetime
    ) -> Event:
        """Apply `change` to the current event and store the result, atomically: two
        concurrent edits of different fields both survive. `change` may raise
        `ValidationFailed`. Capacity may not drop below the seats taken
        (`CapacityBelowSold`). Raises `NotFound`."""

    @abstractmethod
    async def set_event_status(
        self, event_id: str, allowed_from: frozenset[EventStatus], to: EventStatus
    ) -> Event:
        """Move an event to `to` only from one of `allowed_from` (`InvalidTransition`)."""

    @abstractmethod
    async def shard_event(self, event_id: str, shards: int) -> None:
        """Split the event's seat counter over `shards` items (1: one), atomically and
        only while no seat is held (`Conflict`); `ValidationFailed` outside 1 to 32,
        `NotFound`. A store with one writer (SQLite) has nothing to split and only
        checks (docs/SCALING.md)."""

    # -- ticket types ---------------------------------------------------------------------
    #
    # Definitions only: each type's seat counters move with the event's, inside the seat
    # operations below, so callers never see how they are counted (a hot type's counter
    # can later be split like the event's). Every change keeps the event's `price`.

    @abstractmethod
    async def list_ticket_types(self, event_id: str) -> list[TicketType]:
        """An event's types in their order, with their counters (strongly consistent);
        empty for an unknown event."""

    @abstractmethod
    async def add_ticket_type(self, ticket_type: TicketType) -> TicketType:
        """Add a type after the event's others; raises `NotFound` (event) or
        `ValidationFailed` on `name` when another type of the event has that name."""

    @abstractmethod
    async def update_ticket_type(
        self,
        event_id: str,
        type_id: str,
        change: Callable[[TicketType], TicketType],
        now: datetime,
    ) -> TicketType:
        """Apply `change` (its definition fields only) to the type as it is now,
        atomically. Raises `NotFound`, `CapacityBelowSold` (below its seats taken),
        `ValidationFailed` (a name taken, or whatever `change` raises)."""

    @abstractmethod
    async def delete_ticket_type(self, event_id: str, type_id: str) -> None:
        """Raises `NotFound`, `TicketTypeInUse` once any seat of it was ever taken, and
        `LastTicketType` for the event's only type."""

    @abstractmethod
    async def move_ticket_type(self, event_id: str, type_id: str, by: int) -> list[TicketType]:
        """Move a type `by` places (-1: up) in the event's order; returns the new order."""

    # -- registrations and seats ---------------------------------------------------------
    #
    # Seat counts are only ever changed by these operations, each one atomic, so that
    # confirmed + live held seats never exceed capacity (invariant 1). Callers never see
    # how seats are counted: a hot event's counter can later be split into several items.

    @abstractmethod
    async def hold_seats(
        self, registration: Registration, now: datetime, tickets: Sequence[Ticket] = ()
    ) -> Registration:
        """Take `registration.quantity` seats and store the registration, in one step:
        the seats of each of its items count against that type's capacity and all of
        them against the event's (`models.seat_rules.decide_hold`).

        A `held` registration reserves seats until its hold expires; a `confirmed` one
        (a free event) takes them for good and stores its `tickets` and its delivery job
        (`models.outbox.tickets_job`) in the same step.
        Expired holds of the event are released first. In the same step, the seats the
        registration's account holds and has confirmed for the event stay within the
        event's `max_per_account` (`models.seat_rules.decide_hold`). Raises `NotFound`,
        `EventNotOpen`, `SoldOut`, `NotEnoughSeats` or `AccountLimit`.
        """

    @abstractmethod
    async def release_expired_holds(self, event_id: str, now: datetime) -> int:
        """Mark the event's run-out holds `expired` and free their seats; returns seats."""

    @abstractmethod
    async def events_with_expired_holds(self, now: datetime, limit: int) -> list[str]:
        """Ids of events whose earliest hold has run out (for the sweeper)."""

    @abstractmethod
    async def cancel_registration(
        self,
        registration_id: str,
        to: RegistrationStatus,
        now: datetime,
        by: Canceller = Canceller.ORGANIZER,
    ) -> Registration:
        """Move a held or confirmed registration to `to` (cancelled or refunded), return
        its seats to sale and void its unused tickets, in one atomic step with the
        decision `models.cancellation.cancellation_refusal` (for the attendee: no ticket
        used, the window still open), so that a scan racing the cancellation either admits
        and the cancellation is refused, or finds the ticket void. Raises `NotFound`,
        `InvalidTransition`, `TicketUsed` or `CancellationClosed`."""

    @abstractmethod
    async def get_registration(self, registration_id: str) -> Registration | None: ...

    @abstractmethod
    async def list_user_registrations(
        self, user_id: str, limit: int, cursor: str | None = None
    ) -> Page[Registration]:
        """A person's registrations, newest first."""

    @abstractmethod
    async def list_event_registrations(
        self,
        event_id: str,
        limit: int,
        cursor: str | None = None,
        query: RegistrationQuery | None = None,
    ) -> Page[Registration]:
        """An event's registrations, newest first, matching `query`."""

    # -- tickets and the door ------------------------------------------------------------

    @abstractmethod
    async def get_ticket(self, ticket_id: str) -> Ticket | None: ...

    @abstractmethod
    async def list_registration_tickets(self, registration_id: str) -> list[Ticket]: ...

    @abstractmethod
    async def list_user_tickets(self, user_id: str) -> list[Ticket]: ...

    @abstractmethod
    async def list_event_tickets(self, event_id: str) -> list[Ticket]:
        """Every ticket of an event, of every status, in one unpaged read (the door's
        offline list), by `(created_at, registration_id, seat_no)`."""

    @abstractmethod
    async def search_event_tickets(self, event_id: str, text: str, limit: int) -> list[Ticket]:
        """An event's tickets whose attendee or buyer name contains `text`."""

    @abstractmethod
    async def check_in(
        self, attempt: CheckinAttempt, code_event_id: str | None, grace: timedelta
    ) -> CheckinOutcome:
        """Record one scan and admit the ticket if it may enter, atomically: of any number
        of concurrent scans of one ticket exactly one is admitted. `code_event_id` is the
        event the signed code names (None when the code did not verify). Raises
        `NotFound` for an unknown event, `Forbidden` unless `attempt.by_user_id` is the
        event's organizer or door staff (the decision: `models.tickets.decide_check_in`)."""

    @abstractmethod
    async def add_door_staff(self, event_id: str, user_id: str, now: datetime) -> bool:
        """Let `user_id` check tickets of `event_id`; False if already allowed."""

    @abstractmethod
    async def is_door_staff(self, event_id: str, user_id: str) -> bool: ...

    @abstractmethod
    async def list_door_staff(self, event_id: str) -> list[str]: ...

    @abstractmethod
    async def door_staff_events(self, user_id: str) -> list[str]: ...

    @abstractmethod
    async def remove_door_staff(self, event_id: str, user_id: str) -> bool:
        """Take back `user_id`'s access to `event_id`; False if they had none."""

    # -- door staff invited by email (no account with that address yet) -----------------

    @abstractmethod
    async def add_door_invitation(self, invitation: DoorInvitation) -> DoorInvitation:
        """Store an invitation unless one for this event and email exists; returns the
        stored one (the first, when it was there already)."""

    @abstractmethod
    async def list_door_invitations(self, event_id: str) -> list[DoorInvitation]:
        """An event's pending invitations, oldest first."""

    @abstractmethod
    async def door_invitations_for(self, email: str) -> list[DoorInvitation]:
        """Every pending invitation to this (normalised) email."""

    @abstractmethod
    async def remove_door_invitation(self, event_id: str, email: str) -> bool:
        """Delete the invitation of `email` to `event_id`; False if there was none."""

    # -- payments (invariant 3: a payment is applied once) --------------------------------

    @abstractmethod
    async def set_payment_ref(self, registration_id: str, ref: str) -> None: ...

    @abstractmethod
    async def confirm_payment(
        self, registration_id: str, tickets: Sequence[Ticket], now: datetime
    ) -> PaymentOutcome:
        """Apply a successful payment atomically. A live hold becomes `confirmed` with
        `tickets` and its delivery job (`models.outbox.tickets_job`); a repeat changes
        nothing (`ALREADY_CONFIRMED`); a payment after the hold ran out gets seats only if
        that many are free now and the account's limit allows them (else `NO_SEATS`); a
        cancelled or refunded registration, or an event cancelled or ended, is
        `NOT_PAYABLE`. The decision is
        `models.payment_rules.decide_payment`. Raises `NotFound`."""

    @abstractmethod
    async def refund_registration(self, registration_id: str, now: datetime) -> Registration:
        """Mark a registration `refunded` (idempotent): seats it held return to sale and
        its unused tickets are voided."""

    @abstractmethod
    async def webhook_event_seen(self, event_id: str) -> bool: ...

    @abstractmethod
    async def record_webhook_event(self, event_id: str, kind: str, now: datetime) -> None: ...

    # -- partial refunds -----------------------------------------------------------------

    @abstractmethod
    async def record_partial_refund(
        self, registration_id: str, amount_refunded: int, now: datetime
    ) -> Registration:
        """Record that `amount_refunded` (in all, less than the amount) went back to the
        payer of a confirmed registration: it stays confirmed with its tickets, and the
        event's revenue drops by what is new. Only ever grows (a late or repeated report
        of a smaller total changes nothing); a registration that is not confirmed is left
        as it is. Raises `NotFound`."""
