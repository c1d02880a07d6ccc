"""Secrets read from SSM Parameter Store at start-up (`web/secret_parameters.py`), against moto in
server mode: straight through `with_secrets`, and through the Lambda entry points."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from itsdangerous import BadSignature, TimestampSigner

from models.ticket_codes import key_id
from tests.moto_server import free_port, moto, moto_server  # noqa: F401 (fixtures)
from tests.test_lambda import aws, cookie_pairs, data_dir, http_event, invoke  # noqa: F401
from web.keys import load_or_create_keys
from web.secret_parameters import with_secrets
from web.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent
STAGE = "/admit/test"


def signing_pem() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


@pytest.fixture
def ssm(moto: str, monkeypatch: pytest.MonkeyPatch) -> Any:  # noqa: F811 (the fixture above)
    """A boto3 SSM client on moto; the app's clients find the same fake credentials."""
    # botocore's own credential chain, as on Lambda (there: the function's role).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return boto3.client("ssm", endpoint_url=moto, region_name="eu-west-1")


def put(ssm: Any, name: str, value: str, kind: str = "SecureString") -> str:
    ssm.put_parameter(Name=f"{STAGE}/{name}", Value=value, Type=kind)
    return f"{STAGE}/{name}"


def from_env(endpoint: str, **variables: str) -> Settings:
    return Settings.from_env({"ADMIT_AWS_ENDPOINT_URL": endpoint, **variables}, env_file=None)


async def test_all_five_parameters_fill_their_settings(ssm: Any, moto: str, tmp_path: Path) -> None:  # noqa: F811
    pem = signing_pem()
    settings = from_env(
        moto,
        ADMIT_DATA_DIR=str(tmp_path),
        ADMIT_SECRET_KEY_PARAMETER=put(ssm, "secret-key", "s3cr3t-from-ssm"),
        ADMIT_TICKET_SIGNING_KEY_PARAMETER=put(ssm, "ticket-signing-key", pem),
        ADMIT_STRIPE_SECRET_KEY_PARAMETER=put(ssm, "stripe-secret-key", "sk_test_123"),
        # DEPLOYMENT.md keeps the publishable key a plain String: WithDecryption passes it.
        ADMIT_STRIPE_PUBLISHABLE_KEY_PARAMETER=put(
            ssm, "stripe-publishable-key", "pk_test_456", kind="String"
        ),
        ADMIT_STRIPE_WEBHOOK_SECRET_PARAMETER=put(ssm, "stripe-webhook-secret", "whsec_789\n"),
    )
    assert len(settings.secret_parameters) == 5
    assert settings.secret_key is None

    resolved = await with_secrets(settings)

    assert resolved.secret_key == "s3cr3t-from-ssm"
    assert resolved.ticket_signing_key == pem.strip()
    assert resolved.stripe_secret_key == "sk_test_123"
    assert resolved.stripe_publishable_key == "pk_test_456"
    assert resolved.stripe_webhook_secret == "whsec_789"
    assert resolved.secret_parameters == ()
    assert await with_secrets(resolved) is resolved  # read once; nothing left to read
    keys = load_or_create_keys(resolved)
    assert keys.secret_key == "s3cr3t-from-ssm"
    expected = serialization.load_pem_private_key(pem.encode(), password=None).public_key()
    assert key_id(keys.ticket_signing_key.public_key()) == key_id(expected)  # type: ignore[arg-type]
    assert not (tmp_path / "keys").exists()  # nothing generated in place of the parameters


async def test_a_signing_key_stored_with_escaped_newlines_is_read(
    ssm: Any,
    moto: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    pem = signing_pem()
    settings = from_env(
        moto,
        ADMIT_DATA_DIR=str(tmp_path),
        ADMIT_TICKET_SIGNING_KEY_PARAMETER=put(ssm, "key", pem.strip().replace("\n", "\\n")),
    )
    keys = load_or_create_keys(await with_secrets(settings))
    expected = serialization.load_pem_private_key(pem.encode(), password=None).public_key()
    assert key_id(keys.ticket_signing_key.public_key()) == key_id(expected)  # type: ignore[arg-type]


def test_without_parameters_nothing_is_fetched_or_imported() -> None:
    """A fresh interpreter, as other tests here import aiobotocore: same object, no AWS."""
    code = (
        "import asyncio, sys\n"
        "from web.secret_parameters import with_secrets\n"
        "from web.settings import Settings\n"
        "settings = Settings.from_env({}, env_file=None)\n"
        "assert asyncio.run(with_secrets(settings)) is settings\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'aiobotocore', 'botocore'}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


async def test_a_missing_parameter_is_named_with_its_variable(ssm: Any, moto: str) -> None:  # noqa: F811
    settings = from_env(
        moto,
        ADMIT_SECRET_KEY_PARAMETER=put(ssm, "secret-key", "present"),
        ADMIT_STRIPE_SECRET_KEY_PARAMETER=f"{STAGE}/no-such-parameter",
        ADMIT_STRIPE_WEBHOOK_SECRET_PARAMETER=f"{STAGE}/nor-this-one",
    )
    with pytest.raises(SettingsError) as caught:
        await with_secrets(settings)
    message = str(caught.value)
    assert f"{STAGE}/no-such-parameter (named by ADMIT_STRIPE_SECRET_KEY_PARAMETER)" in message
    assert f"{STAGE}/nor-this-one (named by ADMIT_STRIPE_WEBHOOK_SECRET_PARAMETER)" in message
    assert "secret-key" not in message


async def test_a_value_and_a_parameter_for_one_setting_are_refused() -> None:
    # An address nothing listens on: the refusal comes before any request.
    settings = from_env(
        f"http://127.0.0.1:{free_port()}",
        ADMIT_SECRET_KEY="from-the-environment",
        ADMIT_SECRET_KEY_PARAMETER=f"{STAGE}/secret-key",
    )
    with pytest.raises(SettingsError, match="ADMIT_SECRET_KEY and ADMIT_SECRET_KEY_PARAMETER"):
        await with_secrets(settings)


class _FailingClients:
    """Stands in for AwsClients: its SSM client raises `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def client(self, service: str) -> _FailingClients:
        assert service == "ssm"
        return self

    async def get_parameters(self, **_: Any) -> dict[str, Any]:
        raise self.error


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}},
                "GetParameters",
            ),
            r"SSM parameters /admit/test/secret-key: AccessDeniedException: not authorized$",
        ),
        (
            EndpointConnectionError(endpoint_url="https://ssm.eu-west-1.amazonaws.com/"),
            r"SSM parameters /admit/test/secret-key: Could not connect to the endpoint URL",
        ),
    ],
    ids=["client-error", "no-connection"],
)
async def test_an_aws_error_stops_the_start_with_a_readable_message(
    error: Exception, message: str
) -> None:
    settings = from_env("", ADMIT_SECRET_KEY_PARAMETER=f"{STAGE}/secret-key")
    with pytest.raises(SettingsError, match=message):
        await with_secrets(settings, _FailingClients(error))  # type: ignore[arg-type]


# -- the Lambda entry points --------------------------------------------------------------


@pytest.fixture
def lambda_env(ssm: Any, moto: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: F811
    """The function's environment pointed at moto; its secret key parameter's value."""
    monkeypatch.setenv("ADMIT_AWS_ENDPOINT_URL", moto)
    monkeypatch.setenv("ADMIT_AWS_REGION", "eu-west-1")
    return "lambda-secret-from-ssm"


def test_the_handler_signs_with_the_parameters(
    aws: ModuleType,  # noqa: F811
    ssm: Any,
    lambda_env: str,
    data_dir: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pem = signing_pem()
    monkeypatch.setenv("ADMIT_SECRET_KEY_PARAMETER", put(ssm, "secret-key", lambda_env))
    # Stored with `\n` escapes, as a one-line `--value` would be.
    escaped = pem.strip().replace("\n", "\\n")
    monkeypatch.setenv("ADMIT_TICKET_SIGNING_KEY_PARAMETER", put(ssm, "signing-key", escaped))

    page = invoke(aws, http_event("GET", "/signup"))

    assert page["statusCode"] == 200, page
    (session,) = [c.split("=", 1)[1] for c in cookie_pairs(page) if c.startswith("admit_session=")]
    TimestampSigner(lambda_env).unsign(session)  # signed with the parameter's secret
    with pytest.raises(BadSignature):
        TimestampSigner("any-other-secret").unsign(session)
    services = aws._runtime.lifespan.lifespan_state["services"]
    expected = serialization.load_pem_private_key(pem.encode(), password=None).public_key()
    assert services.tickets.signer.key_id == key_id(expected)  # type: ignore[arg-type]
    assert not (data_dir / "keys").exists()  # nothing generated in their place


def test_a_missing_parameter_stops_the_cold_start_and_the_sweep(
    aws: ModuleType,  # noqa: F811
    lambda_env: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ADMIT_SECRET_KEY_PARAMETER", f"{STAGE}/not-created")
    with pytest.raises(SettingsError, match="not-created"):
        aws.handler(http_event("GET", "/healthz"), None)
    assert aws._runtime is None  # the next invocation tries again
    with pytest.raises(SettingsError, match="not-created"):
        aws.sweep({"source": "aws.events", "detail-type": "Scheduled Event"}, None)


def test_the_cli_reads_the_parameters(ssm: Any, moto: str, tmp_path: Path) -> None:  # noqa: F811
    env = {
        **os.environ,
        "ADMIT_DATA_DIR": str(tmp_path),
        "ADMIT_AWS_ENDPOINT_URL": moto,
        "ADMIT_SECRET_KEY_PARAMETER": f"{STAGE}/not-created",
    }
    refused = subprocess.run(
        [sys.executable, "-m", "web.cli", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2
    assert f"{STAGE}/not-created (named by ADMIT_SECRET_KEY_PARAMETER)" in refused.stderr
