"""The deliveries port: how a confirmed registration's tickets get to the buyer's mailbox.

`Delivery.after_answer` (web/services/delivery.py) calls `request(registration_id)` after
the answer has gone (a background task); the adapter decides when and where the delivery
runs: at once in this process (`inline`, the local default), or later in the `deliverer`
function fed by an SQS queue (`sqs`, on AWS), so the buyer's answer does not wait for PDFs
and SES. Either way it runs the `Deliver` it was built with (`Deliverer.deliver`, handed
in by the composition root): adapters import no service.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

# Render and mail one registration's tickets now; raises when that failed.
Deliver = Callable[[str], Awaitable[None]]


class Deliveries(ABC):
    @abstractmethod
    async def request(self, registration_id: str) -> None:
        """Make sure this registration's tickets get mailed."""

    async def set_aside(self, registration_id: str, reason: str) -> bool:
        """Put a delivery that can never succeed where a person will see it (True), instead
        of letting it be retried. Inline deliveries have no such place: the ERROR log
        `Deliverer.deliver` wrote is the alert (False)."""
        return False
