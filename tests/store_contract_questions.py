"""The Store contract for registration questions (issue 13): an event's questions read
whole and changed whole in one atomic step, deleted ones kept (archived), and answers
stored in the registration's own write, so nothing is half-written.

`tests/test_store_sqlite.py` and `tests/test_store_dynamo.py` inherit
`QuestionsContract`, so every backend passes these unchanged.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from models.domain import new_id, utcnow
from models.errors import NotEnoughSeats, NotFound, ValidationFailed
from models.questions import (
    AskedPer,
    Question,
    QuestionKind,
    TooManyQuestions,
    adding,
    asked,
    deleting,
    editing,
    moving,
)
from models.store import Store
from tests.store_contract import make_event, make_registration


def make_question(event_id: str, label: str, **changes: object) -> Question:
    values: dict[str, object] = {
        "id": new_id(),
        "event_id": event_id,
        "label": label,
        "kind": QuestionKind.TEXT,
    }
    values.update(changes)
    return Question(**values)  # type: ignore[arg-type]


class QuestionsContract:
    async def test_questions_round_trip_in_order(self, store: Store) -> None:
        """Fails without `change_questions`/`list_questions` on the store."""
        event = make_event()
        await store.create_event(event)
        assert await store.list_questions(event.id) == []
        size = make_question(
            event.id,
            "T-shirt size",
            kind=QuestionKind.CHOICE,
            options=("S", "M", "L"),
            required=True,
            per=AskedPer.TICKET,
        )
        diet = make_question(event.id, "Diet")
        await store.change_questions(event.id, adding(size))
        await store.change_questions(event.id, adding(diet, position=0))
        stored = await store.list_questions(event.id)
        assert stored == [replace(diet, position=0), replace(size, position=1)]
        assert await store.list_questions("missing") == []

    async def test_edit_move_and_delete_keep_the_deleted_one(self, store: Store) -> None:
        event = make_event()
        await store.create_event(event)
        first, second = make_question(event.id, "First"), make_question(event.id, "Second")
        for question in (first, second):
            await store.change_questions(event.id, adding(question))
        await store.change_questions(
            event.id, editing(first.id, lambda q: replace(q, label="Renamed", required=True))
        )
        await store.change_questions(event.id, moving(second.id, -1))
        assert [q.label for q in asked(await store.list_questions(event.id))] == [
            "Second",
            "Renamed",
        ]
        now = utcnow().replace(microsecond=0)
        await store.change_questions(event.id, deleting(first.id, now))
        stored = await store.list_questions(event.id)
        assert [q.label for q in asked(stored)] == ["Second"]
        (gone,) = [q for q in stored if q.deleted]
        assert (gone.id, gone.label, gone.required, gone.deleted_at) == (
            first.id,
            "Renamed",
            True,
            now,
        )
        with pytest.raises(NotFound):
            await store.change_questions(event.id, editing(first.id, lambda q: q))

    async def test_a_refused_change_writes_nothing(self, store: Store) -> None:
        event = make_event()
        await store.create_event(event)
        await store.change_questions(event.id, adding(make_question(event.id, "Diet")))
        with pytest.raises(ValidationFailed):
            await store.change_questions(event.id, adding(make_question(event.id, "diet")))
        assert [q.label for q in await store.list_questions(event.id)] == ["Diet"]

    async def test_concurrent_additions_are_all_kept_and_capped(self, store: Store) -> None:
        """Each change runs on the list as it is: none of 12 racing additions is lost,
        and the cap holds however they race."""
        event = make_event()
        await store.create_event(event)
        results = await asyncio.gather(
            *(
                store.change_questions(event.id, adding(make_question(event.id, f"Q{i}")))
                for i in range(12)
            ),
            return_exceptions=True,
        )
        assert not [r for r in results if isinstance(r, BaseException)]
        stored = asked(await store.list_questions(event.id))
        assert sorted(q.label for q in stored) == sorted(f"Q{i}" for i in range(12))
        assert [q.position for q in stored] == list(range(12))

    async def test_the_cap_on_questions(self, store: Store) -> None:
        event = make_event()
        await store.create_event(event)

        def fill(questions: list[Question]) -> list[Question]:
            return [make_question(event.id, f"Q{i}", position=i) for i in range(50)]

        await store.change_questions(event.id, fill)
        with pytest.raises(TooManyQuestions):
            await store.change_questions(event.id, adding(make_question(event.id, "One more")))

    async def test_answers_are_stored_with_the_registration(self, store: Store) -> None:
        event = make_event()
        await store.create_event(event)
        registration = make_registration(
            event,
            2,
            held_for=None,
            answers={"q1": "Vegan", "q2": True},
            seat_answers=({"size": "M", "ok": False}, {"size": "L"}),
        )
        await store.hold_seats(registration, utcnow())
        stored = await store.get_registration(registration.id)
        assert stored is not None
        assert stored.answers == {"q1": "Vegan", "q2": True}
        assert stored.seat_answers == ({"size": "M", "ok": False}, {"size": "L"})
        (listed,) = (await store.list_event_registrations(event.id, 10)).items
        assert listed.answers == stored.answers
        assert listed.seat_answers == stored.seat_answers
        plain = make_registration(event, 1)
        await store.hold_seats(plain, utcnow())
        fetched = await store.get_registration(plain.id)
        assert fetched is not None
        assert (fetched.answers, fetched.seat_answers) == ({}, ())

    async def test_a_refused_hold_stores_no_answers(self, store: Store) -> None:
        """Nothing half-written: a hold refused for seats leaves no registration (and so
        no answers) behind."""
        event = make_event(capacity=1)
        await store.create_event(event)
        registration = make_registration(event, 2, answers={"q": "x"})
        with pytest.raises(NotEnoughSeats):
            await store.hold_seats(registration, utcnow())
        assert await store.get_registration(registration.id) is None
