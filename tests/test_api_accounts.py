"""The JSON API for accounts, exactly as ../shared/API.md words it."""

from __future__ import annotations

import httpx
import pytest

from models.domain import User
from tests.helpers import GOOD_PASSWORD, latest_code, post_form
from web.services.container import Services
from web.settings import Settings

SIGNUP = {"email": "api@example.com", "password": GOOD_PASSWORD, "name": "Api", "role": "attendee"}


async def _signup(client: httpx.AsyncClient, **changes: str) -> httpx.Response:
    return await client.post("/api/v1/auth/signup", json={**SIGNUP, **changes})


async def _token(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/token", json={"email": email, "password": password})


async def test_signup_verify_token_me(client: httpx.AsyncClient, settings: Settings) -> None:
    response = await _signup(client, email="API@Example.com")
    assert response.status_code == 201
    body = response.json()
    assert body["verification_required"] is True
    assert body["user"]["email"] == "api@example.com"
    assert body["user"]["roles"] == ["attendee"]
    assert set(body["user"]) == {"id", "email", "name", "roles"}

    response = await _token(client, "api@example.com", GOOD_PASSWORD)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "email_not_verified"

    response = await client.post(
        "/api/v1/auth/verify", json={"email": "api@example.com", "code": "999999x"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_code"

    code = latest_code(settings, "api@example.com")
    response = await client.post(
        "/api/v1/auth/verify", json={"email": "api@example.com", "code": code}
    )
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "api@example.com"

    response = await _token(client, "api@example.com", GOOD_PASSWORD)
    assert response.status_code == 200
    token = response.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == settings.access_token_ttl
    assert response.headers["cache-control"] == "no-store"

    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json() == body["user"]


@pytest.mark.settings(require_email_verification=False)
async def test_signup_without_verification_is_active(client: httpx.AsyncClient) -> None:
    response = await _signup(client, role="organizer")
    assert response.status_code == 201
    assert response.json()["verification_required"] is False
    assert (await _token(client, SIGNUP["email"], GOOD_PASSWORD)).status_code == 200


async def test_signup_field_errors(client: httpx.AsyncClient) -> None:
    response = await _signup(client, email="nope", password="short", name=" ", role="admin")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) == {"email", "password", "name", "role"}
    assert error["message"]


async def test_signup_refuses_an_address_our_mail_cannot_reach(client: httpx.AsyncClient) -> None:
    """Before, the account was made and the verification mail then failed to build (500)."""
    response = await _signup(client, email="zoë@example.com")
    assert response.status_code == 422
    assert "accents" in response.json()["error"]["fields"]["email"]


async def test_signup_missing_and_mistyped_fields(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/signup", json={"email": 5, "name": "X"})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert fields["email"] == "Must be a string."
    assert fields["password"] == "This field is required."
    assert fields["role"] == "This field is required."


async def test_email_taken(client: httpx.AsyncClient) -> None:
    assert (await _signup(client)).status_code == 201
    response = await _signup(client, email=" Api@example.COM")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"", "\xff".encode("latin-1")])
async def test_non_json_body_is_400(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post(
        "/api/v1/auth/signup", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


async def test_body_over_one_megabyte_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/signup",
        content=b'{"name": "' + b"x" * 1_000_001 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


@pytest.mark.settings(require_email_verification=False)
async def test_token_errors_are_generic_and_limited(client: httpx.AsyncClient) -> None:
    await _signup(client)
    unknown = await _token(client, "nobody@example.com", GOOD_PASSWORD)
    wrong = await _token(client, SIGNUP["email"], "Wrong1234")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert wrong.json()["error"]["code"] == "invalid_credentials"
    malformed = await client.post("/api/v1/auth/token", json={"email": 1})
    assert malformed.status_code == 401
    for _ in range(4):
        await _token(client, SIGNUP["email"], "Wrong1234")
    limited = await _token(client, SIGNUP["email"], GOOD_PASSWORD)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "too_many_attempts"
    assert int(limited.headers["retry-after"]) > 0


async def test_me_needs_a_valid_token(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer forged"}, {"Authorization": "Basic abc"}):
        response = await client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.local_adapters  # the token lifetime is Cognito's
@pytest.mark.settings(require_email_verification=False, access_token_ttl=-1)
async def test_expired_token_is_refused(client: httpx.AsyncClient) -> None:
    await _signup(client)
    token = (await _token(client, SIGNUP["email"], GOOD_PASSWORD)).json()["access_token"]
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_password_reset_over_the_api(client: httpx.AsyncClient, settings: Settings) -> None:
    await _signup(client)
    code = latest_code(settings, SIGNUP["email"])
    await client.post("/api/v1/auth/verify", json={"email": SIGNUP["email"], "code": code})
    response = await client.post("/api/v1/auth/password-reset", json={"email": SIGNUP["email"]})
    assert response.status_code == 202
    ghost = await client.post("/api/v1/auth/password-reset", json={"email": "g@example.com"})
    assert ghost.status_code == 202
    assert ghost.json() == response.json()
    code = latest_code(settings, SIGNUP["email"])
    response = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"email": SIGNUP["email"], "code": code, "password": "An0therOne"},
    )
    assert response.status_code == 200
    assert (await _token(client, SIGNUP["email"], "An0therOne")).status_code == 200


async def test_unknown_api_path_is_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_wrong_method_is_json_405(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/auth/signup")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.settings(require_email_verification=False)
async def test_a_session_reads_its_account_once_for_api_calls_but_every_page(
    client: httpx.AsyncClient, services: Services
) -> None:
    """The door scanner calls the API with its page's session many times a minute."""
    form = {"email": "door@example.com", "password": GOOD_PASSWORD, "name": "D", "role": "attendee"}
    assert (await post_form(client, "/signup", form)).status_code == 303  # logged in
    reads: list[str] = []
    original = services.store.get_user

    async def counted(user_id: str) -> User | None:
        reads.append(user_id)
        return await original(user_id)

    services.store.get_user = counted  # type: ignore[method-assign]
    for _ in range(5):
        assert (await client.get("/api/v1/me")).status_code == 200
    assert len(reads) <= 1
    reads.clear()
    for _ in range(3):
        assert (await client.get("/my/registrations")).status_code == 200
    assert len(reads) >= 3  # pages see a new role at once
