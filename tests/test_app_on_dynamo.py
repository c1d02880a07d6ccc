"""The whole app on the DynamoDB store (moto in server mode): the same HTTP flows as on
SQLite, from sign-up to a ticket admitted at the door."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiobotocore.session import AioSession

from models.dynamo.tables import LAYOUT, create_tables
from tests.api_helpers import API, create_event, registered, sign_up
from tests.moto_server import moto, moto_server  # noqa: F401 (fixtures)
from web.settings import Settings

NAMES = {kind: f"admit-app-{kind.replace('_', '-')}" for kind in LAYOUT}


@pytest.fixture
async def settings(  # replaces the SQLite settings of tests/conftest.py
    tmp_path: Path,
    moto: str,  # noqa: F811 (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    # botocore's own credential chain, as on Lambda (there: the function's role).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    session = AioSession()
    async with session.create_client("dynamodb", endpoint_url=moto, region_name="eu-west-1") as db:
        await create_tables(db, NAMES)
    return Settings(
        data_dir=tmp_path / "data",
        base_url="http://testserver",
        store="dynamodb",
        dynamodb_tables=tuple(NAMES.items()),
        aws_endpoint_url=moto,
        require_email_verification=False,
        sweep_interval=0,
    )


async def test_sign_up_sell_and_admit_on_dynamodb(client, settings: Settings) -> None:
    organizer = await sign_up(client, "org@example.com", role="organizer")
    buyer = await sign_up(client, "buyer@example.com")
    event = await create_event(client, organizer, days=0.02, capacity=3, cancellation_hours=0)
    registration = await registered(client, buyer, event["id"], 2, attendee_names=["Ana"])
    assert registration["status"] == "confirmed"
    assert len(registration["tickets"]) == 2
    sold_out = await client.post(
        f"{API}/registrations",
        json={"event_id": event["id"], "quantity": 2},
        headers=buyer.headers,
    )
    assert sold_out.status_code == 409
    assert sold_out.json()["error"]["seats_left"] == 1
    ticket = await client.get(f"{API}/tickets/{registration['tickets'][0]}", headers=buyer.headers)
    code = ticket.json()["code"]
    results = []
    for _ in range(2):
        answer = await client.post(
            f"{API}/tickets/validate",
            json={"code": code, "event_id": event["id"]},
            headers=organizer.headers,
        )
        results.append(answer.json()["result"])
    assert results == ["admitted", "already_used"]
    stats = await client.get(f"{API}/events/{event['id']}/stats", headers=organizer.headers)
    assert stats.json()["checked_in"] == 1
    page = await client.get("/")
    assert event["title"] in page.text


def test_missing_tables_are_named(tmp_path: Path) -> None:
    from web.settings import SettingsError
    from web.wiring import build_store

    with pytest.raises(SettingsError, match="ADMIT_DYNAMODB_TABLES lacks a table for"):
        build_store(
            Settings(data_dir=tmp_path, store="dynamodb", dynamodb_tables=(("users", "u"),))
        )
