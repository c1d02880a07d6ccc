"""Sessions that really end (API.md "Sessions"), over HTTP, on both adapter sets.

Log-out, a password change or reset, "log out everywhere" and the sessions page each end
sessions on the server: a copy of the cookie kept from before, or a bearer token issued
before, is refused afterwards (401 for JSON, a redirect to /login for pages).
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from starlette.applications import Starlette

from models.domain import utcnow
from tests.api_helpers import API, Person, error_of, field_errors, sign_up
from tests.conftest import BASE_URL
from tests.helpers import CSRF_RE, GOOD_PASSWORD, latest_code, post_form
from web.services.container import Services
from web.services.sessions import CACHE_SECONDS, RecentUsers
from web.settings import Settings

pytestmark = pytest.mark.settings(require_email_verification=False)

NEW_PASSWORD = "N3wPassword9"
PHONE = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/125.0 Mobile Safari/537.36"
LAPTOP = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Gecko/20100101 Firefox/126.0"


@pytest.fixture
def browser(app: Starlette) -> Callable[..., object]:
    """Another browser on the same app: its own cookie jar and User-Agent."""

    @asynccontextmanager
    async def make(
        user_agent: str = PHONE, cookies: dict[str, str] | None = None
    ) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app.state.asgi, client=("203.0.113.9", 50001))
        async with httpx.AsyncClient(
            transport=transport,
            base_url=BASE_URL,
            headers={"User-Agent": user_agent},
            cookies=cookies,
        ) as client:
            yield client

    return make


async def log_in(client: httpx.AsyncClient, email: str, password: str = GOOD_PASSWORD) -> None:
    page = await client.get("/login")
    if page.status_code == 303:  # signed in already: the log-in form is not shown
        page = await client.get("/")
    response = await client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_of(page)}
    )
    assert response.status_code == 303, response.text


async def signed_in_as(client: httpx.AsyncClient) -> str | None:
    """The email /api/v1/me answers for this browser's cookie, or None on 401."""
    response = await client.get(f"{API}/me")
    if response.status_code == 401:
        return None
    assert response.status_code == 200, response.text
    return response.json()["email"]


async def page_refused(client: httpx.AsyncClient, path: str = "/my/registrations") -> bool:
    response = await client.get(path)
    if response.status_code == 303:
        assert response.headers["location"].startswith("/login?next=")
        return True
    assert response.status_code == 200, response.text
    return False


async def token_works(client: httpx.AsyncClient, token: str) -> bool:
    response = await client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


async def new_token(client: httpx.AsyncClient, email: str, password: str = GOOD_PASSWORD) -> str:
    response = await client.post(f"{API}/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def csrf_of(page: httpx.Response) -> str:
    match = CSRF_RE.search(page.text)
    assert match, page.text
    return match.group(1)


def cookie_data(client: httpx.AsyncClient) -> dict[str, object]:
    """What the signed session cookie carries (itsdangerous: base64 JSON, then signature)."""
    value = client.cookies["admit_session"]
    payload = value.split(".", 1)[0]
    return json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))


# -- log-out ------------------------------------------------------------------------------


async def test_a_copied_cookie_stops_working_after_log_out(
    client: httpx.AsyncClient, browser
) -> None:
    """Fails on the old code: log-out only cleared the cookie, so a copy still worked."""
    await sign_up(client, "copy@example.com")
    await log_in(client, "copy@example.com")
    copied = client.cookies["admit_session"]
    assert await signed_in_as(client) == "copy@example.com"

    response = await post_form(client, "/logout", {}, token_page="/")
    assert response.status_code == 303

    async with browser(cookies={"admit_session": copied}) as thief:
        assert await signed_in_as(thief) is None
        assert await page_refused(thief)
        response = await thief.get("/my/tickets")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/my/tickets"


async def test_the_cookie_carries_a_random_session_id_not_the_account(
    client: httpx.AsyncClient,
) -> None:
    """Fails on the old code: the signed cookie held the user id itself."""
    person = await sign_up(client, "cookie@example.com")
    await log_in(client, "cookie@example.com")
    data = cookie_data(client)
    assert set(data) <= {"sid", "csrf", "flash"}, data
    assert isinstance(data["sid"], str)
    assert len(data["sid"]) >= 40
    assert person.id not in json.dumps(data)


async def test_anonymous_visitors_get_csrf_protection_without_a_session_record(
    client: httpx.AsyncClient, services: Services
) -> None:
    page = await client.get("/login")
    assert "sid" not in cookie_data(client)  # anonymous data stays in the signed cookie
    refused = await client.post("/login", data={"email": "a@example.com", "password": "x"})
    assert refused.status_code == 403  # no token, no form
    response = await client.post(
        "/login", data={"email": "a@example.com", "password": "x", "csrf_token": csrf_of(page)}
    )
    assert response.status_code == 401  # the token was accepted; the password was not


async def test_a_new_log_in_ends_the_session_the_browser_had(
    client: httpx.AsyncClient, services: Services
) -> None:
    first = await sign_up(client, "first@example.com")
    await sign_up(client, "second@example.com")
    await log_in(client, "first@example.com")
    await log_in(client, "second@example.com")
    assert await services.store.list_user_sessions(first.id, utcnow()) == []


# -- password change ----------------------------------------------------------------------


async def test_changing_the_password_over_the_api(client: httpx.AsyncClient) -> None:
    """Fails on the old code: there was no POST /auth/password."""
    person = await sign_up(client, "pw@example.com")
    path = f"{API}/auth/password"

    missing = await client.post(path, json={}, headers=person.headers)
    assert set(field_errors(missing)) == {"current_password", "new_password"}
    weak = await client.post(
        path,
        json={"current_password": GOOD_PASSWORD, "new_password": "weak"},
        headers=person.headers,
    )
    assert set(field_errors(weak)) == {"new_password"}
    wrong = await client.post(
        path, json={"current_password": "Wr0ngPassword", "new_password": NEW_PASSWORD},
        headers=person.headers,
    )  # fmt: skip
    error = error_of(wrong, 400, "wrong_password")
    assert set(error["fields"]) == {"current_password"}
    anonymous = await client.post(
        path, json={"current_password": GOOD_PASSWORD, "new_password": NEW_PASSWORD}
    )
    error_of(anonymous, 401, "not_authenticated")
    assert await token_works(client, person.token)  # nothing changed so far

    response = await client.post(
        path, json={"current_password": GOOD_PASSWORD, "new_password": NEW_PASSWORD},
        headers=person.headers,
    )  # fmt: skip
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert not await token_works(client, person.token)  # every token ends, this one too
    old = await client.post(
        f"{API}/auth/token", json={"email": person.email, "password": GOOD_PASSWORD}
    )
    error_of(old, 401, "invalid_credentials")
    assert await token_works(client, await new_token(client, person.email, NEW_PASSWORD))


async def test_a_password_change_ends_every_other_session_and_token(
    client: httpx.AsyncClient, browser
) -> None:
    """Fails on the old code: other browsers and tokens carried on after the change."""
    person = await sign_up(client, "change@example.com")
    async with browser(PHONE) as phone, browser(LAPTOP) as laptop:
        await log_in(phone, person.email)
        await log_in(laptop, person.email)
        page = await phone.get("/account/password")
        assert page.status_code == 200
        for label in ("Current password", "New password"):
            assert f">{label}</label>" in page.text
        response = await phone.post(
            "/account/password",
            data={
                "current_password": GOOD_PASSWORD,
                "new_password": NEW_PASSWORD,
                "csrf_token": csrf_of(page),
            },
        )
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/account/sessions"
        assert await signed_in_as(phone) == person.email  # this browser stays in
        assert await page_refused(laptop)
        assert await signed_in_as(laptop) is None
        assert not await token_works(client, person.token)


async def test_the_password_page_explains_errors_and_never_sends_passwords_back(
    client: httpx.AsyncClient,
) -> None:
    await sign_up(client, "form@example.com")
    await log_in(client, "form@example.com")
    wrong = await post_form(
        client,
        "/account/password",
        {"current_password": "Wr0ngGuess1", "new_password": "An0therSecret"},
    )
    assert wrong.status_code == 400
    assert "That is not your current password." in wrong.text
    assert 'aria-describedby="f-current_password-error"' in wrong.text
    assert "Wr0ngGuess1" not in wrong.text
    assert "An0therSecret" not in wrong.text
    weak = await post_form(
        client, "/account/password", {"current_password": GOOD_PASSWORD, "new_password": "short"}
    )
    assert weak.status_code == 422
    assert "Use at least 8 characters." in weak.text
    assert GOOD_PASSWORD not in weak.text
    assert await signed_in_as(client) == "form@example.com"  # nothing ended


async def test_the_password_page_needs_a_log_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/account/password")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account/password"


async def test_a_password_reset_ends_every_session_and_token(
    client: httpx.AsyncClient, browser, settings: Settings
) -> None:
    """Fails on the old code: a reset left the old sessions and tokens working."""
    person = await sign_up(client, "reset@example.com")
    async with browser(LAPTOP) as laptop, browser(PHONE) as phone:
        await log_in(laptop, person.email)
        response = await post_form(phone, "/password-reset", {"email": person.email})
        assert response.status_code == 303
        response = await post_form(
            phone,
            "/password-reset/confirm",
            {
                "email": person.email,
                "code": latest_code(settings, person.email),
                "password": NEW_PASSWORD,
            },
        )
        assert response.status_code == 303, response.text
        assert await signed_in_as(phone) == person.email  # the reset logs this one in
        assert await signed_in_as(laptop) is None
        assert not await token_works(client, person.token)


async def test_a_password_reset_over_the_api_ends_sessions_and_tokens(
    client: httpx.AsyncClient, browser, settings: Settings
) -> None:
    person = await sign_up(client, "apireset@example.com")
    async with browser(LAPTOP) as laptop:
        await log_in(laptop, person.email)
        response = await client.post(f"{API}/auth/password-reset", json={"email": person.email})
        assert response.status_code == 202
        response = await client.post(
            f"{API}/auth/password-reset/confirm",
            json={
                "email": person.email,
                "code": latest_code(settings, person.email),
                "password": NEW_PASSWORD,
            },
        )
        assert response.status_code == 200, response.text
        assert await signed_in_as(laptop) is None
        assert not await token_works(client, person.token)


# -- log out everywhere -------------------------------------------------------------------


async def test_logout_everywhere_over_the_api_ends_all_sessions_and_tokens(
    client: httpx.AsyncClient, browser
) -> None:
    """Fails on the old code: there was no POST /auth/logout-everywhere."""
    person = await sign_up(client, "everywhere@example.com")
    other = await sign_up(client, "bystander@example.com")
    second_token = await new_token(client, person.email)
    async with browser(PHONE) as phone, browser(LAPTOP) as laptop:
        await log_in(phone, person.email)
        await log_in(laptop, other.email)
        response = await client.post(f"{API}/auth/logout-everywhere", headers=person.headers)
        assert response.status_code == 204, response.text
        assert not await token_works(client, person.token)
        assert not await token_works(client, second_token)
        assert await signed_in_as(phone) is None
        assert await page_refused(phone)
        # Someone else's sessions and tokens are untouched.
        assert await signed_in_as(laptop) == other.email
        assert await token_works(client, other.token)
        # And a fresh log-in works at once.
        assert await token_works(client, await new_token(client, person.email))
        await log_in(phone, person.email)
        assert await signed_in_as(phone) == person.email


async def test_logout_everywhere_from_a_browser_script_needs_its_csrf_token(
    client: httpx.AsyncClient,
) -> None:
    await sign_up(client, "script@example.com")
    await log_in(client, "script@example.com")
    forged = await client.post(f"{API}/auth/logout-everywhere")
    error_of(forged, 403, "csrf_failed")
    page = await client.get("/account/sessions")
    response = await client.post(
        f"{API}/auth/logout-everywhere", headers={"X-CSRF-Token": csrf_of(page)}
    )
    assert response.status_code == 204
    assert await signed_in_as(client) is None


async def test_logout_everywhere_page_asks_first_then_ends_everything(
    client: httpx.AsyncClient, browser
) -> None:
    person = await sign_up(client, "confirm@example.com")
    async with browser(PHONE) as phone, browser(LAPTOP) as laptop:
        await log_in(phone, person.email)
        await log_in(laptop, person.email)
        page = await phone.get("/account/logout-everywhere")
        assert page.status_code == 200
        assert "Log out everywhere?" in page.text
        assert "Yes, log out everywhere" in page.text
        assert await signed_in_as(laptop) == person.email  # asking ends nothing
        response = await phone.post(
            "/account/logout-everywhere", data={"csrf_token": csrf_of(page)}
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/login"
        assert "You are logged out everywhere" in (await phone.get("/login")).text
        for device in (phone, laptop):
            assert await signed_in_as(device) is None
        assert not await token_works(client, person.token)


# -- the account cache --------------------------------------------------------------------


async def test_a_revoked_token_is_refused_within_the_cache_window(
    client: httpx.AsyncClient, browser
) -> None:
    """Fails on the old code: RecentUsers let a token through for 10 s whatever happened;
    here the very next request after revocation is refused."""
    person = await sign_up(client, "cached@example.com")
    async with browser(PHONE) as phone:
        await log_in(phone, person.email)
        for _ in range(3):  # both credentials are now in the cache
            assert await token_works(client, person.token)
            assert await signed_in_as(phone) == person.email
        response = await phone.post(
            f"{API}/auth/logout-everywhere",
            headers={"X-CSRF-Token": csrf_of(await phone.get("/account/sessions"))},
        )
        assert response.status_code == 204
        assert not await token_works(client, person.token)
        assert await signed_in_as(phone) is None


async def test_an_ended_session_is_refused_within_the_cache_window(
    client: httpx.AsyncClient, browser
) -> None:
    person = await sign_up(client, "cachedpage@example.com")
    async with browser(PHONE) as phone, browser(LAPTOP) as laptop:
        await log_in(phone, person.email)
        await log_in(laptop, person.email)
        assert await signed_in_as(laptop) == person.email  # cached for API calls
        page = await phone.get("/account/sessions")
        response = await phone.post(
            "/account/sessions/end-others", data={"csrf_token": csrf_of(page)}
        )
        assert response.status_code == 303
        assert await signed_in_as(laptop) is None


def test_the_account_cache_never_holds_longer_than_ten_seconds() -> None:
    assert CACHE_SECONDS <= 10
    assert RecentUsers().ttl <= 10
    with pytest.raises(ValueError, match="revoked"):
        RecentUsers(ttl=60)


# -- the sessions page --------------------------------------------------------------------


async def test_the_sessions_page_lists_devices_and_ends_one(
    client: httpx.AsyncClient, browser
) -> None:
    """Fails on the old code: there was no sessions page and nothing to end."""
    person = await sign_up(client, "devices@example.com")
    async with browser(PHONE) as phone, browser(LAPTOP) as laptop:
        await log_in(phone, person.email)
        await log_in(laptop, person.email)
        page = await phone.get("/account/sessions")
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        assert "Chrome on Android" in page.text
        assert "Firefox on Mac" in page.text
        assert page.text.count("This device") == 1
        assert "End all other sessions (1)" in page.text
        assert 'aria-label="End the session of Firefox on Mac' in page.text
        # The laptop's session, ended from the phone.
        (end_path,) = {
            part.split('"', 1)[0]
            for part in page.text.split('action="')[1:]
            if part.startswith("/account/sessions/") and "/end" in part.split('"', 1)[0]
            and "end-others" not in part.split('"', 1)[0]
        }  # fmt: skip
        response = await phone.post(end_path, data={"csrf_token": csrf_of(page)})
        assert response.status_code == 303
        assert await signed_in_as(laptop) is None
        assert await signed_in_as(phone) == person.email
        page = await phone.get("/account/sessions")
        assert "That session has ended" in page.text
        assert "No other browser is logged in to your account." in page.text
        assert "End all other sessions" not in page.text


async def test_no_one_can_end_another_persons_session(
    client: httpx.AsyncClient, browser, services: Services
) -> None:
    victim = await sign_up(client, "victim@example.com")
    await sign_up(client, "mallory@example.com")
    async with browser(PHONE) as phone, browser(LAPTOP) as mallory:
        await log_in(phone, victim.email)
        await log_in(mallory, "mallory@example.com")
        (session,) = await services.store.list_user_sessions(victim.id, utcnow())
        page = await mallory.get("/account/sessions")
        response = await mallory.post(
            f"/account/sessions/{session.id}/end", data={"csrf_token": csrf_of(page)}
        )
        assert response.status_code == 303
        assert "That session had already ended" in (await mallory.get("/account/sessions")).text
        assert await signed_in_as(phone) == victim.email


async def test_sessions_are_touched_at_most_once_a_minute(
    client: httpx.AsyncClient, services: Services
) -> None:
    person = await sign_up(client, "touch@example.com")
    await log_in(client, person.email)
    (session,) = await services.store.list_user_sessions(person.id, utcnow())
    touches: list[str] = []
    original = services.store.touch_session

    async def counted(*args: object) -> bool:
        touches.append(str(args[0]))
        return await original(*args)  # type: ignore[arg-type]

    services.store.touch_session = counted  # type: ignore[method-assign]
    for _ in range(5):
        assert not await page_refused(client)
    assert touches == []  # just used: no write per request
    # A minute and more later (the record says so), the next request writes once.
    earlier = session.last_seen_at.replace(year=session.last_seen_at.year - 1)
    assert await original(session.id, earlier, session.expires_at)
    for _ in range(3):
        assert not await page_refused(client)
    assert touches == [session.id]
    (touched,) = await services.store.list_user_sessions(person.id, utcnow())
    assert touched.last_seen_at > session.last_seen_at
    assert touched.expires_at > session.expires_at


async def test_an_expired_session_sends_pages_to_the_log_in(
    client: httpx.AsyncClient, services: Services
) -> None:
    person = await sign_up(client, "expired@example.com")
    await log_in(client, person.email)
    (session,) = await services.store.list_user_sessions(person.id, utcnow())
    past = session.created_at.replace(year=session.created_at.year - 1)
    assert await services.store.touch_session(session.id, past, past)
    assert await page_refused(client, "/account/sessions")
    assert await signed_in_as(client) is None


async def test_a_bearer_token_sees_no_this_device(client: httpx.AsyncClient, browser) -> None:
    person: Person = await sign_up(client, "bearer@example.com")
    async with browser(PHONE) as phone:
        await log_in(phone, person.email)
        page = await client.get("/account/sessions", headers=person.headers)
        assert page.status_code == 200
        assert "This device" not in page.text
        assert "Chrome on Android" in page.text


async def test_a_browser_script_changing_the_password_stays_logged_in(
    client: httpx.AsyncClient, browser
) -> None:
    person = await sign_up(client, "scriptpw@example.com")
    async with browser(LAPTOP) as laptop:
        await log_in(laptop, person.email)
        await log_in(client, person.email)
        before = client.cookies["admit_session"]
        page = await client.get("/account/sessions")
        response = await client.post(
            f"{API}/auth/password",
            json={"current_password": GOOD_PASSWORD, "new_password": NEW_PASSWORD},
            headers={"X-CSRF-Token": csrf_of(page)},
        )
        assert response.status_code == 204, response.text
        assert client.cookies["admit_session"] != before  # a new session, same browser
        assert await signed_in_as(client) == person.email
        assert await signed_in_as(laptop) is None
        # The page's CSRF token still works for its next write.
        response = await client.post(
            f"{API}/auth/logout-everywhere", headers={"X-CSRF-Token": csrf_of(page)}
        )
        assert response.status_code == 204
        assert await signed_in_as(client) is None
