"""The deliveries port: how a confirmed registration's tickets get to the buyer's mailbox.

A route that confirms a registration calls `request(registration_id)` after its answer (a
background task); the adapter decides when and where `Tickets.deliver` runs: at once in
this process (`inline`, the local default), or later in the `deliverer` function fed by
an SQS queue (`sqs`, on AWS), so the buyer's answer does not wait for PDFs and SES.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class Deliveries(ABC):
    @abstractmethod
    async def request(self, registration_id: str) -> None:
        """Make sure this registration's tickets get mailed."""

    async def set_aside(self, registration_id: str, reason: str) -> bool:
        """Put a delivery that can never succeed where a person will see it (True), instead
        of letting it be retried. Inline deliveries have no such place: the ERROR log
        `Tickets.deliver` wrote is the alert (False)."""
        return False
