"""The organizer's XLSX export and printable attendee list (issue 15), read back with
openpyxl and poppler's `pdftotext`, by bearer token and by session, on either store
(`--adapters=aws`). Each would fail before issue 15: neither download existed."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from tests.api_helpers import API, Person, create_event, registered, sign_up
from tests.test_api_questions import asking_event, csv_rows

pytestmark = pytest.mark.settings(require_email_verification=False)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def test_the_xlsx_has_the_csvs_rows_with_answers_and_no_formulas(
    client: httpx.AsyncClient, organizer: Person, attendee: Person
) -> None:
    event, size, diet, conduct = await asking_event(client, organizer)
    items = [{"ticket_type_id": event["ticket_types"][0]["id"], "quantity": 2}]
    await registered(
        client,
        attendee,
        event["id"],
        None,
        items=items,
        answers={conduct["id"]: True, diet["id"]: "=SUM(A1:A9)"},
        attendees=[
            {"name": "Zoë", "answers": {size["id"]: "M"}},
            {"name": "Bo", "answers": {size["id"]: "L"}},
        ],
    )
    response = await client.get(
        f"/organizer/events/{event['id']}/registrations.xlsx", headers=organizer.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    csv_lines = await csv_rows(client, organizer, event["id"])
    assert header == list(csv_lines[0])
    by_name = [dict(zip(header, row, strict=True)) for row in rows]
    assert [
        (r["Attendee name"], r["T-shirt size"], r["Diet"], r["I follow the code of conduct"])
        for r in by_name
    ] == [("Zoë", "M", "=SUM(A1:A9)", "yes"), ("Bo", "L", "=SUM(A1:A9)", "yes")]
    # Read as data, the text is text: no cell of the file is a formula.
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row if cell.value)
    # The CSV carries the same rows (neutralised for spreadsheets).
    assert [r["Ticket id"] for r in csv_lines] == [r["Ticket id"] for r in by_name]


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "attendees.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


async def test_the_attendee_list_is_sorted_by_name_across_pages(
    client: httpx.AsyncClient, organizer: Person, attendee: Person, tmp_path: Path
) -> None:
    event = await create_event(client, organizer, capacity=200, max_per_account=200)
    names = [f"Person {n:03d}" for n in range(80)] + ["Émile Zola", "emma Stone", "Ågot"]
    attendees = [{"name": name} for name in reversed(names)]
    for start in range(0, len(attendees), 10):
        batch = attendees[start : start + 10]
        await registered(client, attendee, event["id"], len(batch), attendees=batch)
    cancelled = await registered(
        client, attendee, event["id"], 1, attendees=[{"name": "Gone Away"}]
    )
    response = await client.post(
        f"{API}/registrations/{cancelled['id']}/cancel", headers=attendee.headers
    )
    assert response.status_code == 200, response.text
    response = await client.get(
        f"/organizer/events/{event['id']}/attendees.pdf", headers=organizer.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = _pdf_text(response.content, tmp_path)
    assert "\f" in text.rstrip("\f")  # more than one page
    assert "Gone Away" not in text  # a void ticket cannot enter
    found = [name for name in names if name in text]
    assert found == names
    order = sorted(names, key=text.index)
    assert order[:3] == ["Ågot", "Émile Zola", "emma Stone"]
    assert order[3:] == [f"Person {n:03d}" for n in range(80)]


async def test_a_bearer_token_downloads_and_strangers_get_404(
    client: httpx.AsyncClient, organizer: Person
) -> None:
    event = await create_event(client, organizer)
    rival = await sign_up(client, "rival@example.com", "organizer")
    for path in ("registrations.xlsx", "attendees.pdf"):
        url = f"/organizer/events/{event['id']}/{path}"
        assert (await client.get(url, headers=rival.headers)).status_code == 404
        assert (await client.get(url, headers=organizer.headers)).status_code == 200
