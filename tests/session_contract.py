"""The Store contract for sessions and token generations: both backends, unchanged.

`tests/test_store_sqlite.py` and `tests/test_store_dynamo.py` inherit this class next to
`StoreContract`; their `store` fixture yields an opened, empty store.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from models.domain import User, utcnow
from models.errors import NotFound
from models.sessions import Session, new_session_secret, start_session
from models.store import Store
from tests.store_contract import make_user

LIFETIME = timedelta(days=14)


async def _user(store: Store, email: str = "s@example.com") -> User:
    user = make_user(email, email_verified=True)
    await store.create_user(user, None)
    return user


def _session(user: User, agent: str = "Phone", **changes: object) -> Session:
    now = utcnow()
    session = start_session(user, new_session_secret(), agent, now, LIFETIME)
    if changes:
        session = Session(**{**session.__dict__, **changes})  # type: ignore[arg-type]
    return session


class SessionStoreContract:
    async def test_a_session_is_stored_and_read_back(self, store: Store) -> None:
        user = await _user(store)
        session = _session(user, "Mozilla/5.0 (iPhone)")
        await store.create_session(session)
        assert await store.get_session(session.id, utcnow()) == session
        assert await store.get_session("unknown", utcnow()) is None

    async def test_a_run_out_session_is_not_answered(self, store: Store) -> None:
        """DynamoDB's TTL deletes late (days): the read itself must compare the expiry."""
        user = await _user(store)
        now = utcnow()
        gone = _session(user, expires_at=now - timedelta(seconds=1))
        await store.create_session(gone)
        assert await store.get_session(gone.id, now) is None
        assert await store.list_user_sessions(user.id, now) == []

    async def test_touch_moves_last_seen_and_expiry(self, store: Store) -> None:
        user = await _user(store)
        session = _session(user)
        await store.create_session(session)
        later = session.last_seen_at + timedelta(minutes=5)
        assert await store.touch_session(session.id, later, later + LIFETIME)
        touched = await store.get_session(session.id, later)
        assert touched is not None
        assert touched.last_seen_at == later
        assert touched.expires_at == later + LIFETIME
        assert touched.created_at == session.created_at

    async def test_a_touch_never_brings_an_ended_session_back(self, store: Store) -> None:
        """Fails on the old code: there were no session records at all."""
        user = await _user(store)
        session = _session(user)
        await store.create_session(session)
        assert await store.delete_session(session.id)
        now = utcnow()
        assert not await store.touch_session(session.id, now, now + LIFETIME)
        assert await store.get_session(session.id, now) is None

    async def test_list_user_sessions_is_theirs_only_most_recent_first(self, store: Store) -> None:
        ada = await _user(store, "ada@example.com")
        bob = await _user(store, "bob@example.com")
        now = utcnow()
        older = _session(ada, "Laptop", last_seen_at=now - timedelta(hours=2))
        newer = _session(ada, "Phone", last_seen_at=now - timedelta(minutes=2))
        theirs = _session(bob)
        for session in (older, newer, theirs):
            await store.create_session(session)
        listed = await store.list_user_sessions(ada.id, utcnow())
        assert [s.id for s in listed] == [newer.id, older.id]
        assert await store.list_user_sessions("nobody", utcnow()) == []

    async def test_delete_session_for_a_user_only_ends_their_own(self, store: Store) -> None:
        ada = await _user(store, "ada@example.com")
        bob = await _user(store, "bob@example.com")
        session = _session(ada)
        await store.create_session(session)
        assert not await store.delete_session(session.id, bob.id)
        assert await store.get_session(session.id, utcnow()) is not None
        assert await store.delete_session(session.id, ada.id)
        assert not await store.delete_session(session.id, ada.id)
        assert await store.get_session(session.id, utcnow()) is None

    async def test_delete_user_sessions_keeps_the_one_excepted(self, store: Store) -> None:
        ada = await _user(store, "ada@example.com")
        bob = await _user(store, "bob@example.com")
        mine = [_session(ada, f"Device {n}") for n in range(3)]
        theirs = _session(bob)
        for session in (*mine, theirs):
            await store.create_session(session)
        assert await store.delete_user_sessions(ada.id, except_id=mine[0].id) == 2
        assert [s.id for s in await store.list_user_sessions(ada.id, utcnow())] == [mine[0].id]
        assert await store.delete_user_sessions(ada.id) == 1
        assert await store.list_user_sessions(ada.id, utcnow()) == []
        assert await store.get_session(theirs.id, utcnow()) is not None

    async def test_concurrent_touches_and_an_ending_leave_nothing_behind(
        self, store: Store
    ) -> None:
        """Many requests touching their sessions while "log out everywhere" runs: no
        touch may recreate a session that was ended."""
        user = await _user(store)
        sessions = [_session(user, f"Device {n}") for n in range(8)]
        for session in sessions:
            await store.create_session(session)
        now = utcnow()
        touches = [
            store.touch_session(s.id, now + timedelta(minutes=n), now + LIFETIME)
            for n in range(3)
            for s in sessions
        ]
        await asyncio.gather(*touches, store.delete_user_sessions(user.id))
        await store.delete_user_sessions(user.id)  # whatever a lagging index missed
        late = [store.touch_session(s.id, utcnow(), utcnow() + LIFETIME) for s in sessions]
        assert not any(await asyncio.gather(*late))
        for session in sessions:
            assert await store.get_session(session.id, utcnow()) is None
        assert await store.list_user_sessions(user.id, utcnow()) == []

    async def test_purging_leaves_live_sessions_alone(self, store: Store) -> None:
        user = await _user(store)
        now = utcnow()
        live = _session(user, "Live")
        gone = _session(user, "Gone", expires_at=now - timedelta(minutes=1))
        await store.create_session(live)
        await store.create_session(gone)
        assert await store.purge_expired_sessions(now) in (0, 1)  # 0: DynamoDB's TTL does it
        assert await store.get_session(live.id, now) == live
        assert await store.get_session(gone.id, now) is None

    async def test_revoking_tokens_moves_the_generation_once_per_call(self, store: Store) -> None:
        """Concurrent revocations each count: the generation is one atomic counter."""
        user = await _user(store)
        assert user.token_generation == 0
        stored = await store.get_user(user.id)
        assert stored is not None
        assert stored.token_generation == 0
        assert stored.tokens_valid_after is None
        now = utcnow()
        results = await asyncio.gather(*(store.revoke_user_tokens(user.id, now) for _ in range(6)))
        assert sorted(u.token_generation for u in results) == [1, 2, 3, 4, 5, 6]
        stored = await store.get_user(user.id)
        assert stored is not None
        assert stored.token_generation == 6
        assert stored.tokens_valid_after == now
        assert stored.roles == user.roles
        assert stored.email == user.email

    async def test_revoking_tokens_of_an_unknown_account_is_not_found(self, store: Store) -> None:
        with pytest.raises(NotFound):
            await store.revoke_user_tokens("nobody", utcnow())
