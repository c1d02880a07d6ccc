"""Deliveries in this process: the delivery runs now (the local default)."""

from __future__ import annotations

from web.adapters.deliveries.port import Deliver, Deliveries


class InlineDeliveries(Deliveries):
    def __init__(self, deliver: Deliver) -> None:
        self.deliver = deliver

    async def request(self, registration_id: str) -> None:
        await self.deliver(registration_id)
