"""The Store contract: every backend must pass these, unchanged.

A backend's test module subclasses `StoreContract` and provides a `store` fixture that
yields an opened, empty store.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from models.domain import (
    CODE_ATTEMPTS,
    CodePurpose,
    Event,
    EventStatus,
    OneTimeCode,
    Role,
    User,
    new_id,
    utcnow,
)
from models.errors import EmailTaken, ValidationFailed
from models.store import Store


def make_user(email: str = "a@example.com", **changes: object) -> User:
    values: dict[str, object] = {
        "id": new_id(),
        "email": email,
        "name": "Ada",
        "roles": frozenset({Role.ATTENDEE}),
        "email_verified": False,
        "created_at": utcnow().replace(microsecond=0),
    }
    values.update(changes)
    return User(**values)  # type: ignore[arg-type]


def make_event(organizer_id: str = "org", days: float = 7, **changes: object) -> Event:
    starts = (utcnow() + timedelta(days=days)).replace(microsecond=0)
    values: dict[str, object] = {
        "id": new_id(),
        "organizer_id": organizer_id,
        "title": "Concert",
        "description": "Line one\nLine two",
        "venue": "Hall",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=3),
        "timezone": "Europe/Lisbon",
        "capacity": 100,
        "price": 2500,
        "currency": "EUR",
        "category": "music",
        "status": EventStatus.PUBLISHED,
    }
    values.update(changes)
    return Event(**values)  # type: ignore[arg-type]


class StoreContract:
    # -- users --------------------------------------------------------------------------

    async def test_new_store_is_empty(self, store: Store) -> None:
        assert await store.is_empty()
        await store.create_user(make_user(), "hash")
        assert not await store.is_empty()

    async def test_user_round_trip(self, store: Store) -> None:
        user = make_user(roles=frozenset({Role.ORGANIZER, Role.ATTENDEE}))
        await store.create_user(user, "argon-hash")
        assert await store.get_user(user.id) == user
        assert await store.get_user_by_email(user.email) == user
        assert await store.get_password_hash(user.id) == "argon-hash"
        assert await store.get_user("nobody") is None
        assert await store.get_user_by_email("nobody@example.com") is None

    async def test_email_is_unique(self, store: Store) -> None:
        await store.create_user(make_user("same@example.com"), "h")
        with pytest.raises(EmailTaken):
            await store.create_user(make_user("same@example.com"), "h")

    async def test_concurrent_signups_with_one_email_create_one_account(self, store: Store) -> None:
        results = await asyncio.gather(
            *(store.create_user(make_user("race@example.com"), "h") for _ in range(10)),
            return_exceptions=True,
        )
        assert sum(r is None for r in results) == 1
        assert all(isinstance(r, EmailTaken) for r in results if r is not None)

    async def test_verify_roles_and_password(self, store: Store) -> None:
        user = make_user()
        await store.create_user(user, None)
        assert await store.get_password_hash(user.id) is None
        await store.mark_email_verified(user.id)
        await store.add_role(user.id, Role.DOOR_STAFF)
        await store.add_role(user.id, Role.DOOR_STAFF)
        await store.set_password_hash(user.id, "new")
        fresh = await store.get_user(user.id)
        assert fresh is not None
        assert fresh.email_verified
        assert fresh.roles == {Role.ATTENDEE, Role.DOOR_STAFF}
        assert await store.get_password_hash(user.id) == "new"

    # -- codes --------------------------------------------------------------------------

    async def test_code_replace_use_and_delete(self, store: Store) -> None:
        expires = (utcnow() + timedelta(minutes=15)).replace(microsecond=0)
        purpose = CodePurpose.VERIFY_EMAIL
        await store.put_code(OneTimeCode("a@example.com", purpose, "first", expires))
        await store.put_code(OneTimeCode("a@example.com", purpose, "second", expires))
        code = await store.get_code("a@example.com", purpose)
        assert code is not None
        assert (code.code_hash, code.expires_at, code.attempts_left) == (
            "second",
            expires,
            CODE_ATTEMPTS,
        )
        assert await store.get_code("a@example.com", CodePurpose.RESET_PASSWORD) is None
        assert await store.use_code_attempt("a@example.com", purpose) == CODE_ATTEMPTS - 1
        await store.delete_code("a@example.com", purpose)
        assert await store.get_code("a@example.com", purpose) is None
        assert await store.use_code_attempt("a@example.com", purpose) == -1

    async def test_concurrent_guesses_cannot_exceed_the_attempt_limit(self, store: Store) -> None:
        expires = utcnow() + timedelta(minutes=15)
        await store.put_code(OneTimeCode("g@example.com", CodePurpose.RESET_PASSWORD, "h", expires))
        results = await asyncio.gather(
            *(
                store.use_code_attempt("g@example.com", CodePurpose.RESET_PASSWORD)
                for _ in range(30)
            )
        )
        assert sorted(r for r in results if r >= 0) == list(range(CODE_ATTEMPTS))
        assert results.count(-1) == 30 - CODE_ATTEMPTS

    # -- failed log-ins -----------------------------------------------------------------

    async def test_login_failures_count_within_window(self, store: Store) -> None:
        now = utcnow().replace(microsecond=0)
        await store.record_login_failure(["account:a", "client:1"], now - timedelta(minutes=20))
        await store.record_login_failure(["account:a", "client:1"], now - timedelta(minutes=5))
        await store.record_login_failure(["account:a"], now)
        failures = await store.login_failures("account:a", now - timedelta(minutes=15))
        assert failures.count == 2
        assert failures.oldest == now - timedelta(minutes=5)
        assert (await store.login_failures("client:1", now - timedelta(minutes=15))).count == 1
        empty = await store.login_failures("account:b", now - timedelta(minutes=15))
        assert (empty.count, empty.oldest) == (0, None)

    # -- events -------------------------------------------------------------------------

    async def test_event_round_trip(self, store: Store) -> None:
        event = make_event(doors_open_at=None)
        await store.create_event(event)
        assert await store.get_event(event.id) == event
        assert await store.get_event("missing") is None

    async def test_upcoming_lists_published_not_ended_soonest_first(self, store: Store) -> None:
        later = make_event(days=10, title="later")
        sooner = make_event(days=2, title="sooner")
        running = make_event(days=-0.05, title="running now")  # started, not yet ended
        ended = make_event(days=-2, title="ended")
        draft = make_event(days=3, title="draft", status=EventStatus.DRAFT)
        cancelled = make_event(days=3, title="cancelled", status=EventStatus.CANCELLED)
        for event in (later, sooner, running, ended, draft, cancelled):
            await store.create_event(event)
        page = await store.list_upcoming_events(utcnow(), limit=10)
        assert [e.title for e in page.items] == ["running now", "sooner", "later"]
        assert page.next_cursor is None

    async def test_cursor_pages_through_ties_without_gaps_or_repeats(self, store: Store) -> None:
        starts = (utcnow() + timedelta(days=5)).replace(microsecond=0)
        events = [
            make_event(starts_at=starts, ends_at=starts + timedelta(hours=1)) for _ in range(5)
        ]
        events += [make_event(days=6) for _ in range(2)]
        for event in events:
            await store.create_event(event)
        seen: list[str] = []
        cursor = None
        while True:
            page = await store.list_upcoming_events(utcnow(), limit=2, cursor=cursor)
            seen += [e.id for e in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert sorted(seen) == sorted(e.id for e in events)
        assert len(seen) == len(set(seen))

    async def test_foreign_cursor_is_a_validation_error(self, store: Store) -> None:
        with pytest.raises(ValidationFailed) as caught:
            await store.list_upcoming_events(utcnow(), limit=5, cursor="not-ours!")
        assert "cursor" in caught.value.fields

    async def test_organizer_events_include_every_status(self, store: Store) -> None:
        mine = [
            make_event("me", days=1, status=EventStatus.DRAFT),
            make_event("me", days=-5),
            make_event("me", days=2, status=EventStatus.CANCELLED),
        ]
        for event in [*mine, make_event("someone-else")]:
            await store.create_event(event)
        page = await store.list_organizer_events("me", limit=10)
        assert [e.id for e in page.items] == [mine[1].id, mine[0].id, mine[2].id]
