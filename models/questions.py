"""Registration questions, plain Python: what makes a question valid (the organizer's form
and the JSON API alike), how an event's list of questions changes (add, edit, move,
delete), and what makes a registration's answers valid.

Each change is a pure function of the list as read, so a store runs it inside its one
atomic step (`Store.change_questions`) and two organizers editing at once cannot lose a
change. Deleting a question archives it (`deleted_at`): answers already given keep their
meaning, and exports keep a column for it while any registration answered it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from models.domain import AnswerValue, one_line_problem
from models.errors import Conflict, NotFound, ValidationFailed
from models.event_rules import FieldChecker, Source

E = TypeVar("E", bound=StrEnum)

LABEL_MAX = 200
OPTION_MAX = 100
OPTIONS_MAX = 30
TEXT_ANSWER_MAX = 1_000
QUESTIONS_MAX = 50  # asked (not deleted) questions of an event
# With deleted ones: DynamoDB keeps an event's questions in one item (at most 400 KB).
STORED_MAX = 100
# Every answer of one registration together, in UTF-8: they are stored in the
# registration's own row or item (DynamoDB: 400 KB an item, with the rest of it).
ANSWERS_BYTES_MAX = 100_000

FIELDS = ("label", "kind", "options", "required", "per", "position")
UNKNOWN_FIELD = "Not a field of a question."
# A text answer may span lines; other control characters and bidi overrides are refused
# (they would disguise the answer in a list or a CSV cell), not silently cleaned.
_NOT_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


class QuestionKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    CHECKBOX = "checkbox"


class AskedPer(StrEnum):
    REGISTRATION = "registration"
    TICKET = "ticket"


@dataclass(frozen=True)
class Question:
    id: str
    event_id: str
    label: str
    kind: QuestionKind
    options: tuple[str, ...] = ()
    required: bool = False
    per: AskedPer = AskedPer.REGISTRATION
    position: int = 0
    deleted_at: datetime | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def per_ticket(self) -> bool:
        return self.per is AskedPer.TICKET


class TooManyQuestions(Conflict):
    code = "too_many_questions"
    message = f"An event asks at most {QUESTIONS_MAX} questions."


# -- a question's fields --------------------------------------------------------------


@dataclass(frozen=True)
class QuestionFields:
    label: str
    kind: QuestionKind
    options: tuple[str, ...]
    required: bool
    per: AskedPer


def fields_of(question: Question) -> dict[str, Any]:
    """A question's current values, as `parse_question_fields(source="json")` takes them."""
    return {
        "label": question.label,
        "kind": question.kind.value,
        "options": list(question.options),
        "required": question.required,
        "per": question.per.value,
    }


def form_values_of(question: Question) -> dict[str, str]:
    """A question's current values as the organizer's form shows them."""
    return {
        "label": question.label,
        "kind": question.kind.value,
        "options": "\n".join(question.options),
        "required": "on" if question.required else "",
        "per": question.per.value,
    }


def unknown_fields(raw: Mapping[str, Any]) -> dict[str, str]:
    return {name: UNKNOWN_FIELD for name in raw if name not in FIELDS}


def parse_question_fields(raw: Mapping[str, Any], source: Source) -> QuestionFields:
    """Every problem at once, keyed by field (`ValidationFailed`). A form sends the
    options one per line; JSON, a list of strings."""
    check = FieldChecker(raw, source)
    label = check.text("label", 1, LABEL_MAX, "the question")
    kind = _choice(check, raw.get("kind"), QuestionKind, "kind", "Choose text, choice or checkbox.")
    per = _choice(
        check,
        raw.get("per") or AskedPer.REGISTRATION.value,
        AskedPer,
        "per",
        "Choose registration (asked once) or ticket (asked for each ticket).",
    )
    options = _options(check, raw.get("options"), source)
    if kind is QuestionKind.CHOICE and "options" not in check.problems and len(options) < 2:
        check.fail("options", "Give at least two options to choose from.")
    elif kind not in (QuestionKind.CHOICE, None) and options:
        check.fail("options", "Only choice questions have options.")
    required = raw.get("required", False)
    if source == "form":
        required = required in ("on", "true", "1", True)
    elif required is None:
        required = False
    elif not isinstance(required, bool):
        check.fail("required", "Use true or false.")
    if check.problems:
        raise ValidationFailed(check.problems)
    assert kind is not None
    assert per is not None
    return QuestionFields(label, kind, options, bool(required), per)


def _choice(check: FieldChecker, value: Any, enum: type[E], name: str, message: str) -> E | None:
    if isinstance(value, str) and value.strip() in {member.value for member in enum}:
        return enum(value.strip())
    check.fail(name, message)
    return None


def _options(check: FieldChecker, raw: Any, source: Source) -> tuple[str, ...]:
    if raw is None:
        return ()
    if source == "form" and isinstance(raw, str):
        items: list[Any] = [line.strip() for line in raw.splitlines() if line.strip()]
    elif isinstance(raw, list):
        items = raw
    else:
        check.fail("options", "Give a list of options (text).")
        return ()
    options: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            check.fail("options", "Each option is text, not empty.")
            return ()
        if problem := one_line_problem(item):
            check.fail("options", problem)
            return ()
        if len(item.strip()) > OPTION_MAX:
            check.fail("options", f"An option has at most {OPTION_MAX} characters.")
            return ()
        options.append(item.strip())
    if len(options) > OPTIONS_MAX:
        check.fail("options", f"Give at most {OPTIONS_MAX} options.")
    elif len({option.casefold() for option in options}) < len(options):
        check.fail("options", "Give each option once.")
    return tuple(options)


def parse_position(raw: Any) -> int | None:
    """`position` of the JSON API: where the question goes among the asked ones, from 0
    (beyond the end: last)."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ValidationFailed({"position": "Give a whole number from 0 (first)."})
    return raw


# -- an event's list of questions -----------------------------------------------------

LABEL_TAKEN = {"label": "Another question of this event asks this."}
Change = Callable[[list[Question]], list[Question]]


def asked(questions: Sequence[Question]) -> list[Question]:
    """The questions still asked, in their order."""
    return sorted((q for q in questions if not q.deleted), key=lambda q: (q.position, q.id))


def _renumbered(live: list[Question], rest: Sequence[Question]) -> list[Question]:
    """The asked questions numbered 0.. in this order, then the deleted ones after them."""
    numbered = [replace(q, position=i) for i, q in enumerate(live)]
    gone = sorted((q for q in rest if q.deleted), key=lambda q: (q.position, q.id))
    return numbered + [replace(q, position=len(live) + i) for i, q in enumerate(gone)]


def _label_taken(live: Sequence[Question], label: str, besides: str = "") -> bool:
    folded = label.casefold()
    return any(q.label.casefold() == folded and q.id != besides for q in live)


def _find(live: Sequence[Question], question_id: str) -> Question:
    for question in live:
        if question.id == question_id:
            return question
    raise NotFound("This question does not exist.")


def _placed(live: list[Question], question: Question, position: int | None) -> list[Question]:
    order = [q for q in live if q.id != question.id]
    at = len(order) if position is None else min(position, len(order))
    order.insert(at, question)
    return order


def adding(question: Question, position: int | None = None) -> Change:
    def change(questions: list[Question]) -> list[Question]:
        live = asked(questions)
        if len(live) >= QUESTIONS_MAX or len(questions) >= STORED_MAX:
            raise TooManyQuestions()
        if _label_taken(live, question.label):
            raise ValidationFailed(LABEL_TAKEN)
        return _renumbered(_placed(live, question, position), questions)

    return change


def editing(
    question_id: str,
    edit: Callable[[Question], Question],
    position: int | None = None,
) -> Change:
    def change(questions: list[Question]) -> list[Question]:
        live = asked(questions)
        changed = edit(_find(live, question_id))
        if _label_taken(live, changed.label, besides=question_id):
            raise ValidationFailed(LABEL_TAKEN)
        order = [changed if q.id == question_id else q for q in live]
        if position is not None:
            order = _placed(order, changed, position)
        return _renumbered(order, questions)

    return change


def moving(question_id: str, by: int) -> Change:
    """Up (`by` < 0) or down some places among the asked questions."""

    def change(questions: list[Question]) -> list[Question]:
        live = asked(questions)
        question = _find(live, question_id)
        return _renumbered(_placed(live, question, max(0, live.index(question) + by)), questions)

    return change


def deleting(question_id: str, now: datetime) -> Change:
    def change(questions: list[Question]) -> list[Question]:
        live = asked(questions)
        gone = replace(_find(live, question_id), deleted_at=now)
        rest = [q for q in questions if q.id != question_id]
        return _renumbered([q for q in live if q.id != question_id], [*rest, gone])

    return change


# -- answers --------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswersGiven:
    """Answers as a request sends them, not yet checked: `registration` for the questions
    asked once, `seats[i]` for seat i's (None where nothing was sent)."""

    registration: Mapping[str, Any] | None = None
    seats: tuple[Mapping[str, Any] | None, ...] = ()


@dataclass(frozen=True)
class CheckedAnswers:
    registration: dict[str, AnswerValue]
    seats: tuple[dict[str, AnswerValue], ...]  # one per seat when a question is per ticket


def answer_key(question_id: str, seat: int | None = None) -> str:
    """The field an answer is reported (and, on the page, typed) under."""
    if seat is None:
        return f"answers.{question_id}"
    return f"attendees.{seat}.answers.{question_id}"


def check_answers(
    questions: Sequence[Question], given: AnswersGiven, seats: int, source: Source
) -> CheckedAnswers:
    """The answers to the asked questions, or `ValidationFailed` with every problem at
    once, keyed `answers.<id>` / `attendees.<i>.answers.<id>`. A form sends every
    question it shows (an unticked box is no field at all: false); JSON only the answers
    given. An answer to a question not asked there (unknown, deleted, or asked per ticket
    rather than once) is refused, not dropped."""
    live = asked(questions)
    once = [q for q in live if not q.per_ticket]
    each = [q for q in live if q.per_ticket]
    problems: dict[str, str] = {}
    registration = _answer_set(once, given.registration or {}, None, source, problems)
    per_seat: list[dict[str, AnswerValue]] = []
    for seat in range(seats if each else 0):
        raw = given.seats[seat] if seat < len(given.seats) else None
        per_seat.append(_answer_set(each, raw or {}, seat, source, problems))
    # Answers for seats not taken, or per-ticket answers where no question is per ticket
    # (a form may still show seats of quantities changed without script: not asked).
    extra = range(seats if each else 0, len(given.seats) if source == "json" else 0)
    for seat in extra:
        for question_id in given.seats[seat] or {}:
            problems[answer_key(str(question_id), seat)] = "No question is asked for this ticket."
    if not problems:
        size = len(json.dumps([registration, per_seat], ensure_ascii=False).encode())
        if size > ANSWERS_BYTES_MAX:
            problems["answers"] = "Your answers are too long all together: shorten some."
    if problems:
        raise ValidationFailed(problems)
    return CheckedAnswers(registration, tuple(per_seat))


def _answer_set(
    questions: Sequence[Question],
    raw: Mapping[str, Any],
    seat: int | None,
    source: Source,
    problems: dict[str, str],
) -> dict[str, AnswerValue]:
    by_id = {q.id: q for q in questions}
    for question_id in raw:
        if question_id not in by_id:
            problems[answer_key(str(question_id), seat)] = (
                "Not a question of this event asked here."
            )
    answers: dict[str, AnswerValue] = {}
    for question in questions:
        value, problem = answer_problem(question, raw.get(question.id), source)
        if problem:
            problems[answer_key(question.id, seat)] = problem
        elif value is not None:
            answers[question.id] = value
    return answers


def answer_problem(
    question: Question, raw: Any, source: Source
) -> tuple[AnswerValue | None, str | None]:
    """(the answer, None), or (None, what is wrong); (None, None) for no answer."""
    if question.kind is QuestionKind.CHECKBOX:
        if source == "form":
            raw = raw in ("on", "true", "1")
        if raw is not None and not isinstance(raw, bool):
            return None, "Answer true or false."
        if question.required and raw is not True:
            return None, "Tick this box to go on."
        return raw, None
    if raw is not None and not isinstance(raw, str):
        return None, "Answer with text."
    value = (raw or "").strip().replace("\r\n", "\n")
    if not value:
        if question.required:
            missing = "Choose one of the options." if question.kind is QuestionKind.CHOICE else None
            return None, missing or "Answer this question."
        return None, None
    if question.kind is QuestionKind.CHOICE:
        if value not in question.options:
            return None, "Choose one of the options."
        return value, None
    if _NOT_TEXT.search(value):
        return None, "Use plain text: no control characters."
    if len(value) > TEXT_ANSWER_MAX:
        return None, f"Use at most {TEXT_ANSWER_MAX:,} characters (this has {len(value):,})."
    return value, None


def shown(question: Question, value: AnswerValue | None) -> str:
    """An answer as a page or a CSV cell shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value
