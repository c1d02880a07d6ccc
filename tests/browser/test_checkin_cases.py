"""Every case of the shared check-in table (models/checkin_cases.json) through the door
phone's own decision, `decideCheckIn` of static/js/door-offline.js, imported in a real
page of the live server: the answers must be the table's, as the server's decision's
are (tests/test_checkin_cases.py). A change to either decision that the other does not
make fails one of the two."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import BrowserProblems, LiveServer
from tests.checkin_cases import load_cases

DECIDE_ALL = """
async (cases) => {
  const { decideCheckIn } = await import("/static/js/door-offline.js");
  return cases.map((input) => decideCheckIn(input));
}
"""


def test_the_door_phone_decides_each_case_as_the_table_says(
    page: Page, live_server: LiveServer, problems: BrowserProblems
) -> None:
    cases = load_cases()
    page.goto(live_server.at("/"))
    answers = page.evaluate(DECIDE_ALL, [case.for_the_phone() for case in cases])
    wrong = [
        f"{case.name}: {answer} (the table says {case.offline})"
        for case, answer in zip(cases, answers, strict=True)
        if answer != case.offline
    ]
    assert wrong == []
    assert problems.unexpected() == []
