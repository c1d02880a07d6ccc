"""The Store's promo code operations (a part of `models.store.Store`).

Definitions only: a code's `uses` counter moves inside the seat operations
(`hold_seats`, `confirm_payment`, `cancel_registration`, `refund_registration`,
`release_expired_holds`), in the same atomic step as the seats (invariant 6)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from models.promo_codes import PromoCode


class PromoCodeStore(ABC):
    @abstractmethod
    async def add_promo_code(self, promo: PromoCode) -> PromoCode:
        """Store a new code of its event; raises `ValidationFailed` on `code` when
        another code of the event is spelled the same without regard to case."""

    @abstractmethod
    async def list_promo_codes(self, event_id: str) -> list[PromoCode]:
        """An event's codes, oldest first, with their uses (strongly consistent)."""

    @abstractmethod
    async def get_promo_code(self, event_id: str, promo_id: str) -> PromoCode | None: ...

    @abstractmethod
    async def find_promo_code(self, event_id: str, code: str) -> PromoCode | None:
        """The event's code spelled `code` without regard to case, or None."""

    @abstractmethod
    async def update_promo_code(
        self, event_id: str, promo_id: str, change: Callable[[PromoCode], PromoCode]
    ) -> PromoCode:
        """Apply `change` (its definition fields only) to the code as it is now,
        atomically with its uses: `max_uses` may not drop below them
        (`ValidationFailed`), nor the code take another's spelling. Raises `NotFound`."""

    @abstractmethod
    async def delete_promo_code(self, event_id: str, promo_id: str) -> None:
        """Forget a code: it can no longer be used, and its spelling is free again.
        Registrations keep the code they used. Raises `NotFound`."""
