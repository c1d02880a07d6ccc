"""Put a stage's secrets into SSM Parameter Store, where the functions read them at cold
start (DEPLOYMENT.md, "Parameters and secrets").

    .venv/bin/python -m infra.deploy_secrets --stage prod [--file secrets.env] [--overwrite]

Each value comes from, in order: the file (`NAME=value` lines, `#` comments; NAME is the
setting's variable, e.g. `ADMIT_STRIPE_SECRET_KEY`), a prompt (hidden typing) when a
terminal is attached, or, for the two keys Admit makes itself, a new random value: the
session secret (48 random bytes) and the Ed25519 ticket signing key (PEM). A parameter
that already exists is kept unless `--overwrite` (so a second deploy never rotates the
ticket key by accident: that would void every ticket issued); `--overwrite` replaces the
existing parameters whose values the file or the prompt gives, and never makes a key again
(rotating the ticket key is its own procedure, DEPLOYMENT.md). Nothing is printed of any
value.

(Not named `secrets.py`: run as a script from infra/, that name would shadow the standard
library's `secrets` for everything the script imports.)
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Secret:
    variable: str  # the setting's environment variable (web/settings.py)
    suffix: str  # /admit/<stage>/<suffix>, as serverless.yml's *_PARAMETER names it
    kind: str  # SSM type
    make: Callable[[], str] | None = None  # how Admit makes one itself, if it can
    hint: str = ""


def new_secret_key() -> str:
    return secrets.token_urlsafe(48)


def new_ticket_signing_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


# Same names as serverless.yml (provider.environment *_PARAMETER) and infra/iam.yml grant;
# tests/test_deploy_secrets.py holds the three together.
SECRETS: tuple[Secret, ...] = (
    Secret("ADMIT_SECRET_KEY", "secret-key", "SecureString", new_secret_key),
    Secret(
        "ADMIT_TICKET_SIGNING_KEY",
        "ticket-signing-key",
        "SecureString",
        new_ticket_signing_key,
        "keep a copy offline: losing it voids every ticket",
    ),
    Secret("ADMIT_STRIPE_SECRET_KEY", "stripe-secret-key", "SecureString", hint="sk_live_…"),
    Secret("ADMIT_STRIPE_PUBLISHABLE_KEY", "stripe-publishable-key", "String", hint="pk_live_…"),
    Secret(
        "ADMIT_STRIPE_WEBHOOK_SECRET",
        "stripe-webhook-secret",
        "SecureString",
        hint="whsec_…; from the webhook endpoint (DEPLOYMENT.md, Stripe webhook)",
    ),
)


def parameter_name(stage: str, secret: Secret) -> str:
    return f"/admit/{stage}/{secret.suffix}"


class SecretsError(Exception):
    pass


def read_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines; a value may be quoted, and `\\n` stands for a newline (the
    ticket signing key on one line)."""
    known = {s.variable for s in SECRETS}
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or name not in known:
            raise SecretsError(
                f"{path}:{number}: expected NAME=value with NAME one of {', '.join(sorted(known))}"
            )
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name] = value.replace("\\n", "\n")
    return values


def existing(ssm: Any, names: Iterable[str]) -> set[str]:
    names = list(names)
    found: set[str] = set()
    for start in range(0, len(names), 10):  # GetParameters takes at most 10 names
        answer = ssm.get_parameters(Names=names[start : start + 10])
        found |= {p["Name"] for p in answer["Parameters"]}
    return found


def put_secrets(
    ssm: Any,
    stage: str,
    given: Mapping[str, str],
    *,
    overwrite: bool = False,
    ask: Callable[[Secret], str] | None = None,
) -> dict[str, str]:
    """Write each secret's parameter; returns what happened to each, by parameter name:
    `written`, `generated` or `kept`. Raises before writing anything when a value is
    missing and cannot be asked for or made."""
    present = existing(ssm, (parameter_name(stage, s) for s in SECRETS))
    plan: list[tuple[Secret, str, str]] = []
    missing: list[str] = []
    for secret in SECRETS:
        name = parameter_name(stage, secret)
        value = given.get(secret.variable, "").strip()
        if value:
            plan.append((secret, value, "written"))
        elif name in present:
            plan.append((secret, "", "kept"))
        elif secret.make is not None:
            plan.append((secret, secret.make(), "generated"))
        elif ask is not None and (asked := ask(secret).strip()):
            plan.append((secret, asked, "written"))
        else:
            missing.append(f"{secret.variable} ({name})")
    if missing:
        raise SecretsError("no value for " + ", ".join(missing) + "; put them in --file")
    done: dict[str, str] = {}
    for secret, value, what in plan:
        name = parameter_name(stage, secret)
        if what == "kept":
            done[name] = what
            continue
        if name in present and not overwrite:
            done[name] = "kept"
            continue
        ssm.put_parameter(Name=name, Value=value, Type=secret.kind, Overwrite=overwrite)
        done[name] = what
    return done


def _prompt(secret: Secret) -> str:
    hint = f" ({secret.hint})" if secret.hint else ""
    return getpass.getpass(f"{secret.variable}{hint}: ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--file", type=Path, help="NAME=value lines (never commit this file)")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace existing parameters with given values"
    )
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "eu-west-1"))
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL") or None)
    args = parser.parse_args(argv)

    import boto3

    given = read_file(args.file) if args.file else {}
    ask = _prompt if sys.stdin.isatty() else None
    ssm = boto3.client("ssm", region_name=args.region, endpoint_url=args.endpoint_url)
    try:
        done = put_secrets(ssm, args.stage, given, overwrite=args.overwrite, ask=ask)
    except SecretsError as exc:
        print(f"deploy_secrets: {exc}", file=sys.stderr)
        return 2
    for name, what in done.items():
        print(f"{name}: {what}")
    if any(what == "generated" and "signing" in name for name, what in done.items()):
        print(
            "A new ticket signing key was made: keep a copy offline (aws ssm get-parameter "
            f"--with-decryption --name /admit/{args.stage}/ticket-signing-key)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
