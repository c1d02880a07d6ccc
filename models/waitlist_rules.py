"""The waiting list's decisions (invariant 7), pure functions of what a store read inside
its atomic step: may this entry join, which entries get the seats that came back, and
what the counters become.

Seats waited for are counted on the event (`Event.waitlist_seats`) and on the entry's
type (`TicketType.waitlist_seats`), in the same step as the entry joins, is offered or
leaves. The public's seats left (`Event.seats_left`, `TicketType.own_seats_left`) leave
them out, so the hold that sells to the public (`models.seat_rules.decide_hold`, and its
condition on each store) refuses them without reading the list: while anyone waits,
seats that come back are not sold to the public. An offer turns an entry's seats waited
for into seats held by a registration of its own in one step, conditioned on the entry
still waiting and on the seats being free (`Event.seats_free`), so no seat is offered
twice and nothing oversells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from models.domain import (
    Event,
    EventStatus,
    Registration,
    RegistrationItem,
    RegistrationStatus,
    TicketType,
    new_id,
)
from models.errors import (
    AccountLimit,
    AdmitError,
    AlreadyWaiting,
    EventNotOpen,
    InvalidTransition,
    NotEnoughSeats,
    NotFound,
    SeatsAvailable,
    ValidationFailed,
    WaitlistClosed,
)
from models.outbox import DeliveryJob, JobKind, new_job
from models.seat_rules import SeatChange, TypeChange
from models.waitlist import EntryStatus, WaitlistEntry, order_key

OFFER_HOURS_MAX = 24 * 14


@dataclass(frozen=True)
class WaitChange:
    """What one step adds to the seats and entries waiting (negative: they stop waiting),
    on the event and on the entry's type."""

    ticket_type_id: str
    seats: int
    entries: int


def public_seats_left(event: Event, kind: TicketType) -> int:
    """What the public could buy of `kind` now (0 while the list holds them back)."""
    return kind.seats_left(event)


def entry_type(
    types: Sequence[TicketType], ticket_type_id: str | None
) -> TicketType | ValidationFailed:
    """The type an entry waits for: the one named, or the event's only visible type."""
    visible = [t for t in types if not t.hidden]
    if ticket_type_id is None:
        if len(visible) != 1:
            return ValidationFailed(
                {"ticket_type_id": "This event has several ticket types: choose one."}
            )
        return visible[0]
    for kind in visible:
        if kind.id == ticket_type_id:
            return kind
    return ValidationFailed({"ticket_type_id": "Choose one of this event's ticket types."})


def list_open(event: Event, now: datetime) -> bool:
    """Whether people may join the event's list now (the list's own part of
    `join_refusal`: on sale, not started, on, not sharded)."""
    return (
        event.is_on_sale(now)
        and now < event.starts_at
        and event.waitlist_enabled
        and event.seat_shards <= 1
    )


def waitable_types(event: Event, types: Sequence[TicketType], now: datetime) -> list[TicketType]:
    """The visible types the pages offer to wait for: sold out to the public (none
    while the list is closed). `join_refusal` also lets a type whose sales have not
    started be waited for; the pages say "not on sale" for it instead."""
    if not list_open(event, now):
        return []
    return [k for k in types if not k.hidden and public_seats_left(event, k) == 0]


def quantity_problem(event: Event, kind: TicketType, quantity: object) -> str | None:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        return "Must be a whole number."
    most = min(kind.per_registration(event), event.max_per_account)
    if not 1 <= quantity <= most:
        return f"Choose from 1 to {most} seats."
    return None


def join_refusal(
    event: Event,
    types: Mapping[str, TicketType],
    entry: WaitlistEntry,
    now: datetime,
    account_seats: int = 0,
    waiting_already: bool = False,
) -> AdmitError | None:
    """Why `entry` may not join (read in the step), or None. The public may not buy the
    seats it waits for: joining while they can is 409 `seats_available`. One account
    waits once per event (`waiting_already`: it has an entry waiting or offered), and
    the seats it holds or has confirmed (`account_seats`) plus those it waits for stay
    within `max_per_account`, since an offer becomes seats of its own."""
    if not event.is_on_sale(now) or now >= event.starts_at:
        return EventNotOpen()
    if not event.waitlist_enabled or event.seat_shards > 1:
        # A sharded event's holds never read the event item that carries the seats
        # waited for (docs/SCALING.md): such an event has no list.
        return WaitlistClosed()
    kind = types.get(entry.ticket_type_id)
    if kind is None or kind.hidden:
        return ValidationFailed({"ticket_type_id": "Choose one of this event's ticket types."})
    if problem := quantity_problem(event, kind, entry.quantity):
        return ValidationFailed({"quantity": problem})
    if waiting_already:
        return AlreadyWaiting()
    if account_seats + entry.quantity > event.max_per_account:
        return AccountLimit(max(0, event.max_per_account - account_seats), event.max_per_account)
    left = public_seats_left(event, kind)
    if left > 0 and kind.on_sale(now):
        return SeatsAvailable(left, kind.id)
    return None


def joined(entry: WaitlistEntry) -> WaitChange:
    return WaitChange(entry.ticket_type_id, entry.quantity, 1)


def left(entry: WaitlistEntry) -> WaitChange:
    """What an entry that stops waiting (it leaves) gives back; nothing unless waiting."""
    if not entry.waiting:
        return WaitChange(entry.ticket_type_id, 0, 0)
    return WaitChange(entry.ticket_type_id, -entry.quantity, -1)


def leave_refusal(entry: WaitlistEntry | None, user_id: str) -> AdmitError | None:
    if entry is None or entry.user_id != user_id:
        return NotFound("This waiting-list entry does not exist.")
    if not entry.waiting:
        return InvalidTransition(f"This entry is {entry.status.value}.")
    return None


@dataclass(frozen=True)
class Offer:
    """An entry's offer: the entry as it becomes, its held registration, and the
    counters' change (seats waited for become seats held)."""

    entry: WaitlistEntry
    registration: Registration
    seats: SeatChange
    wait: WaitChange


def offer_ends(event: Event, now: datetime) -> datetime:
    return min(now + timedelta(hours=event.waitlist_offer_hours), event.starts_at)


def can_offer(event: Event, now: datetime) -> bool:
    """Offers are made while the event is published and has not started."""
    return event.status is EventStatus.PUBLISHED and now < event.starts_at


def _offer(event: Event, kind: TicketType, entry: WaitlistEntry, now: datetime) -> Offer:
    ends = offer_ends(event, now)
    q = entry.quantity
    registration = Registration(
        id=new_id(),
        event_id=event.id,
        user_id=entry.user_id,
        buyer_name=entry.user_name,
        buyer_email=entry.user_email,
        quantity=q,
        amount=kind.price * q,
        currency=event.currency,
        # Held even when free: the attendee takes it (POST /registrations/{id}/confirm).
        status=RegistrationStatus.HELD,
        created_at=now,
        hold_expires_at=ends,
        items=(RegistrationItem(kind.id, kind.name, q, kind.price),),
    )
    offered = replace(
        entry,
        status=EntryStatus.OFFERED,
        registration_id=registration.id,
        offer_expires_at=ends,
        updated_at=now,
    )
    return Offer(
        entry=offered,
        registration=registration,
        seats=SeatChange(held=q, types=(TypeChange(kind.id, held=q),)),
        wait=WaitChange(kind.id, -q, -1),
    )


def _fits(event_free: int, kind: TicketType, type_free: int | None, q: int) -> bool:
    return q <= event_free and (type_free is None or q <= type_free)


def choose_offers(
    event: Event,
    types: Mapping[str, TicketType],
    entries: Sequence[WaitlistEntry],
    now: datetime,
) -> list[Offer]:
    """The seats free now go to the waiting entries, oldest first among those that fit
    (an older one that does not fit keeps its place). Counters read in the step. A list
    the organizer turned off makes no offers by itself: those still waiting keep their
    claim until the organizer offers them seats by hand (`chosen_offer`) or they leave."""
    if not can_offer(event, now) or not event.waitlist_enabled:
        return []
    free = event.seats_free
    type_free = {k.id: k.own_seats_free for k in types.values()}
    offers = []
    for entry in sorted((e for e in entries if e.waiting), key=order_key):
        if free <= 0:
            break
        kind = types.get(entry.ticket_type_id)
        if kind is None or not _fits(free, kind, type_free[kind.id], entry.quantity):
            continue
        offers.append(_offer(event, kind, entry, now))
        free -= entry.quantity
        own = type_free[kind.id]
        if own is not None:
            type_free[kind.id] = own - entry.quantity
    return offers


def chosen_offer(
    event: Event, types: Mapping[str, TicketType], entry: WaitlistEntry | None, now: datetime
) -> Offer:
    """The organizer offers seats by hand to one entry, whatever its place: it must be
    waiting, and its seats free now."""
    if entry is None or entry.event_id != event.id:
        raise NotFound("This waiting-list entry does not exist.")
    if not entry.waiting:
        raise InvalidTransition(f"This entry is {entry.status.value}.")
    if not can_offer(event, now):
        raise EventNotOpen()
    kind = types.get(entry.ticket_type_id)
    if kind is None:
        raise ValidationFailed({"ticket_type_id": "This ticket type does not exist (any more)."})
    own = kind.own_seats_free
    if not _fits(event.seats_free, kind, own, entry.quantity):
        free = event.seats_free if own is None else min(own, event.seats_free)
        raise NotEnoughSeats(free)
    return _offer(event, kind, entry, now)


def offer_due(event: Event) -> bool:
    """Whether seats may be waiting for an offer (cheap, on the event as read): someone
    waits and some seats are free."""
    return event.waitlist_enabled and event.waitlist_entries > 0 and event.seats_free > 0


def offer_job(entry_id: str, now: datetime) -> DeliveryJob:
    """The offer's mail, written in the offering step: one per entry (an entry is offered
    once), so a repeat never mails twice."""
    return new_job(JobKind.WAITLIST_OFFER, entry_id, now)
