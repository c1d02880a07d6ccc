"""Registration questions on DynamoDB: all the questions of an event (deleted ones too)
are one item of the events table, `id = "questions#<event id>"`, holding the list
`questions` and a `version`. It has no `organizer_id` or `status`, so it stays out of
that table's indexes, and it is not the event's item, so editing questions never
contends with the seat counters. Reading them is one GetItem (made beside the event's on
the buying path); a change is one PutItem conditioned on the version read, retried with
a fresh read when another change landed first. An event keeps at most
`models.questions.STORED_MAX` questions, which keeps the item far below 400 KB.

Answers are attributes of the registration's own item (`answers`, `seat_answers`),
written by the hold's transaction with it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from models.dynamo.base import RETRIES, DynamoBase, Refused
from models.dynamo.codec import Item, _time, from_item, to_item
from models.errors import Conflict
from models.questions import AskedPer, Question, QuestionKind


def questions_key(event_id: str) -> str:
    return f"questions#{event_id}"


def question_map(question: Question) -> dict[str, Any]:
    return {
        "M": to_item(
            {
                "id": question.id,
                "label": question.label,
                "kind": question.kind.value,
                "options": list(question.options),
                "required": question.required,
                "per": question.per.value,
                "position": question.position,
                "deleted_at": question.deleted_at,
            }
        )
    }


def question_from_map(event_id: str, value: dict[str, Any]) -> Question:
    v = from_item(value["M"])
    return Question(
        id=v["id"],
        event_id=event_id,
        label=v["label"],
        kind=QuestionKind(v["kind"]),
        options=tuple(v.get("options", ())),
        required=bool(v.get("required", False)),
        per=AskedPer(v["per"]),
        position=v.get("position", 0),
        deleted_at=_time(v, "deleted_at"),
    )


class DynamoQuestions(DynamoBase):
    async def _questions_item(self, event_id: str) -> tuple[list[Question], int | None]:
        item: Item | None = await self.get("events", {"id": questions_key(event_id)})
        if item is None:
            return [], None
        questions = [question_from_map(event_id, v) for v in item["questions"]["L"]]
        return sorted(questions, key=lambda q: (q.position, q.id)), int(item["version"]["N"])

    async def list_questions(self, event_id: str) -> list[Question]:
        return (await self._questions_item(event_id))[0]

    async def change_questions(
        self, event_id: str, change: Callable[[list[Question]], list[Question]]
    ) -> list[Question]:
        for attempt in range(RETRIES):
            questions, version = await self._questions_item(event_id)
            changed = sorted(change(questions), key=lambda q: (q.position, q.id))
            if version is None:
                condition = "attribute_not_exists(id)"
                values: dict[str, Any] = {}
            else:
                condition = "version = :version"
                values = {":version": {"N": str(version)}}
            try:
                written = await self.conditional(
                    "put_item",
                    TableName=self.t("events"),
                    Item={
                        "id": {"S": questions_key(event_id)},
                        "event_id": {"S": event_id},
                        "questions": {"L": [question_map(q) for q in changed]},
                        "version": {"N": str((version or 0) + 1)},
                    },
                    ConditionExpression=condition,
                    **({"ExpressionAttributeValues": values} if values else {}),
                )
            except Refused:
                written = None
            if written is not None:
                return changed
            await self.backoff(attempt)
        raise Conflict("The questions are being changed by someone else; try again.")
