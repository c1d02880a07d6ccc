"""The Store's part for registration questions (models/questions.py).

An event's questions are a short list read whole and changed whole: each change is a pure
function of the list as read (`models.questions.adding`, `editing`, `moving`,
`deleting`), which the store runs inside one atomic step. Answers are no separate
records: they are part of the registration, written with it by `Store.hold_seats`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from models.questions import Question


class QuestionStore(ABC):
    @abstractmethod
    async def list_questions(self, event_id: str) -> list[Question]:
        """Every question of the event, deleted ones too (`models.questions.asked` picks
        the asked ones in order); strongly consistent; empty for an unknown event."""

    @abstractmethod
    async def change_questions(
        self, event_id: str, change: Callable[[list[Question]], list[Question]]
    ) -> list[Question]:
        """Replace the event's questions with `change(questions as they are)`, atomically:
        of two concurrent changes neither is lost (a store re-reads and runs `change`
        again when another change landed first). Whatever `change` raises propagates and
        nothing is written. Returns the list written."""
