"""The Store contract for transfers (API.md "Transfers"): a ticket passed on moves to its
new holder with a new code generation, its record and its mail job in one step; the old
code answers void; of a transfer and scans of the old code, or of two transfers, exactly
one wins.

`tests/test_store_sqlite.py` and `tests/test_store_dynamo.py` inherit `TransferContract`,
so both backends pass these unchanged.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from models.cancellation import Canceller
from models.domain import Event, RegistrationStatus, new_id, utcnow
from models.errors import NotFound, TicketTransferred, TicketUsed, TicketVoid, TransfersLocked
from models.outbox import JobKind, job_id
from models.store import Store
from models.tickets import (
    DEFAULT_GRACE,
    CheckinAttempt,
    CheckinResult,
    Ticket,
    TicketStatus,
    tickets_for,
)
from models.transfers import Transfer
from tests.store_contract import make_event, make_registration


def make_transfer(ticket: Ticket, by: str, to_user: str = "", name: str = "Tom Taker") -> Transfer:
    return Transfer(
        id=new_id(),
        ticket_id=ticket.id,
        event_id=ticket.event_id,
        by_user_id=by,
        to_name=name,
        to_email=f"{name.split()[0].lower()}-{new_id()[:6]}@example.com",
        to_user_id=to_user,
        at=utcnow(),
    )


async def issued(store: Store, event: Event, quantity: int = 1) -> list[Ticket]:
    """A confirmed registration's tickets (its buyer holds them)."""
    registration = make_registration(event, quantity)
    tickets = tickets_for(registration, utcnow())
    await store.hold_seats(registration, utcnow(), tickets)
    return tickets


def scan(event: Event, ticket: Ticket, generation: int | None = 0) -> CheckinAttempt:
    return CheckinAttempt(
        new_id(), event.id, ticket.id, "org", "Main gate", "phone", utcnow(), generation
    )


class TransferContract:
    async def test_a_transfer_moves_the_ticket_and_records_it(self, store: Store) -> None:
        """The new holder finds it, the former one no longer; the record and the mail job
        are written with it. Fails before issue 14: no transfers."""
        event = make_event(days=0.01)
        await store.create_event(event)
        ticket, other = await issued(store, event, 2)
        holder = ticket.user_id
        moved, record = await store.transfer_ticket(
            make_transfer(ticket, holder, "user-tom"), utcnow()
        )
        assert (moved.id, moved.user_id, moved.attendee_name, moved.code_generation) == (
            ticket.id,
            "user-tom",
            "Tom Taker",
            1,
        )
        stored = await store.get_ticket(ticket.id)
        assert stored == moved
        assert [t.id for t in await store.list_user_tickets("user-tom")] == [ticket.id]
        assert [t.id for t in await store.list_user_tickets(holder)] == [other.id]
        assert (record.from_user_id, record.from_name, record.generation) == (
            holder,
            ticket.attendee_name,
            1,
        )
        assert (record.registration_id, record.event_id) == (ticket.registration_id, event.id)
        assert await store.get_transfer(record.id) == record
        assert await store.list_ticket_transfers(ticket.id) == [record]
        assert await store.list_event_transfers(event.id) == [record]
        job = await store.get_job(job_id(JobKind.TRANSFER, record.id))
        assert job is not None
        assert job.subject == record.id
        # Searching the door's list finds the new name.
        assert [t.id for t in await store.search_event_tickets(event.id, "taker", 5)] == [ticket.id]
        # Passed on again by the new holder: generation 2, both recorded in order.
        again, second = await store.transfer_ticket(
            make_transfer(moved, "user-tom", "", "Uma Later"), utcnow()
        )
        assert (again.user_id, again.code_generation) == ("", 2)
        assert await store.list_user_tickets("user-tom") == []
        assert [t.generation for t in await store.list_ticket_transfers(ticket.id)] == [1, 2]
        assert [t.id for t in await store.list_event_transfers(event.id)] == [second.id, record.id]

    async def test_only_its_holder_passes_on_a_valid_ticket(self, store: Store) -> None:
        """Someone else or the former holder: not found; used, void, locked: refused; a
        refusal writes nothing."""
        event = make_event(days=0.01)
        await store.create_event(event)
        ticket, used = await issued(store, event, 2)
        holder = ticket.user_id
        with pytest.raises(NotFound):
            await store.transfer_ticket(make_transfer(ticket, "someone-else"), utcnow())
        with pytest.raises(NotFound):
            await store.transfer_ticket(
                replace(make_transfer(ticket, holder), ticket_id=new_id()), utcnow()
            )
        assert (await store.check_in(scan(event, used), event.id, DEFAULT_GRACE)).result is (
            CheckinResult.ADMITTED
        )
        with pytest.raises(TicketUsed):
            await store.transfer_ticket(make_transfer(used, holder), utcnow())
        await store.transfer_ticket(make_transfer(ticket, holder, "user-tom"), utcnow())
        with pytest.raises(NotFound):  # the former holder
            await store.transfer_ticket(make_transfer(ticket, holder), utcnow())

        void = (await issued(store, event))[0]
        await store.cancel_registration(
            void.registration_id, RegistrationStatus.CANCELLED, utcnow()
        )
        with pytest.raises(TicketVoid):
            await store.transfer_ticket(make_transfer(void, void.user_id), utcnow())

        locked = make_event(days=0.01, transfers_allowed=False)
        await store.create_event(locked)
        kept = (await issued(store, locked))[0]
        with pytest.raises(TransfersLocked):
            await store.transfer_ticket(make_transfer(kept, kept.user_id), utcnow())
        assert (await store.get_event(locked.id)).transfers_allowed is False  # type: ignore[union-attr]
        assert await store.list_event_transfers(locked.id) == []
        assert len(await store.list_event_transfers(event.id)) == 1

    async def test_the_old_code_is_void_and_the_new_one_admits(self, store: Store) -> None:
        event = make_event(days=0.01)
        await store.create_event(event)
        (ticket,) = await issued(store, event)
        await store.transfer_ticket(make_transfer(ticket, ticket.user_id, "user-tom"), utcnow())
        old = await store.check_in(scan(event, ticket, 0), event.id, DEFAULT_GRACE)
        assert old.result is CheckinResult.VOID
        new = await store.check_in(scan(event, ticket, 1), event.id, DEFAULT_GRACE)
        assert new.result is CheckinResult.ADMITTED
        assert new.ticket is not None
        assert new.ticket.attendee_name == "Tom Taker"
        # Found by name at the door (no code): whichever generation it has.
        again = await store.check_in(scan(event, ticket, None), event.id, DEFAULT_GRACE)
        assert again.result is CheckinResult.ALREADY_USED

    async def test_a_transfer_racing_scans_of_the_old_code_never_both_win(
        self, store: Store
    ) -> None:
        """For each of 12 tickets, one transfer and five scans of the old code at once:
        either the transfer won and every old scan is void, or one scan admitted and the
        transfer was refused as used. Never an admitted old code on a passed-on ticket."""
        event = make_event(days=0.01, capacity=50, max_per_registration=20, max_per_account=50)
        await store.create_event(event)
        tickets = await issued(store, event, 12)

        async def transfer(ticket: Ticket) -> str:
            try:
                await store.transfer_ticket(
                    make_transfer(ticket, ticket.user_id, "user-" + new_id()[:6]), utcnow()
                )
            except TicketUsed:
                return "used"
            return "moved"

        async def race(ticket: Ticket) -> tuple[str, list[CheckinResult]]:
            scans = [store.check_in(scan(event, ticket), event.id, DEFAULT_GRACE) for _ in range(5)]
            moved, *outcomes = await asyncio.gather(transfer(ticket), *scans)
            return moved, [o.result for o in outcomes]  # type: ignore[union-attr]

        for moved, results in await asyncio.gather(*(race(t) for t in tickets)):
            admitted = results.count(CheckinResult.ADMITTED)
            if moved == "moved":
                assert admitted == 0, results
                # Scans decided before the transfer saw it valid but lost the write.
                assert set(results) <= {CheckinResult.VOID}, results
            else:
                assert admitted == 1, results
        for ticket in tickets:
            stored = await store.get_ticket(ticket.id)
            assert stored is not None
            transfers = await store.list_ticket_transfers(ticket.id)
            assert len(transfers) == stored.code_generation
            assert (stored.code_generation == 1) != (stored.checked_in_at is not None)

    async def test_two_transfers_of_one_ticket_at_once_make_one(self, store: Store) -> None:
        event = make_event(days=0.01)
        await store.create_event(event)
        (ticket,) = await issued(store, event)

        async def give(n: int) -> bool:
            try:
                await store.transfer_ticket(
                    make_transfer(ticket, ticket.user_id, f"user-{n}"), utcnow()
                )
            except NotFound:
                return False
            return True

        won = await asyncio.gather(*(give(n) for n in range(8)))
        assert won.count(True) == 1
        stored = await store.get_ticket(ticket.id)
        assert stored is not None
        assert stored.code_generation == 1
        assert stored.user_id == f"user-{won.index(True)}"
        assert len(await store.list_event_transfers(event.id)) == 1

    async def test_a_registration_with_a_ticket_passed_on_is_not_cancelled_by_its_buyer(
        self, store: Store
    ) -> None:
        """Its buyer's refund would void a ticket someone else holds (409
        ticket_transferred); the organizer still may. Raced against the transfer, one
        of the two wins, never both."""
        event = make_event(days=3)
        await store.create_event(event)
        ticket, _ = await issued(store, event, 2)
        await store.transfer_ticket(make_transfer(ticket, ticket.user_id, "user-tom"), utcnow())
        with pytest.raises(TicketTransferred):
            await store.cancel_registration(
                ticket.registration_id, RegistrationStatus.CANCELLED, utcnow(), Canceller.ATTENDEE
            )
        cancelled = await store.cancel_registration(
            ticket.registration_id, RegistrationStatus.CANCELLED, utcnow(), Canceller.ORGANIZER
        )
        assert cancelled.status is RegistrationStatus.CANCELLED
        assert (await store.get_ticket(ticket.id)).status is TicketStatus.VOID  # type: ignore[union-attr]

        for _ in range(6):
            (raced,) = await issued(store, event)

            async def cancel(registration_id: str = raced.registration_id) -> bool:
                try:
                    await store.cancel_registration(
                        registration_id, RegistrationStatus.CANCELLED, utcnow(), Canceller.ATTENDEE
                    )
                except TicketTransferred:
                    return False
                return True

            async def give(ticket: Ticket = raced) -> bool:
                try:
                    await store.transfer_ticket(
                        make_transfer(ticket, ticket.user_id, "user-tom"), utcnow()
                    )
                except TicketVoid:
                    return False
                return True

            outcome = await asyncio.gather(cancel(), give())
            assert sorted(outcome) == [False, True], outcome
            stored = await store.get_ticket(raced.id)
            assert stored is not None
            assert (stored.status is TicketStatus.VOID) == outcome[0]

    async def test_a_ticket_passed_on_to_an_address_is_claimed_once_by_its_account(
        self, store: Store
    ) -> None:
        """Made to an address no account had: listed for that address until an account
        claims it; of claims at once, one wins; a ticket passed on again meanwhile is not
        claimed under the old transfer."""
        event = make_event(days=3)
        await store.create_event(event)
        kept, moved_on = await issued(store, event, 2)
        first = make_transfer(kept, kept.user_id)
        _, record = await store.transfer_ticket(first, utcnow())
        _, second = await store.transfer_ticket(make_transfer(moved_on, kept.user_id), utcnow())
        assert [t.id for t in await store.list_transfers_to(record.to_email)] == [record.id]

        won = await asyncio.gather(*(store.claim_transfer(record, f"user-{n}") for n in range(6)))
        assert won.count(True) == 1
        holder = f"user-{won.index(True)}"
        ticket = await store.get_ticket(kept.id)
        assert ticket is not None
        assert (ticket.user_id, ticket.code_generation) == (holder, 1)
        assert [t.id for t in await store.list_user_tickets(holder)] == [kept.id]
        assert await store.list_transfers_to(record.to_email) == []
        assert (await store.get_transfer(record.id)).to_user_id == holder  # type: ignore[union-attr]

        # Passed on again (by nobody's account it cannot be): the old transfer claims nothing.
        await store.transfer_ticket(replace(make_transfer(ticket, holder), id=new_id()), utcnow())
        assert not await store.claim_transfer(record, "user-late")
        stale = replace(second, generation=5)
        assert not await store.claim_transfer(stale, "user-late")
