"""Every case of the shared check-in table through the server's decision (the same
table runs through the door phone's JavaScript in tests/browser/test_checkin_cases.py)."""

from __future__ import annotations

import pytest

from models.errors import Forbidden
from models.tickets import decide_check_in
from tests.checkin_cases import CheckinCase, load_cases

CASES = load_cases()


def test_the_table_covers_every_answer() -> None:
    answers = {case.expected for case in CASES} | {case.offline for case in CASES}
    assert answers == {
        "admitted", "already_used", "wrong_event", "void", "invalid", "not_yet_open",
        "event_over", "forbidden",
    }  # fmt: skip
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_server_decides_each_case(case: CheckinCase) -> None:
    def decide() -> str:
        return decide_check_in(
            case.event,
            case.scanner,
            case.code_ticket_id,
            case.code_event_id,
            case.ticket,
            case.now,
            case.grace,
            case.code_generation,
        ).result.value

    if case.expected == "forbidden":
        with pytest.raises(Forbidden):
            decide()
    else:
        assert decide() == case.expected
