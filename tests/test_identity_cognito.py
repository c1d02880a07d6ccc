"""The Cognito identity adapter against a moto user pool made from infra/cognito.yml.

Bearer tokens are checked with our own signatures too: moto signs its tokens with a key
published in its package, so the tests can mint tokens that differ from a genuine one in
exactly one claim and see each refused.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import moto
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from models.domain import Role
from models.errors import (
    EmailNotVerified,
    EmailTaken,
    InvalidCode,
    InvalidCredentials,
    ValidationFailed,
    WrongPassword,
)
from models.sqlite.store import SqliteStore
from tests.cognito_pool import REGION, Pool, mailed_code, make_pool, moto_user
from tests.conftest import fresh_settings
from tests.moto_server import moto as moto_endpoint  # noqa: F401 (fixture)
from tests.moto_server import moto_server  # noqa: F401 (fixture)
from tests.store_contract import make_user
from web.adapters.aws_clients import AwsClients
from web.adapters.identity.cognito import CognitoIdentity
from web.adapters.identity.port import IdentityUnavailable
from web.settings import Settings

PASSWORD = "Sup3rSecret"


@pytest.fixture
async def pool(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Pool:  # noqa: F811
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    return await make_pool(moto_endpoint)


@pytest.fixture
def store(sqlite_store: SqliteStore) -> SqliteStore:
    return sqlite_store


def _app_settings(pool: Pool, tmp_path: Path, template_db: Path, **changes: object) -> Settings:
    """The whole app's settings (local store, files and mail) with accounts on `pool`."""
    pool_settings: dict[str, object] = {
        "identity": "cognito",
        "aws_endpoint_url": pool.endpoint,
        "cognito_user_pool_id": pool.pool_id,
        "cognito_client_id": pool.client_id,
        "cognito_issuer": pool.issuer,
        "cognito_jwks_url": pool.jwks_url,
    }
    return fresh_settings(tmp_path / "data", template_db, **{**pool_settings, **changes})


@pytest.fixture
async def identity(pool: Pool, store: SqliteStore) -> AsyncIterator[CognitoIdentity]:
    aws = AwsClients(REGION, pool.endpoint)
    yield CognitoIdentity(
        store,
        aws,
        user_pool_id=pool.pool_id,
        client_id=pool.client_id,
        issuer=pool.issuer,
        jwks_url=pool.jwks_url,
    )
    await aws.close()


async def test_sign_up_confirm_and_log_in(identity: CognitoIdentity, pool: Pool, store) -> None:
    asked = make_user("ana@example.com", name="Ana")
    user = await identity.sign_up(asked, PASSWORD)
    # The profile is kept under the pool's sub, which every token names.
    assert user.id == moto_user(pool, "ana@example.com").id != asked.id
    assert await store.get_user(user.id) == user
    assert moto_user(pool, "ana@example.com").status == "UNCONFIRMED"
    with pytest.raises(EmailNotVerified):
        await identity.authenticate("ana@example.com", PASSWORD)

    with pytest.raises(InvalidCode):
        await identity.confirm_email("ana@example.com", "000000x")
    code = mailed_code(pool, "ana@example.com")
    confirmed = await identity.confirm_email("ana@example.com", code)
    assert confirmed.email_verified
    # A verified account has no code left to check.
    with pytest.raises(InvalidCode):
        await identity.confirm_email("ana@example.com", code)

    signed_in = await identity.authenticate("ana@example.com", PASSWORD)
    assert signed_in.user.id == user.id
    assert signed_in.access_token.expires_in > 0
    assert await identity.subject_for_access_token(signed_in.access_token.token) == user.id
    assert (await identity.user_for_access_token(signed_in.access_token.token)) == signed_in.user
    groups = {group.group_name for group in moto_user(pool, "ana@example.com").groups}
    assert groups == {"Attendees"}


async def test_wrong_passwords_and_unknown_accounts(identity: CognitoIdentity) -> None:
    await identity.sign_up(make_user("ben@example.com", email_verified=True), PASSWORD)
    with pytest.raises(InvalidCredentials):
        await identity.authenticate("ben@example.com", "Wr0ngPassword")
    with pytest.raises(InvalidCredentials):
        await identity.authenticate("nobody@example.com", PASSWORD)
    assert (await identity.authenticate("ben@example.com", PASSWORD)).user.email_verified


async def test_taken_address_and_pool_password_policy(identity: CognitoIdentity) -> None:
    await identity.sign_up(make_user("cy@example.com"), PASSWORD)
    with pytest.raises(EmailTaken):
        await identity.sign_up(make_user("cy@example.com"), PASSWORD)
    # The pool's own policy (infra/cognito.yml): a field error, not a crash.
    with pytest.raises(ValidationFailed) as refused:
        await identity.sign_up(make_user("dee@example.com"), "alllowercase1")
    assert "password" in refused.value.fields


async def test_a_failed_profile_write_takes_the_pool_account_back(
    identity: CognitoIdentity, pool: Pool, store
) -> None:
    # The address is taken in the Store only (say, a profile from another pool).
    await store.create_user(make_user("eve@example.com"), None)
    with pytest.raises(EmailTaken):
        await identity.sign_up(make_user("eve@example.com"), PASSWORD)
    assert moto_user(pool, "eve@example.com") is None


async def test_groups_are_roles(identity: CognitoIdentity, pool: Pool, store) -> None:
    organizer = await identity.sign_up(
        make_user("olga@example.com", roles=frozenset({Role.ORGANIZER}), email_verified=True),
        PASSWORD,
    )
    await identity.grant_role(organizer, Role.DOOR_STAFF)
    groups = {group.group_name for group in moto_user(pool, "olga@example.com").groups}
    assert groups == {"Organizers", "DoorStaff"}
    assert (await store.get_user(organizer.id)).roles == {Role.ORGANIZER, Role.DOOR_STAFF}


async def test_an_account_made_in_the_console_gets_a_profile_at_first_log_in(
    identity: CognitoIdentity, pool: Pool, store
) -> None:
    from aiobotocore.session import AioSession

    async with AioSession().create_client(
        "cognito-idp", endpoint_url=pool.endpoint, region_name=REGION
    ) as cognito:
        await cognito.admin_create_user(
            UserPoolId=pool.pool_id,
            Username="first@example.com",
            UserAttributes=[
                {"Name": "email", "Value": "first@example.com"},
                {"Name": "name", "Value": "First Organizer"},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
        await cognito.admin_set_user_password(
            UserPoolId=pool.pool_id, Username="first@example.com", Password=PASSWORD, Permanent=True
        )
        await cognito.admin_add_user_to_group(
            UserPoolId=pool.pool_id, Username="first@example.com", GroupName="Organizers"
        )
    signed_in = await identity.authenticate("first@example.com", PASSWORD)
    assert signed_in.user.name == "First Organizer"
    assert signed_in.user.roles == {Role.ORGANIZER}
    assert await store.get_user_by_email("first@example.com") == signed_in.user
    # The second log-in finds the profile instead of making another.
    again = await identity.authenticate("first@example.com", PASSWORD)
    assert again.user == signed_in.user


async def test_password_reset_with_the_mailed_code(identity: CognitoIdentity, pool: Pool) -> None:
    # (Cognito mails reset codes only to confirmed addresses.)
    await identity.sign_up(make_user("fay@example.com", email_verified=True), PASSWORD)
    await identity.start_password_reset("fay@example.com")
    await identity.start_password_reset("nobody@example.com")  # silently nothing
    with pytest.raises(InvalidCode):
        await identity.reset_password("fay@example.com", "000000x", "N3wPass1")
    user = await identity.reset_password(
        "fay@example.com", mailed_code(pool, "fay@example.com"), "N3wPass1"
    )
    with pytest.raises(InvalidCredentials):
        await identity.authenticate("fay@example.com", PASSWORD)
    assert (await identity.authenticate("fay@example.com", "N3wPass1")).user.id == user.id
    with pytest.raises(InvalidCode):
        await identity.reset_password("ghost@example.com", "123456", "N3wPass1")


# -- password change and revocation -------------------------------------------------------


async def test_change_password_checks_the_current_one(identity: CognitoIdentity) -> None:
    """Fails on the old code: the adapter had no way to change a password."""
    user = await identity.sign_up(make_user("cy@example.com", email_verified=True), PASSWORD)
    with pytest.raises(WrongPassword) as wrong:
        await identity.change_password(user, "Wr0ngPassword", "N3wPassword")
    assert set(wrong.value.fields) == {"current_password"}
    with pytest.raises(ValidationFailed) as weak:
        await identity.change_password(user, PASSWORD, "weak")
    assert set(weak.value.fields) == {"new_password"}
    await identity.change_password(user, PASSWORD, "N3wPassword")
    with pytest.raises(InvalidCredentials):
        await identity.authenticate("cy@example.com", PASSWORD)
    assert (await identity.authenticate("cy@example.com", "N3wPassword")).user.id == user.id


async def test_revoked_tokens_are_refused_by_our_own_check(
    identity: CognitoIdentity, pool: Pool, store
) -> None:
    """Fails on the old code: a JWKS-checked token stayed good until it expired. Our check
    does not rely on moto enforcing global sign-out: it refuses by the token's `iat`."""
    user = await identity.sign_up(make_user("di@example.com", email_verified=True), PASSWORD)
    before = (await identity.authenticate("di@example.com", PASSWORD)).access_token.token
    assert await identity.user_for_access_token(before) is not None

    revoked = await identity.revoke_tokens(user)
    assert revoked.token_generation == user.token_generation + 1
    assert revoked.tokens_valid_after is not None
    assert await identity.subject_for_access_token(before) == user.id  # genuine still...
    assert await identity.user_for_access_token(before) is None  # ...but revoked
    # A copy of the same token minted with moto's key: refused just the same.
    assert (
        await identity.user_for_access_token(
            _mint(jwt.decode(before, options={"verify_signature": False}))
        )
        is None
    )

    after = (await identity.authenticate("di@example.com", PASSWORD)).access_token.token
    assert await identity.user_for_access_token(after) is not None


def _moto_signing_key() -> Any:
    """The private key moto signs its tokens with (a file in the moto package)."""
    path = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz"
    return jwt.PyJWK(json.loads(gzip.decompress(path.read_bytes())), algorithm="RS256").key


def _mint(claims: dict[str, Any], key: Any = None, kid: str = "dummy") -> str:
    return jwt.encode(claims, key or _moto_signing_key(), algorithm="RS256", headers={"kid": kid})


@pytest.fixture
async def genuine(identity: CognitoIdentity) -> dict[str, Any]:
    await identity.sign_up(make_user("tom@example.com", email_verified=True), PASSWORD)
    token = (await identity.authenticate("tom@example.com", PASSWORD)).access_token.token
    return jwt.decode(token, options={"verify_signature": False})


async def test_a_minted_copy_of_a_genuine_token_is_accepted(identity, genuine) -> None:
    # The control for the refusals below: same key, same claims, accepted.
    assert await identity.subject_for_access_token(_mint(genuine)) == genuine["sub"]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other"}, "other pool"),
        ({"client_id": "another-app-client"}, "other app client"),
        ({"token_use": "id"}, "an ID token"),
        ({"exp": int(time.time()) - 60}, "expired"),
        ({"sub": None}, "no subject"),
    ],
)
async def test_tokens_differing_in_one_claim_are_refused(identity, genuine, change, why) -> None:
    claims = {**genuine, **change}
    claims = {name: value for name, value in claims.items() if value is not None}
    assert await identity.subject_for_access_token(_mint(claims)) is None, why


async def test_forged_and_malformed_tokens_are_refused(identity, genuine) -> None:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert await identity.subject_for_access_token(_mint(genuine, key=other_key)) is None
    assert await identity.subject_for_access_token(_mint(genuine, kid="unknown")) is None
    hs256 = jwt.encode(genuine, "s" * 32, algorithm="HS256", headers={"kid": "dummy"})
    assert await identity.subject_for_access_token(hs256) is None
    for junk in ("", "not-a-jwt", "a.b.c"):
        assert await identity.subject_for_access_token(junk) is None


async def test_an_unreachable_jwks_is_our_failure_not_the_callers(store, genuine, pool) -> None:
    aws = AwsClients(REGION, pool.endpoint)
    broken = CognitoIdentity(
        store,
        aws,
        user_pool_id=pool.pool_id,
        client_id=pool.client_id,
        issuer=pool.issuer,
        jwks_url="http://127.0.0.1:9/jwks.json",
    )
    with pytest.raises(IdentityUnavailable):
        await broken.subject_for_access_token(_mint(genuine))
    await aws.close()


async def test_a_resent_code_replaces_the_first(identity: CognitoIdentity, pool: Pool) -> None:
    await identity.sign_up(make_user("hal@example.com"), PASSWORD)
    first = mailed_code(pool, "hal@example.com")
    await identity.send_verification_code("hal@example.com")
    await identity.send_verification_code("nobody@example.com")  # silently nothing
    second = mailed_code(pool, "hal@example.com")
    if first != second:  # one chance in a million that the new code is the same
        with pytest.raises(InvalidCode):
            await identity.confirm_email("hal@example.com", first)
    assert (await identity.confirm_email("hal@example.com", second)).email_verified
    await identity.send_verification_code("hal@example.com")  # confirmed: nothing to send


async def test_a_pool_that_refuses_us_is_a_503_that_keeps_nothing(
    pool: Pool, tmp_path: Path, template_db: Path
) -> None:
    import httpx
    from asgi_lifespan import LifespanManager

    from tests.conftest import BASE_URL
    from tests.helpers import post_form
    from web.app import create_app

    # A client id that is not the pool's, as after a botched deploy.
    settings = _app_settings(pool, tmp_path, template_db, cognito_client_id="no-such-client")
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            form = {"email": "x@example.com", "password": PASSWORD, "name": "X", "role": "attendee"}
            page = await post_form(client, "/signup", form)
            assert page.status_code == 503
            assert "Please try again" in page.text
            assert page.headers["retry-after"] == "5"
            api = await client.post(
                "/api/v1/auth/token", json={"email": "x@example.com", "password": PASSWORD}
            )
            assert api.status_code == 503
            assert api.json()["error"]["code"] == "service_unavailable"
        store = manager._state["services"].store
        assert await store.get_user_by_email("x@example.com") is None


async def test_admit_users_create_makes_an_active_pool_account(
    pool: Pool, tmp_path: Path, template_db: Path
) -> None:
    """The CLI path DEPLOYMENT.md offers for the first organizer."""
    from web.services.admin import create_user

    settings = _app_settings(pool, tmp_path, template_db)
    message = await create_user(settings, "olga@example.com", PASSWORD, "organizer", "Olga")
    assert message.startswith("Created organizer olga@example.com")
    account = moto_user(pool, "olga@example.com")
    assert account.status == "CONFIRMED"
    assert {group.group_name for group in account.groups} == {"Organizers"}
    assert message.endswith(f"(id {account.id}).")
