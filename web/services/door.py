"""Door use cases: check a code or a ticket found by name, the door's counts, search by
name, the public keys and the offline list a door phone keeps, and where one may scan.

Who may check (the organizer, or door staff inside the door window) is decided by
`models.tickets.door_refusal`; what a scan does, by the store's `check_in`.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.domain import Event, EventStatus, Role, User, new_id, one_line_problem, utcnow
from models.errors import Forbidden, NotFound, ValidationFailed
from models.store import Store
from models.ticket_codes import CodeSigner, CodeVerifier, key_id, public_bytes
from models.tickets import (
    DEVICE_MAX,
    GATE_MAX,
    CheckinAttempt,
    CheckinOutcome,
    Scanner,
    Ticket,
    door_refusal,
    scanner_of,
)

log = logging.getLogger("admit")

SEARCH_LIMIT = 20
CODE_MAX = 400


@dataclass(frozen=True)
class DoorList:
    """What a door phone needs to check codes without a connection (`door_list`)."""

    event: Event
    keys: list[dict[str, str]]  # as `checkin_keys` answers them
    tickets: list[Ticket]
    opens_at: datetime  # before this: not_yet_open
    closes_at: datetime  # after this: event_over
    synced_at: datetime
    scanner: Scanner  # who asked: the phone decides as the server would for them


class Door:
    def __init__(
        self, store: Store, signer: CodeSigner, verifier: CodeVerifier, grace: timedelta
    ) -> None:
        self.store = store
        self.signer = signer
        self.verifier = verifier
        self.grace = grace

    async def _may_check(self, user: User, event_id: str) -> Event:
        event = await self.store.get_event(event_id)
        if event is None:
            raise NotFound("This event does not exist.")
        staff = event.organizer_id != user.id and await self.store.is_door_staff(event_id, user.id)
        if refusal := door_refusal(event, user.id, staff, utcnow(), self.grace):
            raise Forbidden(refusal)
        return event

    async def validate(
        self,
        user: User,
        code: str,
        event_id: str,
        gate: str = "",
        device: str = "",
        ticket_id: str | None = None,
    ) -> CheckinOutcome:
        """Check one code, or (`ticket_id`, from the door's search by name) one ticket of
        this event named by its id: door search never hands out codes."""
        problems = {
            name: problem
            for name, value in (("gate", gate), ("device", device))
            if (problem := one_line_problem(value))
        }
        if problems:
            raise ValidationFailed(problems)
        if ticket_id is not None:
            # The store admits it only if it is a ticket of this event (else `invalid`).
            named = ticket_id.strip()
            ticket, code_event_id = (named, event_id) if 0 < len(named) <= 64 else (None, None)
            generation: int | None = None
        else:
            claims = self.verifier.verify(code if len(code) <= CODE_MAX else "")
            ticket, code_event_id = (claims.ticket_id, claims.event_id) if claims else (None, None)
            generation = claims.generation if claims else 0
        attempt = CheckinAttempt(
            id=new_id(),
            event_id=event_id,
            ticket_id=ticket,
            by_user_id=user.id,
            gate=" ".join(gate.split())[:GATE_MAX] or "Main gate",
            device=device.strip()[:DEVICE_MAX],
            at=utcnow(),
            code_generation=generation,
        )
        outcome = await self.store.check_in(attempt, code_event_id, self.grace)
        # Counted by metric filters into the operator's dashboard (infra/dashboard.yml).
        log.info("door check-in %s: event %s", outcome.result.value, event_id)
        return outcome

    async def counts(self, user: User, event_id: str) -> tuple[Event, int, int]:
        """The door page: its event, admitted so far, and tickets that may enter."""
        event = await self._may_check(user, event_id)
        return event, event.checked_in, event.seats_confirmed

    async def search(self, user: User, event_id: str, text: str) -> list[Ticket]:
        """Names and ticket ids, never codes: a code is the ticket itself (the QR), and
        the door admits a ticket found by name through its id (`validate`)."""
        event = await self._may_check(user, event_id)
        if problem := one_line_problem(text):
            raise ValidationFailed({"q": problem})
        text = " ".join(text.split())
        if not text:
            return []
        if len(text) > 100:
            raise ValidationFailed({"q": "Search with at most 100 characters."})
        return await self.store.search_event_tickets(event.id, text, SEARCH_LIMIT)

    async def checkin_keys(self, user: User, event_id: str) -> list[dict[str, str]]:
        await self._may_check(user, event_id)
        return self._public_keys()

    async def door_list(self, user: User, event_id: str) -> DoorList:
        """The event's public keys, door hours and every ticket with its state: enough
        for a door phone to decide offline as `Store.check_in` would (invariant 4 needs
        only public keys; invariant 2 stays the server's when the phone syncs)."""
        synced_at = utcnow()  # before the read: nothing the list misses is older
        event = await self._may_check(user, event_id)
        staff = event.organizer_id != user.id  # _may_check let them in: door staff
        tickets = await self.store.list_event_tickets(event.id)
        return DoorList(
            event=event,
            keys=self._public_keys(),
            tickets=tickets,
            opens_at=event.effective_doors_open_at,
            closes_at=event.ends_at + self.grace,
            synced_at=synced_at,
            scanner=scanner_of(event, user.id, staff),
        )

    def _public_keys(self) -> list[dict[str, str]]:
        keys = [self.signer.private_key.public_key(), *self.verifier.keys.values()]
        unique = {key_id(key): key for key in keys}
        return [
            {
                "key_id": kid,
                "algorithm": "Ed25519",
                "public_key": base64.b64encode(public_bytes(key)).decode(),
            }
            for kid, key in unique.items()
        ]

    async def door_events(self, user: User) -> list[Event]:
        """Events not yet over where this person may scan: as door staff or organizer."""
        ids = set(await self.store.door_staff_events(user.id))
        if user.has_role(Role.ORGANIZER):
            cursor = None
            while True:
                page = await self.store.list_organizer_events(user.id, 100, cursor)
                ids.update(e.id for e in page.items if e.status is EventStatus.PUBLISHED)
                if not (cursor := page.next_cursor):
                    break
        events = []
        for event_id in ids:
            event = await self.store.get_event(event_id)
            if event is not None and event.ends_at + self.grace > utcnow():
                events.append(event)
        return sorted(events, key=lambda e: e.starts_at)
