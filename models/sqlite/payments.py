"""Payments on SQLite: confirming a paid registration exactly once, refunds, and the
webhook events already applied (invariant 3)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from models.domain import PaymentOutcome, Registration, RegistrationStatus
from models.errors import NotFound
from models.seat_rules import hold_refusal
from models.sqlite import seats
from models.sqlite.base import SqliteBase
from models.sqlite.rows import insert_sql, registration_from_row, ticket_columns
from models.sqlite.tables import RegistrationRow, WebhookEventRow
from models.sqlite.tickets import void_unused_tickets
from models.tickets import Ticket


def _registration(connection: sqlite3.Connection, registration_id: str) -> Registration:
    row = connection.execute(
        "SELECT * FROM registrations WHERE id = ?", (registration_id,)
    ).fetchone()
    if row is None:
        raise NotFound("This registration does not exist.")
    return registration_from_row(dict(row))


def confirm(
    connection: sqlite3.Connection, registration_id: str, tickets: Sequence[Ticket], now: datetime
) -> PaymentOutcome:
    """Apply a successful payment, once, inside the caller's BEGIN IMMEDIATE transaction."""
    registration = _registration(connection, registration_id)
    if registration.status is RegistrationStatus.CONFIRMED:
        return PaymentOutcome.ALREADY_CONFIRMED
    if registration.status in (RegistrationStatus.CANCELLED, RegistrationStatus.REFUNDED):
        return PaymentOutcome.NOT_PAYABLE
    quantity, amount = registration.quantity, registration.amount
    if registration.status is RegistrationStatus.HELD and not registration.hold_expired(now):
        # The seats are this registration's own: move them from held to confirmed.
        connection.execute(
            "UPDATE events SET seats_held = seats_held - ?, seats_confirmed = seats_confirmed + ?,"
            " registrations = registrations + 1, revenue = revenue + ? WHERE id = ?",
            (quantity, quantity, amount, registration.event_id),
        )
    else:
        # The hold ran out: the payment gets seats only if that many are free now.
        # So do the account's limit: its other seats may have filled it meanwhile.
        seats.release_expired_sync(connection, registration.event_id, now)
        event = seats.read_event(connection, registration.event_id)
        mine = seats.account_seats(connection, event.id, registration.user_id, now)
        if hold_refusal(event, quantity, mine, now) is not None:
            return PaymentOutcome.NO_SEATS
        updated = connection.execute(
            "UPDATE events SET seats_confirmed = seats_confirmed + ?,"
            " registrations = registrations + 1, revenue = revenue + ?"
            " WHERE id = ? AND seats_confirmed + seats_held + ? <= capacity",
            (quantity, amount, registration.event_id, quantity),
        ).rowcount
        if updated != 1:
            return PaymentOutcome.NO_SEATS
    connection.execute(
        "UPDATE registrations SET status = ?, updated_at = ? WHERE id = ?",
        (RegistrationStatus.CONFIRMED.value, now, registration.id),
    )
    for ticket in tickets:
        row = ticket_columns(ticket)
        connection.execute(insert_sql("tickets", row), row)
    return PaymentOutcome.CONFIRMED


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
            return await self.engine.in_hot_transaction(
                lambda connection: confirm(connection, registration_id, tickets, now)
            )

    async def refund_registration(self, registration_id: str, now: datetime) -> Registration:
        async with self.write_transaction():
            row = (
                await RegistrationRow.select()
                .where(RegistrationRow.id == registration_id)
                .first()
                .run()
            )
            if row is None:
                raise NotFound("This registration does not exist.")
            registration = registration_from_row(row)
            if registration.status is not RegistrationStatus.REFUNDED:
                if registration.status in (RegistrationStatus.HELD, RegistrationStatus.CONFIRMED):
                    await seats.give_back(registration)
                await (
                    RegistrationRow.update(
                        {
                            RegistrationRow.status: RegistrationStatus.REFUNDED.value,
                            RegistrationRow.updated_at: now,
                        }
                    )
                    .where(RegistrationRow.id == registration_id)
                    .run()
                )
                await void_unused_tickets(registration_id)
            row = (
                await RegistrationRow.select()
                .where(RegistrationRow.id == registration_id)
                .first()
                .run()
            )
        assert row is not None  # read in the transaction that found it
        return registration_from_row(row)

    async def webhook_event_seen(self, event_id: str) -> bool:
        return await WebhookEventRow.exists().where(WebhookEventRow.id == event_id).run()

    async def record_webhook_event(self, event_id: str, kind: str, now: datetime) -> None:
        async with self.write_transaction():
            if not await WebhookEventRow.exists().where(WebhookEventRow.id == event_id).run():
                await WebhookEventRow.insert(
                    WebhookEventRow(id=event_id, kind=kind, received_at=now)
                ).run()
