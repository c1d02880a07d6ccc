"""The Store's transfer operations (API.md "Transfers"): the transfer is one atomic step
with `models.transfers.transfer_refusal` decided on what it read there."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from models.tickets import Ticket
from models.transfers import Transfer


class TransferStore(ABC):
    @abstractmethod
    async def transfer_ticket(self, transfer: Transfer, now: datetime) -> tuple[Ticket, Transfer]:
        """Pass `transfer.ticket_id` on from `transfer.by_user_id` to the new holder, in
        one step: the ticket (new holder, name, next code generation) on condition that it
        is as read (valid, the same holder and generation), the record, and the new
        holder's mail job. Raises what `transfer_refusal` says; of concurrent transfers
        and scans of one ticket, one wins and the rest are decided on what it wrote."""

    @abstractmethod
    async def list_ticket_transfers(self, ticket_id: str) -> list[Transfer]:
        """A ticket's transfers, oldest first."""

    @abstractmethod
    async def list_event_transfers(self, event_id: str) -> list[Transfer]:
        """An event's transfers, newest first."""

    @abstractmethod
    async def get_transfer(self, transfer_id: str) -> Transfer | None: ...

    @abstractmethod
    async def list_transfers_to(self, email: str) -> list[Transfer]:
        """Transfers to `email` (normalised) that no account received, oldest first."""

    @abstractmethod
    async def claim_transfer(self, transfer: Transfer, user_id: str) -> bool:
        """Give the ticket of `transfer` (made to an address without an account) to the
        account `user_id` that now has that address, on condition that nobody holds it
        and it is still at the transfer's generation; the record names the account too.
        False when that no longer holds (passed on again meanwhile, or claimed)."""
