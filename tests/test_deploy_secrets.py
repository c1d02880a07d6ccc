"""infra/deploy_secrets.py, the stage's secrets into SSM, on moto's SSM."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.deploy_secrets import SECRETS, SecretsError, main, put_secrets, read_file
from web.settings import SECRET_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
STRIPE = {
    "ADMIT_STRIPE_SECRET_KEY": "sk_test_1",
    "ADMIT_STRIPE_PUBLISHABLE_KEY": "pk_test_1",
    "ADMIT_STRIPE_WEBHOOK_SECRET": "whsec_placeholder",
}


@pytest.fixture
def ssm(moto: str, aws_credentials: None) -> Any:
    return boto3.client("ssm", endpoint_url=moto, region_name="eu-west-1")


def _value(ssm: Any, name: str) -> str:
    return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]


def test_the_names_are_the_ones_serverless_yml_and_the_app_use() -> None:
    """Would fail before: the names were typed by hand from DEPLOYMENT.md."""
    text = (ROOT / "serverless.yml").read_text()
    named = dict(re.findall(r"(ADMIT_\w+)_PARAMETER: /admit/\$\{sls:stage\}/([\w-]+)", text))
    assert named == {s.variable: s.suffix for s in SECRETS}
    assert set(SECRET_SETTINGS) == {s.variable for s in SECRETS}


def test_a_first_run_writes_what_it_is_given_and_makes_the_keys(ssm: Any) -> None:
    """Would fail before: there was no script, only aws ssm put-parameter lines to copy."""
    done = put_secrets(ssm, "prod", STRIPE)

    assert done == {
        "/admit/prod/secret-key": "generated",
        "/admit/prod/ticket-signing-key": "generated",
        "/admit/prod/stripe-secret-key": "written",
        "/admit/prod/stripe-publishable-key": "written",
        "/admit/prod/stripe-webhook-secret": "written",
    }
    key = serialization.load_pem_private_key(
        _value(ssm, "/admit/prod/ticket-signing-key").encode(), password=None
    )
    assert isinstance(key, Ed25519PrivateKey)
    assert len(_value(ssm, "/admit/prod/secret-key")) >= 64
    kinds = {p["Name"]: p["Type"] for p in ssm.describe_parameters()["Parameters"]}
    assert kinds["/admit/prod/stripe-publishable-key"] == "String"
    assert kinds["/admit/prod/ticket-signing-key"] == "SecureString"


def test_a_second_run_keeps_the_keys_unless_told_to_overwrite(ssm: Any) -> None:
    """A redeploy must never rotate the ticket key by accident (it voids every ticket)."""
    put_secrets(ssm, "prod", STRIPE)
    ticket_key = _value(ssm, "/admit/prod/ticket-signing-key")

    again = put_secrets(ssm, "prod", {})
    assert set(again.values()) == {"kept"}
    assert _value(ssm, "/admit/prod/ticket-signing-key") == ticket_key

    put_secrets(ssm, "prod", {"ADMIT_STRIPE_WEBHOOK_SECRET": "whsec_real"}, overwrite=True)
    assert _value(ssm, "/admit/prod/stripe-webhook-secret") == "whsec_real"
    assert _value(ssm, "/admit/prod/stripe-secret-key") == "sk_test_1"  # not given: kept
    assert _value(ssm, "/admit/prod/ticket-signing-key") == ticket_key


def test_a_missing_value_writes_nothing(ssm: Any) -> None:
    with pytest.raises(SecretsError, match="ADMIT_STRIPE_SECRET_KEY"):
        put_secrets(ssm, "dev", {"ADMIT_STRIPE_PUBLISHABLE_KEY": "pk_test_1"})
    assert ssm.describe_parameters()["Parameters"] == []


def test_the_prompt_fills_what_the_file_lacks(ssm: Any) -> None:
    asked: list[str] = []

    def ask(secret: Any) -> str:
        asked.append(secret.variable)
        return f"typed-{secret.suffix}"

    put_secrets(ssm, "dev", {}, ask=ask)
    assert asked == [
        "ADMIT_STRIPE_SECRET_KEY",
        "ADMIT_STRIPE_PUBLISHABLE_KEY",
        "ADMIT_STRIPE_WEBHOOK_SECRET",
    ]
    assert _value(ssm, "/admit/dev/stripe-secret-key") == "typed-stripe-secret-key"


def test_the_file_and_the_command_line(
    ssm: Any, moto: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pem = "-----BEGIN PRIVATE KEY-----\\nMC4CAQAwBQYDK2VwBCIEIK4b\\n-----END PRIVATE KEY-----"
    secrets_file = tmp_path / "secrets.env"
    secrets_file.write_text(
        "# Stripe test mode\n"
        + "\n".join(f"{k}={v}" for k, v in STRIPE.items())
        + f'\nADMIT_TICKET_SIGNING_KEY="{pem}"\n'
    )
    assert read_file(secrets_file)["ADMIT_TICKET_SIGNING_KEY"].count("\n") == 2

    status = main(["--stage", "qa", "--file", str(secrets_file), "--endpoint-url", moto])

    assert status == 0
    out = capsys.readouterr().out
    assert "/admit/qa/ticket-signing-key: written" in out
    assert "sk_test_1" not in out  # no value is ever printed
    (tmp_path / "bad.env").write_text("STRIPE=sk\n")
    with pytest.raises(SecretsError, match=r"bad\.env:1"):
        read_file(tmp_path / "bad.env")
