"""Payments on SQLite: confirming a paid registration exactly once, refunds, and the
webhook events already applied (invariant 3)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from models.domain import PaymentOutcome, Registration, RegistrationStatus
from models.errors import Conflict
from models.figures import refund_amount
from models.outbox import tickets_job
from models.payment_rules import decide_payment
from models.seat_rules import seats_back
from models.sqlite import figures, seats, waitlist
from models.sqlite.base import SqliteBase
from models.sqlite.cancelling import read_registration, void_valid_tickets
from models.sqlite.outbox import write_job
from models.sqlite.tables import RegistrationRow, WebhookEventRow
from models.tickets import Ticket


def confirm(
    connection: sqlite3.Connection, registration_id: str, tickets: Sequence[Ticket], now: datetime
) -> PaymentOutcome:
    """Apply a successful payment as `decide_payment` says, once, inside the caller's
    BEGIN IMMEDIATE transaction."""
    registration = read_registration(connection, registration_id)
    event = seats.read_event(connection, registration.event_id)
    if event.has_expired_holds(now):
        event = seats.sweep_if_due(connection, event, now)
        registration = read_registration(connection, registration_id)
    read = seats.read_hold(
        connection,
        event,
        registration.user_id,
        now,
        besides=registration.id,
        promo_id=registration.promo_code_id,
    )
    decision = decide_payment(registration, read, now)
    if decision.outcome is not PaymentOutcome.CONFIRMED:
        return decision.outcome
    assert decision.change is not None
    if not seats.write_change(connection, event.id, decision.change):
        return PaymentOutcome.NO_SEATS  # the decision read these counters: made certain here
    figures.seats(connection, event.id, decision.change, now)
    connection.execute(
        "UPDATE registrations SET status = ?, updated_at = ? WHERE id = ?",
        (RegistrationStatus.CONFIRMED.value, now, registration.id),
    )
    # The job first: a failure after it (a ticket id taken) rolls it back with the rest.
    write_job(connection, tickets_job(registration.id, now))  # invariant 8
    seats.insert_tickets(connection, tickets)
    return PaymentOutcome.CONFIRMED


def refund(connection: sqlite3.Connection, registration_id: str, now: datetime) -> Registration:
    """Mark a registration refunded (once), giving back the seats it held or confirmed
    and voiding its unused tickets."""
    registration = read_registration(connection, registration_id)
    if registration.status is RegistrationStatus.REFUNDED:
        return registration
    seats.give_back_sync(connection, registration)
    figures.seats(
        connection,
        registration.event_id,
        seats_back(registration),
        now,
        refunded=refund_amount(registration.amount, registration.refunded_amount),
    )
    connection.execute(
        "UPDATE registrations SET status = ?, updated_at = ? WHERE id = ?",
        (RegistrationStatus.REFUNDED.value, now, registration_id),
    )
    void_valid_tickets(connection, registration_id)
    waitlist.offer_sync(connection, registration.event_id, now)  # invariant 7
    return read_registration(connection, registration_id)


class SqlitePayments(SqliteBase):
    async def set_payment_ref(self, registration_id: str, ref: str) -> None:
        async with self.write_transaction():
            await (
                RegistrationRow.update({RegistrationRow.payment_ref: ref})
                .where(RegistrationRow.id == registration_id)
                .run()
            )

    async def confirm_payment(
        self, registration_id: str, tickets: Sequence[Ticket], now: datetime
    ) -> PaymentOutcome:
        async with self._write_lock:
            try:
                return await self.engine.in_hot_transaction(
                    lambda connection: confirm(connection, registration_id, tickets, now)
                )
            except sqlite3.IntegrityError as exc:
                raise Conflict("These tickets exist already.") from exc

    async def refund_registration(self, registration_id: str, now: datetime) -> Registration:
        async with self._write_lock:
            return await self.engine.in_hot_transaction(
                lambda connection: refund(connection, registration_id, now)
            )

    async def webhook_event_seen(self, event_id: str) -> bool:
        return await WebhookEventRow.exists().where(WebhookEventRow.id == event_id).run()

    async def record_webhook_event(self, event_id: str, kind: str, now: datetime) -> None:
        async with self.write_transaction():
            if not await WebhookEventRow.exists().where(WebhookEventRow.id == event_id).run():
                await WebhookEventRow.insert(
                    WebhookEventRow(id=event_id, kind=kind, received_at=now)
                ).run()
