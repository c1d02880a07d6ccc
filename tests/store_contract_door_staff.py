"""Store contract for door staff taken back, their access window, and door staff invited
by email (issue 10). Both `tests/test_store_sqlite.py` and `tests/test_store_dynamo.py`
inherit it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from models.domain import new_id, utcnow
from models.errors import Forbidden
from models.store import Store
from models.tickets import DEFAULT_GRACE, CheckinAttempt, CheckinResult, DoorInvitation, tickets_for
from tests.store_contract import make_event, make_registration


def invitation(event_id: str, email: str) -> DoorInvitation:
    return DoorInvitation(new_id(), event_id, email, utcnow().replace(microsecond=0))


class DoorStaffContract:
    async def test_door_staff_can_be_removed(self, store: Store) -> None:
        """Fails before issue 10: the Store had no way to take access back."""
        event = make_event(days=0.01)
        await store.create_event(event)
        await store.add_door_staff(event.id, "door", utcnow())
        await store.add_door_staff(event.id, "other", utcnow())
        assert await store.remove_door_staff(event.id, "door")
        assert not await store.remove_door_staff(event.id, "door")
        assert not await store.is_door_staff(event.id, "door")
        assert await store.list_door_staff(event.id) == ["other"]
        assert await store.door_staff_events("door") == []
        registration = make_registration(event, 1)
        tickets = tickets_for(registration, utcnow())
        await store.hold_seats(registration, utcnow(), tickets)
        scan = CheckinAttempt(new_id(), event.id, tickets[0].id, "door", "A", "", utcnow())
        with pytest.raises(Forbidden):
            await store.check_in(scan, event.id, DEFAULT_GRACE)

    async def test_door_staff_access_ends_with_the_check_in_window(self, store: Store) -> None:
        """Fails before issue 10: door staff could still scan (event_over) after the window."""
        now = utcnow().replace(microsecond=0)
        event = make_event(
            days=0,
            starts_at=now - timedelta(hours=10),
            ends_at=now - timedelta(hours=7),
        )
        await store.create_event(event)
        await store.add_door_staff(event.id, "door", now)

        def scan(by: str, at_hours: float) -> CheckinAttempt:
            at = now + timedelta(hours=at_hours)
            return CheckinAttempt(new_id(), event.id, None, by, "A", "", at)

        # Within the window (1 h before the end plus six hours of grace), door staff scan.
        inside = await store.check_in(scan("door", -2), None, DEFAULT_GRACE)
        assert inside.result is CheckinResult.INVALID
        with pytest.raises(Forbidden, match="ended"):
            await store.check_in(scan("door", 0), None, DEFAULT_GRACE)
        # The organizer is told the event is over, as before.
        organizer = await store.check_in(scan(event.organizer_id, 0), None, DEFAULT_GRACE)
        assert organizer.result is CheckinResult.INVALID

    async def test_invitations_by_email(self, store: Store) -> None:
        first, second = make_event(), make_event()
        for event in (first, second):
            await store.create_event(event)
        made = invitation(first.id, "zoe@example.com")
        assert await store.add_door_invitation(made) == made
        again = await store.add_door_invitation(invitation(first.id, "zoe@example.com"))
        assert again == made  # the first one stays, with its id
        other = await store.add_door_invitation(invitation(second.id, "zoe@example.com"))
        await store.add_door_invitation(invitation(first.id, "max@example.com"))
        assert {i.email for i in await store.list_door_invitations(first.id)} == {
            "zoe@example.com",
            "max@example.com",
        }
        assert {i.event_id for i in await store.door_invitations_for("zoe@example.com")} == {
            first.id,
            second.id,
        }
        assert await store.door_invitations_for("nobody@example.com") == []
        # Invitations are not door staff, and do not show among them.
        assert await store.list_door_staff(first.id) == []
        assert await store.remove_door_invitation(first.id, "zoe@example.com")
        assert not await store.remove_door_invitation(first.id, "zoe@example.com")
        assert await store.door_invitations_for("zoe@example.com") == [other]

    async def test_concurrent_invitations_of_one_email_store_one(self, store: Store) -> None:
        event = make_event()
        await store.create_event(event)
        stored = await asyncio.gather(
            *(store.add_door_invitation(invitation(event.id, "zoe@example.com")) for _ in range(10))
        )
        [kept] = await store.list_door_invitations(event.id)
        assert {i.id for i in stored} == {kept.id}
