"""Piccolo tables for the SQLite store.

Schema changes go through generated migrations in `piccolo_migrations/`
(`PICCOLO_CONF=models.sqlite.piccolo_conf piccolo migrations new admit --auto`), never
through `create_table` at start-up.
"""

from __future__ import annotations

from piccolo.columns import Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class UserRow(Table, tablename="users"):
    id = Varchar(length=32, primary_key=True)
    email = Varchar(length=254, unique=True, index=True)
    name = Varchar(length=100)
    roles = Varchar(length=100)  # comma-separated Role values
    email_verified = Boolean(default=False)
    password_hash = Text(null=True, default=None)
    created_at = Timestamptz()
    token_generation = Integer(default=0)
    tokens_valid_after = Timestamptz(null=True, default=None)


class CodeRow(Table, tablename="one_time_codes"):
    # "<purpose>:<email>": one live code per address and purpose.
    key = Varchar(length=300, primary_key=True)
    code_hash = Varchar(length=128)
    expires_at = Timestamptz()
    attempts_left = Integer()


class LoginFailureRow(Table, tablename="login_failures"):
    id = Serial(primary_key=True)
    key = Varchar(length=300, index=True)
    at = Timestamptz(index=True)


class EventRow(Table, tablename="events"):
    id = Varchar(length=32, primary_key=True)
    organizer_id = Varchar(length=32, index=True)
    title = Varchar(length=200)
    description = Text()
    venue = Varchar(length=300)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    timezone = Varchar(length=64)
    capacity = Integer()
    price = Integer()
    currency = Varchar(length=3)
    category = Varchar(length=50)
    status = Varchar(length=16, index=True)
    max_per_registration = Integer()
    doors_open_at = Timestamptz(null=True, default=None)
    cancellation_hours = Integer(default=24)
    max_per_account = Integer(default=10)
    waitlist_enabled = Boolean(default=True)
    waitlist_offer_hours = Integer(default=24)
    transfers_allowed = Boolean(default=True)
    # Seats and entries waiting (models/waitlist_rules.py), moved with the entries.
    waitlist_seats = Integer(default=0)
    waitlist_entries = Integer(default=0)
    seats_confirmed = Integer(default=0)
    seats_held = Integer(default=0)
    registrations = Integer(default=0)
    revenue = Integer(default=0)
    holds_expire_next = Timestamptz(null=True, default=None, index=True)
    checked_in = Integer(default=0)
    created_at = Timestamptz()


class TicketTypeRow(Table, tablename="ticket_types"):
    """A kind of ticket of an event, with its own seat counters (changed only in the
    same transaction as the event's: models/sqlite/seats.py)."""

    id = Varchar(length=32, primary_key=True)
    event_id = Varchar(length=32, index=True)
    name = Varchar(length=100)
    description = Text(default="")
    price = Integer()
    capacity = Integer(null=True, default=None)
    sales_start = Timestamptz(null=True, default=None)
    sales_end = Timestamptz(null=True, default=None)
    max_per_registration = Integer(null=True, default=None)
    hidden = Boolean(default=False)
    position = Integer(default=0)
    seats_confirmed = Integer(default=0)
    seats_held = Integer(default=0)
    revenue = Integer(default=0)
    in_use = Boolean(default=False)  # a seat of it was ever taken: it cannot be deleted
    waitlist_seats = Integer(default=0)  # seats waited for by entries of this type


class RegistrationRow(Table, tablename="registrations"):
    id = Varchar(length=32, primary_key=True)
    event_id = Varchar(length=32, index=True)
    user_id = Varchar(length=32, index=True)
    buyer_name = Varchar(length=100)
    buyer_email = Varchar(length=254)
    quantity = Integer()
    amount = Integer()
    currency = Varchar(length=3)
    status = Varchar(length=16, index=True)
    attendee_names = Text(default="[]")  # JSON list of strings
    created_at = Timestamptz(index=True)
    hold_expires_at = Timestamptz(null=True, default=None, index=True)
    updated_at = Timestamptz(null=True, default=None)
    payment_ref = Varchar(length=255, null=True, default=None, index=True)
    refunded_amount = Integer(default=0)
    items = Text(default="[]")  # JSON list of RegistrationItem fields, by ticket type
    answers = Text(default="{}")  # JSON {question id: answer}, questions asked once
    seat_answers = Text(default="[]")  # JSON list, per seat, of {question id: answer}
    promo_code_id = Varchar(length=32, null=True, default=None)
    promo_code = Varchar(length=40, null=True, default=None)  # as the organizer wrote it


class QuestionRow(Table, tablename="questions"):
    """A registration question of an event (models/questions.py); deleted ones stay,
    with `deleted_at`, so the answers given keep their label in exports."""

    id = Varchar(length=32, primary_key=True)
    event_id = Varchar(length=32, index=True)
    label = Varchar(length=200)
    kind = Varchar(length=16)
    options = Text(default="[]")  # JSON list of strings
    required = Boolean(default=False)
    per = Varchar(length=16)
    position = Integer(default=0)
    deleted_at = Timestamptz(null=True, default=None)


class TicketRow(Table, tablename="tickets"):
    id = Varchar(length=32, primary_key=True)
    event_id = Varchar(length=32, index=True)
    registration_id = Varchar(length=32, index=True)
    user_id = Varchar(length=32, index=True)
    attendee_name = Varchar(length=100)
    buyer_name = Varchar(length=100)
    seat_no = Integer()
    seats = Integer()
    status = Varchar(length=8)
    created_at = Timestamptz()
    checked_in_at = Timestamptz(null=True, default=None)
    checked_in_gate = Varchar(length=60, null=True, default=None)
    ticket_type_id = Varchar(length=32, default="", index=True)
    ticket_type_name = Varchar(length=100, default="")
    code_generation = Integer(default=0)


class CheckinRow(Table, tablename="checkins"):
    """Every scan, admitted or not."""

    id = Varchar(length=32, primary_key=True)
    event_id = Varchar(length=32, index=True)
    ticket_id = Varchar(length=32, null=True, default=None, index=True)
    by_user_id = Varchar(length=32)
    gate = Varchar(length=60)
    device = Varchar(length=64)
    result = Varchar(length=16)
    at = Timestamptz()


class WebhookEventRow(Table, tablename="webhook_events"):
    """Provider events already applied: a redelivery is answered without acting again."""

    id = Varchar(length=255, primary_key=True)
    kind = Varchar(length=100)
    received_at = Timestamptz()


class DoorStaffRow(Table, tablename="door_staff"):
    key = Varchar(length=70, primary_key=True)  # "<event id>:<user id>"
    event_id = Varchar(length=32, index=True)
    user_id = Varchar(length=32, index=True)
    created_at = Timestamptz()


class DoorInvitationRow(Table, tablename="door_invitations"):
    """Door staff invited by an email no account used yet (applied at sign-up)."""

    key = Varchar(length=300, primary_key=True)  # "<event id>:<email>"
    id = Varchar(length=32, unique=True)
    event_id = Varchar(length=32, index=True)
    email = Varchar(length=254, index=True)
    created_at = Timestamptz()


class SessionRow(Table, tablename="sessions"):
    """A signed-in browser (models/sessions.py); the cookie holds the secret whose hash
    is `id`."""

    id = Varchar(length=64, primary_key=True)
    user_id = Varchar(length=64, index=True)
    created_at = Timestamptz()
    last_seen_at = Timestamptz()
    expires_at = Timestamptz(index=True)
    user_agent = Varchar(length=300)
    generation = Integer(default=0)


class DeliveryJobRow(Table, tablename="delivery_jobs"):
    """The transactional outbox (models/outbox.py): written by the transaction that
    confirms, drained by the worker."""

    id = Varchar(length=100, primary_key=True)  # "<kind>:<subject>"
    kind = Varchar(length=32)
    subject = Varchar(length=64)
    state = Varchar(length=16, index=True)
    attempts = Integer(default=0)
    next_try_at = Timestamptz(index=True)
    lease_owner = Varchar(length=64, null=True, default=None)
    lease_until = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()


class PromoCodeRow(Table, tablename="promo_codes"):
    """An event's promo codes (models/promo_codes.py); `uses` moves only with the seats,
    in models/sqlite/seats.py (invariant 6)."""

    id = Varchar(length=32, primary_key=True)
    event_id = Varchar(length=32, index=True)
    # "<event id>:<code folded>": unique, so two spellings differing in case cannot both
    # be stored, and the lookup at registration is one index read.
    key = Varchar(length=80, unique=True)
    code = Varchar(length=40)
    percent_off = Integer(null=True, default=None)
    amount_off = Integer(null=True, default=None)
    max_uses = Integer(null=True, default=None)
    uses = Integer(default=0)
    valid_from = Timestamptz(null=True, default=None)
    valid_until = Timestamptz(null=True, default=None)
    ticket_type_ids = Text(default="[]")  # JSON list; empty: every type
    unlocks_hidden = Boolean(default=False)
    created_at = Timestamptz()


class FigureRow(Table, tablename="figures"):
    """An event's counter records (models/figures.py), moved only inside the
    transactions that sell and scan (models/sqlite/figures.py)."""

    id = Varchar(length=80, primary_key=True)  # "<event id>|<key>"
    event_id = Varchar(length=32, index=True)
    key = Varchar(length=40)
    tickets = Integer(default=0)
    revenue = Integer(default=0)
    hits = Integer(default=0)  # `count` would hide Table.count


class MessageRow(Table, tablename="messages"):
    """An organizer's message to an event's attendees (models/messages.py)."""

    id = Varchar(length=32, primary_key=True)
    event_id = Varchar(length=32, index=True)
    author_id = Varchar(length=32)
    subject = Varchar(length=200)
    body = Text()
    audience = Varchar(length=20)
    recipients = Integer(default=0)
    day = Varchar(length=10)  # the event's calendar day: what the daily limit counts
    created_at = Timestamptz()
    fanout_step = Integer(default=0)
    fanout_cursor = Text(null=True, default=None)
    fanout_done = Boolean(default=False)
    queued = Integer(default=0)
    sent = Integer(default=0)
    skipped = Integer(default=0)


class UnsubscribeRow(Table, tablename="unsubscribes"):
    """A person who takes no more messages from an organizer."""

    key = Varchar(length=70, primary_key=True)  # "<organizer id>:<user id>"
    organizer_id = Varchar(length=32)
    user_id = Varchar(length=32)
    created_at = Timestamptz()


class WaitlistEntryRow(Table, tablename="waitlist_entries"):
    """A waiting-list entry (models/waitlist.py); its seats waited for are counted on
    its event's and type's rows in the same transaction (models/sqlite/waitlist.py)."""

    id = Varchar(length=32, primary_key=True)
    event_id = Varchar(length=32, index=True)
    ticket_type_id = Varchar(length=32)
    user_id = Varchar(length=32, index=True)
    user_name = Varchar(length=100)
    user_email = Varchar(length=254)
    quantity = Integer()
    status = Varchar(length=16)
    created_at = Timestamptz(index=True)
    updated_at = Timestamptz(null=True, default=None)
    registration_id = Varchar(length=32, null=True, default=None)
    offer_expires_at = Timestamptz(null=True, default=None)


class TicketTransferRow(Table, tablename="ticket_transfers"):
    """A ticket passed on (models/transfers.py), written with the ticket's change."""

    id = Varchar(length=32, primary_key=True)
    ticket_id = Varchar(length=32, index=True)
    event_id = Varchar(length=32, index=True)
    registration_id = Varchar(length=32)
    by_user_id = Varchar(length=32)
    from_user_id = Varchar(length=32)
    from_name = Varchar(length=100)
    to_user_id = Varchar(length=32)
    to_name = Varchar(length=100)
    to_email = Varchar(length=254, index=True)
    generation = Integer()
    at = Timestamptz()


TABLES: tuple[type[Table], ...] = (
    UserRow,
    CodeRow,
    LoginFailureRow,
    EventRow,
    TicketTypeRow,
    RegistrationRow,
    TicketRow,
    CheckinRow,
    DoorStaffRow,
    WebhookEventRow,
    DoorInvitationRow,
    SessionRow,
    DeliveryJobRow,
    QuestionRow,
    PromoCodeRow,
    FigureRow,
    MessageRow,
    UnsubscribeRow,
    WaitlistEntryRow,
    TicketTransferRow,
)
