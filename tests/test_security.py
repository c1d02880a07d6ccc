"""CSRF, cookies, headers, and error pages that never leak a traceback."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import BASE_URL
from tests.helpers import GOOD_PASSWORD, csrf_token, post_form, sign_up_verified
from web.services.container import Services
from web.settings import Settings


async def test_form_post_without_token_is_refused(client: httpx.AsyncClient) -> None:
    await client.get("/signup")  # a session exists, but the token is missing
    response = await client.post(
        "/signup",
        data={"email": "c@example.com", "password": GOOD_PASSWORD, "name": "C", "role": "attendee"},
    )
    assert response.status_code == 403
    assert "Reload the page and try again." in response.text


async def test_form_post_with_another_sessions_token_is_refused(
    client: httpx.AsyncClient, app: object
) -> None:
    stolen = await csrf_token(client, "/login")
    client.cookies.clear()
    await client.get("/login")
    response = await client.post(
        "/login", data={"email": "a@example.com", "password": "x", "csrf_token": stolen}
    )
    assert response.status_code == 403


async def test_first_post_without_any_session_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/login", data={"email": "a@example.com", "password": "x"})
    assert response.status_code == 403


async def test_logout_needs_the_token(client: httpx.AsyncClient, settings: Settings) -> None:
    await sign_up_verified(client, settings, "s@example.com")
    response = await client.post("/logout")
    assert response.status_code == 403
    assert "Log out" in (await client.get("/")).text


async def test_token_in_header_works_for_htmx(client: httpx.AsyncClient) -> None:
    token = await csrf_token(client, "/login")
    response = await client.post(
        "/login",
        data={"email": "a@example.com", "password": "Wrong1234"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert response.status_code == 401


async def test_api_with_a_logged_in_cookie_needs_the_token(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_up_verified(client, settings, "cookie@example.com")
    response = await client.post("/api/v1/auth/password-reset", json={"email": "x@example.com"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    token = await csrf_token(client, "/")
    response = await client.post(
        "/api/v1/auth/password-reset",
        json={"email": "x@example.com"},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 202


async def test_api_cookie_reads_work_without_token(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_up_verified(client, settings, "reader@example.com")
    response = await client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["email"] == "reader@example.com"


async def test_session_cookie_flags(client: httpx.AsyncClient) -> None:
    response = await client.get("/signup")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("admit_session=")
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # local http


@pytest.mark.settings(
    env="production",
    payments="stripe",
    stripe_secret_key="sk_test_x",
    stripe_publishable_key="pk_test_x",
    stripe_webhook_secret="whsec_x",
)
async def test_production_cookies_are_secure_and_hsts_is_sent(client: httpx.AsyncClient) -> None:
    response = await client.get("/signup")
    assert "secure" in response.headers["set-cookie"].lower()
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_anonymous_pages_set_no_cookie(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert "set-cookie" not in response.headers


async def test_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "<script>" not in response.text  # no inline script for the CSP to block


async def test_pages_are_gzipped(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"


async def test_404_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert 'href="/"' in response.text


async def test_unexpected_error_gives_the_500_page(
    settings: Settings, services: Services, app: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    # A double only to force a fault (the real listing works elsewhere).
    monkeypatch.setattr(services.events, "upcoming", broken)
    transport = httpx.ASGITransport(app=app.state.asgi, raise_app_exceptions=False)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        response = await client.get("/")
        assert response.status_code == 500
        assert "Something went wrong on our side" in response.text
        assert "database on fire" not in response.text
        assert "Traceback" not in response.text


async def test_bad_login_never_creates_session_for_attacker(client: httpx.AsyncClient) -> None:
    response = await post_form(client, "/login", {"email": "x@example.com", "password": "Bad1234x"})
    assert response.status_code == 401
    assert "Log out" not in (await client.get("/")).text
