"""The seat counter of an event, changed only inside a write transaction.

Each function here expects the caller to hold `write_transaction()` (BEGIN IMMEDIATE), so
the read of the counters and their update cannot interleave with another writer.
"""

from __future__ import annotations

from datetime import datetime

from models.domain import Registration, RegistrationStatus
from models.errors import NotEnoughSeats
from models.sqlite.tables import EventRow, RegistrationRow


async def release_expired(event_id: str, now: datetime) -> int:
    """Expire the event's run-out holds and give their seats back; returns seats freed."""
    expired = (
        await RegistrationRow.update(
            {
                RegistrationRow.status: RegistrationStatus.EXPIRED.value,
                RegistrationRow.updated_at: now,
            }
        )
        .where(
            (RegistrationRow.event_id == event_id)
            & (RegistrationRow.status == RegistrationStatus.HELD.value)
            & (RegistrationRow.hold_expires_at <= now)
        )
        .returning(RegistrationRow.quantity)
        .run()
    )
    freed = sum(row["quantity"] for row in expired)
    await (
        EventRow.update(
            {
                EventRow.seats_held: EventRow.seats_held - freed,
                EventRow.holds_expire_next: await _next_expiry(event_id),
            }
        )
        .where(EventRow.id == event_id)
        .run()
    )
    return freed


async def _next_expiry(event_id: str) -> datetime | None:
    row = (
        await RegistrationRow.select(RegistrationRow.hold_expires_at)
        .where(
            (RegistrationRow.event_id == event_id)
            & (RegistrationRow.status == RegistrationStatus.HELD.value)
        )
        .order_by(RegistrationRow.hold_expires_at)
        .first()
        .run()
    )
    return row["hold_expires_at"] if row else None


async def take(registration: Registration, next_expiry: datetime | None) -> None:
    """Count a new held or confirmed registration, guarded by capacity in the same UPDATE."""
    held = registration.status is RegistrationStatus.HELD
    quantity = registration.quantity
    rows = await EventRow.raw(
        "UPDATE events SET seats_held = seats_held + {}, seats_confirmed = seats_confirmed + {}, "
        "registrations = registrations + {}, revenue = revenue + {}, holds_expire_next = {} "
        "WHERE id = {} AND seats_confirmed + seats_held + {} <= capacity RETURNING id",
        quantity if held else 0,
        0 if held else quantity,
        0 if held else 1,
        0 if held else registration.amount,
        next_expiry,
        registration.event_id,
        quantity,
    ).run()
    if not rows:  # the check before this makes it unreachable; the guard makes it certain
        raise NotEnoughSeats(0)


async def give_back(registration: Registration) -> None:
    """Return the seats of a registration that held or confirmed them."""
    if registration.status is RegistrationStatus.HELD:
        changes = {EventRow.seats_held: EventRow.seats_held - registration.quantity}
    else:
        changes = {
            EventRow.seats_confirmed: EventRow.seats_confirmed - registration.quantity,
            EventRow.registrations: EventRow.registrations - 1,
            EventRow.revenue: EventRow.revenue - registration.amount,
        }
    await EventRow.update(changes).where(EventRow.id == registration.event_id).run()
