"""Deliveries in this process: `Tickets.deliver` runs now (the local default)."""

from __future__ import annotations

from web.adapters.deliveries.port import Deliveries
from web.services.tickets import Tickets


class InlineDeliveries(Deliveries):
    def __init__(self, tickets: Tickets) -> None:
        self.tickets = tickets

    async def request(self, registration_id: str) -> None:
        await self.tickets.deliver(registration_id)
