"""Limits on one account (issue 10, API.md "Accounts" and "Sessions"): failed log-ins per
account and client address, wrong codes per account across codes, and codes mailed.

These run on the AWS adapters too (`--adapters=aws`: Cognito mails its own codes, and
Admit's counters still gate every call to it).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from starlette.applications import Starlette

from tests.helpers import GOOD_PASSWORD, csrf_token, latest_code, move_limit_clock
from web.services.container import Services
from web.services.limits import CODES_PER_DAY, WRONG_CODES_PER_HOUR
from web.settings import Settings

OWNER = "door@example.com"
ATTACKER_ADDRESS = "198.51.100.66"
OWNER_ADDRESS = "203.0.113.10"

Clients = Callable[[str], httpx.AsyncClient]


@pytest.fixture
async def clients(app: Starlette) -> AsyncIterator[Clients]:
    """`clients(address)`: an HTTP client whose requests come from that address."""
    made: list[httpx.AsyncClient] = []

    def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app.state.asgi, client=(address, 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


async def _signup(client: httpx.AsyncClient, email: str = OWNER) -> None:
    body = {"email": email, "password": GOOD_PASSWORD, "name": "Dora", "role": "attendee"}
    assert (await client.post("/api/v1/auth/signup", json=body)).status_code == 201


async def _token(client: httpx.AsyncClient, password: str, email: str = OWNER) -> httpx.Response:
    return await client.post("/api/v1/auth/token", json={"email": email, "password": password})


async def _verify(client: httpx.AsyncClient, code: str, email: str = OWNER) -> httpx.Response:
    return await client.post("/api/v1/auth/verify", json={"email": email, "code": code})


async def _resend(client: httpx.AsyncClient, email: str = OWNER) -> httpx.Response:
    return await client.post("/api/v1/auth/verify/resend", json={"email": email})


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def _limited(response: httpx.Response, longest: int) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "too_many_attempts"
    assert 0 < int(response.headers["retry-after"]) <= longest + 1


# -- failed log-ins -------------------------------------------------------------------


@pytest.mark.settings(require_email_verification=False)
async def test_wrong_current_passwords_count_as_failed_log_ins(
    clients: Clients, settings: Settings
) -> None:
    """Someone holding a stolen session or token guesses the current password on the
    change form: before, every guess was free."""
    owner = clients(OWNER_ADDRESS)
    await _signup(owner)
    token = (await _token(owner, GOOD_PASSWORD)).json()["access_token"]
    thief = clients(ATTACKER_ADDRESS)
    headers = {"Authorization": f"Bearer {token}"}

    async def change(current: str) -> httpx.Response:
        body = {"current_password": current, "new_password": "An0ther-Passw0rd"}
        return await thief.post("/api/v1/auth/password", json=body, headers=headers)

    for guess in range(settings.login_limit_per_account_client):
        answer = await change(f"Guess-{guess}-Passw0rd")
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["code"] == "wrong_password"
    _limited(await change(GOOD_PASSWORD), settings.login_window)
    # The owner, on their own phone, still logs in.
    assert (await _token(owner, GOOD_PASSWORD)).status_code == 200


@pytest.mark.settings(require_email_verification=False)
async def test_a_strangers_guesses_do_not_lock_the_owner_out(
    clients: Clients, settings: Settings
) -> None:
    """Issue 10: five wrong passwords from anywhere locked the account for everyone."""
    attacker, owner = clients(ATTACKER_ADDRESS), clients(OWNER_ADDRESS)
    await _signup(owner)
    answers = [(await _token(attacker, "Wrong1234")).status_code for _ in range(12)]
    assert answers == [401] * 5 + [429] * 7
    _limited(await _token(attacker, GOOD_PASSWORD), settings.login_window)
    # The owner's own phone, elsewhere: the right password gets in, by API and by page.
    assert (await _token(owner, GOOD_PASSWORD)).status_code == 200
    token = await csrf_token(owner)
    page = await owner.post(
        "/login", data={"email": OWNER, "password": GOOD_PASSWORD, "csrf_token": token}
    )
    assert page.status_code == 303
    # And the owner's own typos count apart from the stranger's.
    owner.cookies.clear()
    assert (await _token(owner, "Wrong1234")).status_code == 401


@pytest.mark.settings(require_email_verification=False, login_limit_per_account=8)
async def test_guesses_from_many_addresses_reach_the_account_ceiling(
    clients: Clients, settings: Settings
) -> None:
    await _signup(clients(OWNER_ADDRESS))
    for address, failures in (("198.51.100.1", 5), ("198.51.100.2", 3)):
        guesser = clients(address)
        for _ in range(failures):
            assert (await _token(guesser, "Wrong1234")).status_code == 401
    _limited(await _token(clients("198.51.100.3"), GOOD_PASSWORD), settings.login_window)
    _limited(await _token(clients(OWNER_ADDRESS), GOOD_PASSWORD), settings.login_window)


@pytest.mark.settings(require_email_verification=False)
async def test_successes_are_not_failures(clients: Clients) -> None:
    owner = clients(OWNER_ADDRESS)
    await _signup(owner)
    for _ in range(4):
        assert (await _token(owner, "Wrong1234")).status_code == 401
    assert (await _token(owner, GOOD_PASSWORD)).status_code == 200
    # Four failures and a success: one more failure is the fifth, then the limit holds.
    assert (await _token(owner, "Wrong1234")).status_code == 401
    assert (await _token(owner, GOOD_PASSWORD)).status_code == 429


@pytest.mark.settings(require_email_verification=False)
async def test_parallel_guesses_do_not_pass_the_limit(clients: Clients, settings: Settings) -> None:
    """Issue 10: every request read the count before any failure was written, so
    parallel guesses all got checked; now each takes its attempt first."""
    await _signup(clients(OWNER_ADDRESS))
    attacker = clients(ATTACKER_ADDRESS)
    answers = await asyncio.gather(*(_token(attacker, f"Wrong{i:04d}") for i in range(30)))
    counts = Counter(answer.status_code for answer in answers)
    assert counts == {401: settings.login_limit_per_account_client, 429: 25}


async def test_an_overlong_email_is_a_wrong_log_in(client: httpx.AsyncClient) -> None:
    answer = await _token(client, "Wrong1234", email="a" * 5000 + "@example.com")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_credentials"


# -- wrong codes ----------------------------------------------------------------------


async def test_wrong_codes_count_per_account_across_new_codes(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    """Issue 10: each new code brought five fresh guesses, without end; now 10 wrong
    codes an hour per account, verification and reset together, then even the right
    code is refused."""
    await _signup(client)
    first = latest_code(settings, OWNER)
    for _ in range(5):
        assert (await _verify(client, _wrong(first))).status_code == 400
    move_limit_clock(services, 61)
    assert (await _resend(client)).status_code == 202
    second = latest_code(settings, OWNER)
    for _ in range(WRONG_CODES_PER_HOUR - 5):
        assert (await _verify(client, _wrong(second))).status_code == 400
    refused = await _verify(client, second)
    _limited(refused, 3600)
    assert "Too many wrong codes" in refused.json()["error"]["message"]
    # The reset form shares the counter: refused before any code is checked.
    reset = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"email": OWNER, "code": second, "password": "N3wPassword"},
    )
    _limited(reset, 3600)
    # A new code does not help either, until the hour has passed.
    move_limit_clock(services, 61)
    assert (await _resend(client)).status_code == 202
    third = latest_code(settings, OWNER)
    _limited(await _verify(client, third), 3600)
    move_limit_clock(services, 3600)
    assert (await _verify(client, third)).status_code == 200


async def test_a_right_code_is_not_a_wrong_one(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await _signup(client)
    code = latest_code(settings, OWNER)
    for _ in range(WRONG_CODES_PER_HOUR - 1):
        await _verify(client, _wrong(code))
    move_limit_clock(services, 61)
    assert (await _resend(client)).status_code == 202
    assert (await _verify(client, latest_code(settings, OWNER))).status_code == 200
    # Nine wrong and one right: the tenth wrong code is still allowed.
    reset = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"email": OWNER, "code": "000000", "password": "N3wPassword"},
    )
    assert reset.status_code == 400
    assert reset.json()["error"]["code"] == "invalid_code"


async def test_parallel_wrong_codes_do_not_pass_the_limit(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await _signup(client)
    wrong = _wrong(latest_code(settings, OWNER))
    answers = await asyncio.gather(*(_verify(client, wrong) for _ in range(30)))
    counts = Counter(answer.status_code for answer in answers)
    assert counts == {400: WRONG_CODES_PER_HOUR, 429: 30 - WRONG_CODES_PER_HOUR}


# -- codes mailed ---------------------------------------------------------------------


async def test_a_new_code_waits_a_minute_and_codes_per_day_are_capped(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    """Issue 10: codes could be asked for without limit, each one a fresh set of guesses."""
    await _signup(client)  # the first code
    first = latest_code(settings, OWNER)
    too_soon = await _resend(client)
    _limited(too_soon, 60)
    assert "Wait" in too_soon.json()["error"]["message"]
    assert latest_code(settings, OWNER) == first  # nothing made or mailed meanwhile
    for _ in range(CODES_PER_DAY - 1):
        move_limit_clock(services, 61)
        assert (await _resend(client)).status_code == 202
    assert latest_code(settings, OWNER) != first
    last = latest_code(settings, OWNER)
    move_limit_clock(services, 61)
    capped = await _resend(client)
    _limited(capped, 24 * 3600)
    assert f"({CODES_PER_DAY})" in capped.json()["error"]["message"]
    # Reset codes count toward the same day.
    _limited(await client.post("/api/v1/auth/password-reset", json={"email": OWNER}), 24 * 3600)
    assert latest_code(settings, OWNER) == last
    move_limit_clock(services, 24 * 3600)
    assert (await _resend(client)).status_code == 202


@pytest.mark.settings(require_email_verification=False)
async def test_code_limits_do_not_tell_which_addresses_have_accounts(
    client: httpx.AsyncClient,
) -> None:
    await _signup(client)
    for email in (OWNER, "nobody@example.com"):
        first = await client.post("/api/v1/auth/password-reset", json={"email": email})
        second = await client.post("/api/v1/auth/password-reset", json={"email": email})
        assert (first.status_code, second.status_code) == (202, 429)
        assert second.json()["error"]["message"].startswith("A new code was asked for")


async def test_the_pages_say_how_long_to_wait(
    client: httpx.AsyncClient, settings: Settings, services: Services
) -> None:
    await _signup(client)
    code = latest_code(settings, OWNER)
    token = await csrf_token(client, "/verify")
    resend = await client.post("/verify/resend", data={"email": OWNER, "csrf_token": token})
    assert resend.status_code == 429
    assert "Wait" in resend.text
    assert "seconds before asking again" in resend.text
    assert 0 < int(resend.headers["retry-after"]) <= 61
    for _ in range(WRONG_CODES_PER_HOUR):
        await _verify(client, _wrong(code))
    page = await client.post("/verify", data={"email": OWNER, "code": code, "csrf_token": token})
    assert page.status_code == 429
    assert "Too many wrong codes for this account" in page.text
    assert f'value="{OWNER}"' in page.text
    move_limit_clock(services, 61)
    reset = await client.post(
        "/password-reset/confirm",
        data={"email": OWNER, "code": code, "password": "N3wPassword", "csrf_token": token},
    )
    assert reset.status_code == 429
    assert "Too many wrong codes for this account" in reset.text
