"""The Lambda entry points, invoked in-process the way AWS invokes them: API Gateway HTTP API
events (payload format 2.0) into `web.lambda.handler`, a scheduled event into `sweep`.

These tests are synchronous on purpose: the handler runs its own event loop, as it does
in a Lambda container.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from tests.api_helpers import event_body
from tests.helpers import CSRF_RE, GOOD_PASSWORD

HOST = "abc123.execute-api.eu-west-1.amazonaws.com"
CLIENT_IP = "203.0.113.7"


@pytest.fixture
def data_dir(tmp_path: Path, template_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A migrated data dir, and an environment holding no ADMIT_* but the test's own."""
    for name in list(os.environ):
        if name.startswith("ADMIT_"):
            monkeypatch.delenv(name)
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copyfile(template_db, folder / "admit.sqlite3")
    monkeypatch.setenv("ADMIT_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def aws(data_dir: Path) -> Iterator[ModuleType]:
    """`web.lambda` (a keyword: only importlib can name it), its cached app dropped after."""
    module = importlib.import_module("web.lambda")
    module.shutdown()
    yield module
    module.shutdown()


def http_event(
    method: str,
    path: str,
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
    cookies: list[str] | None = None,
    body: bytes | None = None,
    binary: bool = False,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, as the `$default` route delivers it."""
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "accept": "*/*",
            "content-length": str(len(body or b"")),
            "host": HOST,
            "user-agent": "pytest",
            "x-amzn-trace-id": "Root=1-00000000-000000000000000000000000",
            "x-forwarded-for": CLIENT_IP,
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            **{name.lower(): value for name, value in (headers or {}).items()},
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": HOST,
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": CLIENT_IP,
                "userAgent": "pytest",
            },
            "requestId": f"req-{now:.6f}",
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": binary,
    }
    if query:
        # API Gateway joins repeated parameters with commas here; rawQueryString is exact.
        params: dict[str, str] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            params[key] = f"{params[key]},{value}" if key in params else value
        event["queryStringParameters"] = params
    if cookies:
        event["cookies"] = cookies
    if body is not None:
        event["body"] = base64.b64encode(body).decode() if binary else body.decode()
    return event


def invoke(aws: ModuleType, event: dict[str, Any]) -> dict[str, Any]:
    response = aws.handler(event, None)
    assert isinstance(response["statusCode"], int)
    assert isinstance(response.get("body", ""), str)
    assert isinstance(response["isBase64Encoded"], bool)
    return response


def body_bytes(response: dict[str, Any]) -> bytes:
    body = response.get("body", "")
    return base64.b64decode(body) if response["isBase64Encoded"] else body.encode()


def api(
    aws: ModuleType, method: str, path: str, payload: Any = None, token: str | None = None
) -> tuple[int, Any]:
    headers = {"content-type": "application/json"} if payload is not None else {}
    if token:
        headers["authorization"] = f"Bearer {token}"
    body = json.dumps(payload).encode() if payload is not None else None
    response = invoke(aws, http_event(method, f"/api/v1{path}", headers=headers, body=body))
    return response["statusCode"], json.loads(body_bytes(response) or b"null")


def account(aws: ModuleType, email: str, role: str) -> str:
    """An active account (verification off) and its bearer token."""
    person = {"email": email, "password": GOOD_PASSWORD, "name": email.split("@")[0], "role": role}
    status, answer = api(aws, "POST", "/auth/signup", person)
    assert status == 201, answer
    status, answer = api(aws, "POST", "/auth/token", {"email": email, "password": GOOD_PASSWORD})
    assert status == 200, answer
    return answer["access_token"]


def published_event(aws: ModuleType, token: str, **changes: Any) -> dict[str, Any]:
    status, event = api(aws, "POST", "/events", event_body(**changes), token)
    assert status == 201, event
    status, event = api(aws, "POST", f"/events/{event['id']}/publish", None, token)
    assert status == 200, event
    return event


def cookie_pairs(response: dict[str, Any]) -> list[str]:
    """The `name=value` of each cookie set (payload 2.0 answers them in `cookies`)."""
    assert "set-cookie" not in response.get("headers", {})
    return [cookie.split(";", 1)[0] for cookie in response.get("cookies", [])]


def test_importing_the_handler_module_stays_light(aws: ModuleType) -> None:
    assert callable(aws.handler)
    assert callable(aws.sweep)
    assert callable(aws.deliver)
    assert aws._runtime is None  # nothing built before the first invocation


def test_page_get(aws: ModuleType) -> None:
    response = invoke(aws, http_event("GET", "/", headers={"accept": "text/html"}))
    assert response["statusCode"] == 200, response
    assert response["headers"]["content-type"].startswith("text/html")
    assert response["isBase64Encoded"] is False
    assert "<html" in response["body"]


def test_gzipped_page_comes_back_base64(aws: ModuleType) -> None:
    response = invoke(aws, http_event("GET", "/", headers={"accept-encoding": "gzip"}))
    assert response["statusCode"] == 200
    assert response["headers"]["content-encoding"] == "gzip"
    assert response["isBase64Encoded"] is True
    assert body_bytes(response)[:2] == b"\x1f\x8b"


def test_the_store_opens_once_per_container(
    aws: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.sqlite.store import SqliteStore

    calls: list[str] = []
    for name in ("open", "close"):
        original = getattr(SqliteStore, name)

        def counted(self: SqliteStore, _original: Any = original, _name: str = name) -> Any:
            calls.append(_name)
            return _original(self)

        monkeypatch.setattr(SqliteStore, name, counted)
    for path in ("/healthz", "/", "/healthz", "/"):
        assert invoke(aws, http_event("GET", path))["statusCode"] == 200
    assert calls == ["open"]
    aws.shutdown()
    assert calls == ["open", "close"]


def test_form_post_with_cookie_and_csrf(aws: ModuleType) -> None:
    page = invoke(aws, http_event("GET", "/signup"))
    assert page["statusCode"] == 200
    cookies = cookie_pairs(page)
    assert "admit_session" in [c.split("=", 1)[0] for c in cookies]
    match = CSRF_RE.search(page["body"])
    assert match, page["body"]
    form = {
        "name": "Ana Lambda",
        "email": "ana@example.com",
        "password": GOOD_PASSWORD,
        "role": "attendee",
        "csrf_token": match.group(1),
    }
    headers = {"content-type": "application/x-www-form-urlencoded", "origin": f"https://{HOST}"}
    # HTTP APIs hand form bodies to Lambda base64-encoded.
    body = urlencode(form).encode()
    response = invoke(
        aws, http_event("POST", "/signup", headers=headers, cookies=cookies, body=body, binary=True)
    )
    assert response["statusCode"] == 303, response
    assert urlsplit(response["headers"]["location"]).path == "/verify"

    # The same form without the session cookie is refused: the token is bound to it.
    refused = invoke(aws, http_event("POST", "/signup", headers=headers, body=body, binary=True))
    assert refused["statusCode"] == 403


def test_pdf_download_is_base64(aws: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIT_REQUIRE_EMAIL_VERIFICATION", "false")
    organizer = account(aws, "org@example.com", "organizer")
    attendee = account(aws, "att@example.com", "attendee")
    event = published_event(aws, organizer, price=0, capacity=10)
    status, registration = api(
        aws, "POST", "/registrations", {"event_id": event["id"], "quantity": 1}, attendee
    )
    assert status == 201, registration
    assert registration["status"] == "confirmed"
    (ticket_id,) = registration["tickets"]
    status, ticket = api(aws, "GET", f"/tickets/{ticket_id}", None, attendee)
    assert status == 200, ticket
    link = urlsplit(ticket["download_url"])

    response = invoke(aws, http_event("GET", link.path, query=link.query))
    assert response["statusCode"] == 200, response
    assert response["headers"]["content-type"] == "application/pdf"
    assert response["isBase64Encoded"] is True
    assert body_bytes(response).startswith(b"%PDF")


def test_webhook_post_without_a_provider_webhook_is_refused(aws: ModuleType) -> None:
    payload = json.dumps({"id": "evt_1", "type": "payment_intent.succeeded"}).encode()
    headers = {"content-type": "application/json", "stripe-signature": "t=1,v1=00"}
    response = invoke(aws, http_event("POST", "/webhooks/stripe", headers=headers, body=payload))
    assert response["statusCode"] == 400, response
    assert json.loads(response["body"])["error"]["code"] == "bad_signature"


def test_the_in_app_clock_is_off_unless_asked_for(
    aws: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert aws.settings_from_env().sweep_interval == 0
    monkeypatch.setenv("ADMIT_SWEEP_INTERVAL", "15")
    assert aws.settings_from_env().sweep_interval == 15


def test_sweep_releases_run_out_holds(
    aws: ModuleType, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMIT_REQUIRE_EMAIL_VERIFICATION", "false")
    monkeypatch.setenv("ADMIT_HOLD_MINUTES", "0.002")  # 0.12 s
    organizer = account(aws, "org@example.com", "organizer")
    attendee = account(aws, "att@example.com", "attendee")
    event = published_event(aws, organizer, price=2500, capacity=10)
    status, registration = api(
        aws, "POST", "/registrations", {"event_id": event["id"], "quantity": 2}, attendee
    )
    assert status == 201, registration
    assert registration["status"] == "held"
    aws.shutdown()  # the web function's container is another process on AWS
    time.sleep(0.3)

    result = aws.sweep({"source": "aws.events", "detail-type": "Scheduled Event"}, None)

    assert result["ok"] is True
    with sqlite3.connect(data_dir / "admit.sqlite3") as db:
        (status_now,) = db.execute(
            "SELECT status FROM registrations WHERE id = ?", (registration["id"],)
        ).fetchone()
        (held,) = db.execute(
            "SELECT seats_held FROM events WHERE id = ?", (event["id"],)
        ).fetchone()
    assert status_now == "expired"
    assert held == 0


def test_a_failed_start_is_retried_on_the_next_invocation(aws: ModuleType, data_dir: Path) -> None:
    moved = data_dir / "elsewhere.sqlite3"
    (data_dir / "admit.sqlite3").rename(moved)
    with pytest.raises(Exception, match="admit migrate"):
        aws.handler(http_event("GET", "/healthz"), None)
    assert aws._runtime is None
    moved.rename(data_dir / "admit.sqlite3")
    assert invoke(aws, http_event("GET", "/healthz"))["statusCode"] == 200


def test_import_pulls_in_nothing_heavy() -> None:
    """A fresh interpreter: importing the module loads none of the app's libraries."""
    import subprocess
    import sys

    code = (
        "import importlib, sys; importlib.import_module('web.lambda'); "
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'mangum','starlette','stripe','reportlab','aiobotocore','botocore','piccolo',"
        "'jinja2','qrcode','PIL'})))"
    )
    root = Path(__file__).resolve().parent.parent
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
