"""Schemathesis over /api/v1/openapi.json, in-process, as every kind of caller.

For each operation of the document and each role (anonymous, attendee, organizer, door
staff), Hypothesis makes a bounded number of requests (valid and invalid ones, derandomized
so every run sends the same) and each answer must be no 5xx, a status the document lists,
the content type it names, and a body that matches its schema.

Path parameters are either generated or the ids of real objects (an event, a draft, a
registration, a ticket), so the checks reach past the 404 for an unknown id.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_helpers import API, event_body
from tests.conftest import fresh_settings
from tests.helpers import GOOD_PASSWORD
from web.app import create_app
from web.openapi import PATHS

EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def _arrange(client: asgi.ASGIClient) -> tuple[dict[str, dict[str, str]], dict[str, list[str]]]:
    """Accounts of every role with their bearer headers, and ids of real objects."""
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for role in ("attendee", "organizer", "door_staff"):
        email = f"{role.replace('_', '-')}@example.com"
        kind = "organizer" if role == "organizer" else "attendee"
        body = {"email": email, "password": GOOD_PASSWORD, "name": role.title(), "role": kind}
        _ok(client.post(f"{API}/auth/signup", json=body), 201)
        headers[role] = {}  # the token comes once the roles are final
    organizer = _token(client, "organizer@example.com")
    event = _ok(client.post(f"{API}/events", json=event_body(price=1500), headers=organizer), 201)
    _ok(client.post(f"{API}/events/{event['id']}/publish", headers=organizer))
    draft = _ok(client.post(f"{API}/events", json=event_body(), headers=organizer), 201)
    staff = {"email": "door-staff@example.com"}
    _ok(client.post(f"{API}/events/{event['id']}/door-staff", json=staff, headers=organizer), 201)
    for role in headers:
        if role != "anonymous":
            headers[role] = _token(client, f"{role.replace('_', '-')}@example.com")
    attendee = headers["attendee"]
    wanted = {"event_id": event["id"], "quantity": 2}
    held = _ok(client.post(f"{API}/registrations", json=wanted, headers=attendee), 201)
    paid = _ok(
        client.post(f"{API}/registrations", json={**wanted, "quantity": 1}, headers=attendee), 201
    )
    card = {"card_number": "4242424242424242"}
    url = f"{API}/registrations/{paid['id']}/simulated-payment"
    confirmed = _ok(client.post(url, json=card, headers=attendee))
    ids = {
        "event_id": [event["id"], draft["id"]],
        "registration_id": [held["id"], confirmed["id"]],
        "ticket_id": confirmed["tickets"],
    }
    return headers, ids


def _token(client: asgi.ASGIClient, email: str) -> dict[str, str]:
    answer = _ok(client.post(f"{API}/auth/token", json={"email": email, "password": GOOD_PASSWORD}))
    return {"Authorization": f"Bearer {answer['access_token']}"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> Iterator[dict[str, Any]]:
    settings = fresh_settings(
        tmp_path_factory.mktemp("schemathesis") / "data",
        template_db,
        require_email_verification=False,
    )
    app = create_app(settings)
    schema = schemathesis.openapi.from_asgi(f"{API}/openapi.json", app)
    with asgi.get_client(app) as client:
        headers, ids = _arrange(client)

    try:
        yield {"schema": schema, "headers": headers, "ids": ids}
    finally:
        asgi.shutdown_lifespans()  # closes the store the app opened


OPERATIONS = [(method.upper(), path) for path, item in PATHS.items() for method in item]


def _fixed_parameters(path: str, ids: dict[str, list[str]]) -> list[dict[str, str]]:
    """Every combination of real ids for the path's parameters (empty when it has none)."""
    names = [name for name in ids if f"{{{name}}}" in path]
    return [dict(zip(names, values, strict=True)) for values in product(*(ids[n] for n in names))]


@pytest.mark.parametrize("role", ["anonymous", "attendee", "organizer", "door_staff"])
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_answers_as_documented(api: dict[str, Any], method: str, path: str, role: str) -> None:
    operation = api["schema"][path][method]
    fixed = [p for p in _fixed_parameters(path, api["ids"]) if p]
    strategies = [
        operation.as_strategy(mode, path_parameters=parameters)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        for parameters in [None, *fixed]
    ]
    headers = api["headers"][role]

    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=st.one_of(strategies))
    def answers_as_documented(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    answers_as_documented()
