"""Account pages over HTTP: sign-up, verification, log-in limits, reset, log-out."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import (
    GOOD_PASSWORD,
    latest_code,
    move_limit_clock,
    outbox_messages,
    post_form,
    sign_up_verified,
)
from web.services.container import Services
from web.settings import Settings


async def test_signup_page_has_labelled_fields(client: httpx.AsyncClient) -> None:
    response = await client.get("/signup")
    assert response.status_code == 200
    for label in ("Name", "Email", "Password"):
        assert f">{label}</label>" in response.text
    assert "Create account" in response.text


async def test_signup_shows_every_problem_and_keeps_what_was_typed(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await post_form(
        client,
        "/signup",
        {"email": "not-an-email", "password": "short", "name": "Zoë <b>", "role": "attendee"},
    )
    assert response.status_code == 422
    page = response.text
    assert "Enter an email address like name@example.com." in page
    assert "Use at least 8 characters." in page
    assert 'value="not-an-email"' in page
    assert 'value="Zoë &lt;b&gt;"' in page  # kept, and escaped
    assert "short" not in page  # the password is never sent back
    assert 'aria-describedby="f-email-error"' in page
    assert not settings.outbox_dir.exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("alllowercase1", "Include at least one digit and one upper-case letter."),
        ("NoDigitsHere", "Include at least one digit and one upper-case letter."),
        ("Ab1", "Use at least 8 characters."),
    ],
)
async def test_password_policy(client: httpx.AsyncClient, password: str, message: str) -> None:
    response = await post_form(
        client,
        "/signup",
        {"email": "p@example.com", "password": password, "name": "P", "role": "attendee"},
    )
    assert response.status_code == 422
    assert message in response.text


async def test_taken_email_is_refused_on_the_field(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_up_verified(client, settings, "taken@example.com")
    client.cookies.clear()
    response = await post_form(
        client,
        "/signup",
        {"email": "Taken@Example.com ", "password": GOOD_PASSWORD, "name": "T", "role": "attendee"},
    )
    assert response.status_code == 409
    assert "An account with this email already exists." in response.text


@pytest.mark.local_adapters  # Cognito mails this code itself
async def test_signup_mails_a_code_then_verify_logs_in(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await post_form(
        client,
        "/signup",
        {"email": "new@example.com", "password": GOOD_PASSWORD, "name": "New", "role": "organizer"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/verify?email=new%40example.com"
    [mail] = outbox_messages(settings, "new@example.com")
    assert mail["Subject"].startswith("Your Admit code: ")
    assert mail.get_body(preferencelist=("html",)) is not None

    # Not verified yet: log-in is refused with a way to the code.
    response = await post_form(
        client, "/login", {"email": "new@example.com", "password": GOOD_PASSWORD}
    )
    assert response.status_code == 403
    assert "/verify?email=new%40example.com" in response.text

    code = latest_code(settings, "new@example.com")
    response = await post_form(
        client, "/verify", {"email": "new@example.com", "code": f" {code[:3]} {code[3:]} "}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/organizer"
    response = await client.get("/organizer")
    assert response.status_code == 200
    assert "Your email address is confirmed." in response.text


@pytest.mark.local_adapters  # Cognito limits and expires its own codes
async def test_wrong_code_is_explained_and_limited(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await post_form(
        client,
        "/signup",
        {"email": "w@example.com", "password": GOOD_PASSWORD, "name": "W", "role": "attendee"},
    )
    code = latest_code(settings, "w@example.com")
    wrong = "000000" if code != "000000" else "111111"
    response = await post_form(client, "/verify", {"email": "w@example.com", "code": wrong})
    assert response.status_code == 400
    assert "That code is not right." in response.text
    assert 'value="w@example.com"' in response.text
    assert "Send a new code" in response.text
    for _ in range(4):
        await post_form(client, "/verify", {"email": "w@example.com", "code": wrong})
    # Attempts are spent: even the right code no longer works.
    response = await post_form(client, "/verify", {"email": "w@example.com", "code": code})
    assert response.status_code == 400
    assert "Too many wrong codes" in response.text

    response = await post_form(
        client, "/verify/resend", {"email": "w@example.com"}, token_page="/verify"
    )
    assert response.status_code == 429  # a code was mailed less than a minute ago
    assert "Wait" in response.text
    move_limit_clock(services, 61)
    response = await post_form(
        client, "/verify/resend", {"email": "w@example.com"}, token_page="/verify"
    )
    assert response.status_code == 303
    fresh = latest_code(settings, "w@example.com")
    response = await post_form(client, "/verify", {"email": "w@example.com", "code": fresh})
    assert response.status_code == 303


@pytest.mark.local_adapters  # Cognito limits and expires its own codes
@pytest.mark.settings(code_ttl=0)
async def test_expired_code_asks_for_a_new_one(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await post_form(
        client,
        "/signup",
        {"email": "e@example.com", "password": GOOD_PASSWORD, "name": "E", "role": "attendee"},
    )
    code = latest_code(settings, "e@example.com")
    response = await post_form(client, "/verify", {"email": "e@example.com", "code": code})
    assert response.status_code == 400
    assert "That code has expired. Ask for a new one." in response.text


@pytest.mark.settings(require_email_verification=False)
async def test_without_verification_signup_logs_in_at_once(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await post_form(
        client,
        "/signup",
        {"email": "quick@example.com", "password": GOOD_PASSWORD, "name": "Q", "role": "attendee"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert not outbox_messages(settings, "quick@example.com")
    assert "Log out" in (await client.get("/")).text


async def test_wrong_password_gets_one_generic_message(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_up_verified(client, settings, "g@example.com")
    client.cookies.clear()
    wrong_password = await post_form(
        client, "/login", {"email": "g@example.com", "password": "Wrong1234"}
    )
    unknown_email = await post_form(
        client, "/login", {"email": "nobody@example.com", "password": "Wrong1234"}
    )
    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        assert "The email address or password is not correct." in response.text
        assert 'value="g@example.com"' in wrong_password.text


async def test_failed_logins_are_limited_per_account_and_client_with_retry_after(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_up_verified(client, settings, "locked@example.com")
    client.cookies.clear()
    for _ in range(settings.login_limit_per_account_client):
        response = await post_form(
            client, "/login", {"email": "locked@example.com", "password": "Wrong1234"}
        )
        assert response.status_code == 401
    response = await post_form(
        client, "/login", {"email": "locked@example.com", "password": GOOD_PASSWORD}
    )
    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= settings.login_window + 1
    assert "Too many failed log-ins" in response.text


@pytest.mark.settings(login_limit_per_client=3, login_limit_per_account=100)
async def test_failed_logins_are_limited_per_client_but_successes_are_not(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_up_verified(client, settings, "venue@example.com")
    for _ in range(5):  # successes from one address are never counted
        client.cookies.clear()
        response = await post_form(
            client, "/login", {"email": "venue@example.com", "password": GOOD_PASSWORD}
        )
        assert response.status_code == 303
    client.cookies.clear()
    for index in range(3):
        response = await post_form(
            client, "/login", {"email": f"guess{index}@example.com", "password": "Wrong1234"}
        )
        assert response.status_code == 401
    response = await post_form(
        client, "/login", {"email": "venue@example.com", "password": GOOD_PASSWORD}
    )
    assert response.status_code == 429


async def test_login_redirects_to_a_local_next_only(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_up_verified(client, settings, "n@example.com", role="organizer")
    client.cookies.clear()
    token_page = "/login?next=/organizer"
    response = await post_form(
        client,
        "/login",
        {"email": "n@example.com", "password": GOOD_PASSWORD, "next": "/organizer?x=1"},
        token_page=token_page,
    )
    assert response.headers["location"] == "/organizer?x=1"
    client.cookies.clear()
    response = await post_form(
        client,
        "/login",
        {"email": "n@example.com", "password": GOOD_PASSWORD, "next": "//evil.example/"},
    )
    assert response.headers["location"] == "/organizer"


async def test_pages_needing_login_send_to_login_and_back(client: httpx.AsyncClient) -> None:
    response = await client.get("/organizer")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/organizer"


async def test_logout_ends_the_session(client: httpx.AsyncClient, settings: Settings) -> None:
    await sign_up_verified(client, settings, "out@example.com", role="organizer")
    assert (await client.get("/organizer")).status_code == 200
    response = await post_form(client, "/logout", {}, token_page="/")
    assert response.status_code == 303
    assert (await client.get("/organizer")).status_code == 303


async def test_logout_is_post_only(client: httpx.AsyncClient) -> None:
    assert (await client.get("/logout")).status_code == 405


async def test_password_reset_by_mailed_code(client: httpx.AsyncClient, settings: Settings) -> None:
    await sign_up_verified(client, settings, "r@example.com")
    client.cookies.clear()
    response = await post_form(client, "/password-reset", {"email": "R@example.com"})
    assert response.status_code == 303
    code = latest_code(settings, "r@example.com")
    response = await post_form(
        client,
        "/password-reset/confirm",
        {"email": "r@example.com", "code": code, "password": "weak"},
    )
    assert response.status_code == 422
    assert "Use at least 8 characters." in response.text
    response = await post_form(
        client,
        "/password-reset/confirm",
        {"email": "r@example.com", "code": code, "password": "N3wPassword"},
    )
    assert response.status_code == 303
    client.cookies.clear()
    old = await post_form(client, "/login", {"email": "r@example.com", "password": GOOD_PASSWORD})
    assert old.status_code == 401
    new = await post_form(client, "/login", {"email": "r@example.com", "password": "N3wPassword"})
    assert new.status_code == 303


async def test_password_reset_does_not_reveal_accounts(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await post_form(client, "/password-reset", {"email": "ghost@example.com"})
    assert response.status_code == 303
    assert not outbox_messages(settings, "ghost@example.com")


async def test_htmx_form_gets_fragment_on_error_and_hx_redirect_on_success(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    headers = {"HX-Request": "true"}
    token_page = await client.get("/signup")
    token = token_page.text.split('name="csrf_token" value="')[1].split('"')[0]
    bad = await client.post(
        "/signup",
        data={"email": "x", "password": "", "name": "", "role": "attendee", "csrf_token": token},
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.text.lstrip().startswith("<form")
    assert "<html" not in bad.text
    assert "HX-Request" in bad.headers["vary"]
    good = await client.post(
        "/signup",
        data={
            "email": "hx@example.com",
            "password": GOOD_PASSWORD,
            "name": "Hx",
            "role": "attendee",
            "csrf_token": token,
        },
        headers=headers,
    )
    assert good.status_code == 200
    assert good.headers["hx-redirect"] == "/verify?email=hx%40example.com"


async def test_verify_never_logs_in_to_an_already_verified_account(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_up_verified(client, settings, "victim@example.com", role="organizer")
    client.cookies.clear()
    response = await post_form(client, "/verify", {"email": "victim@example.com", "code": "1"})
    assert response.status_code == 400
    assert (await client.get("/organizer")).status_code == 303  # still logged out
    api = await client.post(
        "/api/v1/auth/verify", json={"email": "victim@example.com", "code": "123456"}
    )
    assert api.status_code == 400
    assert api.json()["error"]["code"] == "invalid_code"
