"""Every environment variable Admit reads, in one place, into one typed object.

Tests build `Settings` directly (or through `Settings.from_env(environ)`) before the app
exists; nothing else in the code base looks at `os.environ`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Literal

from starlette.config import Config

StoreKind = Literal["sqlite", "dynamodb"]
PaymentsKind = Literal["simulator", "stripe"]
IdentityKind = Literal["local", "cognito"]
FilesKind = Literal["local", "s3"]
MailKind = Literal["outbox", "ses"]
DeliveryKind = Literal["inline", "sqs"]
Environment = Literal["local", "production"]


class SettingsError(ValueError):
    """A setting has a value Admit cannot use; the message names the variable."""


@dataclass(frozen=True)
class SettingDoc:
    name: str
    default: str
    help: str


# The documented settings, in README order. `tests/test_docs.py` fails when one is missing
# from the README, so this list and the table there stay in step.
SETTINGS_DOCS: tuple[SettingDoc, ...] = (
    SettingDoc(
        "ADMIT_ENV",
        "local",
        "`local` or `production`; production makes cookies Secure by default "
        "and hides the developer pages.",
    ),
    SettingDoc("ADMIT_DATA_DIR", "./var", "Database, generated keys, files and the mail outbox."),
    SettingDoc("ADMIT_BASE_URL", "http://127.0.0.1:8000", "Public address used in mails."),
    SettingDoc(
        "ADMIT_REQUIRE_EMAIL_VERIFICATION",
        "true",
        "New accounts must confirm a 6-digit code sent by mail before they can log in.",
    ),
    SettingDoc("ADMIT_STORE", "sqlite", "`sqlite` (Piccolo, one file) or `dynamodb`."),
    SettingDoc(
        "ADMIT_DYNAMODB_TABLES",
        "(none)",
        "With `ADMIT_STORE=dynamodb`: the table of each kind of item, as "
        "`users=admit-prod-users,events=…` (serverless.yml sets it).",
    ),
    SettingDoc(
        "ADMIT_AWS_REGION",
        "eu-west-1",
        "AWS region of the DynamoDB tables, the bucket, the user pool, SES, SSM and SQS.",
    ),
    SettingDoc(
        "ADMIT_AWS_ENDPOINT_URL",
        "(none)",
        "Another address for the AWS APIs, such as moto or DynamoDB Local; empty means AWS.",
    ),
    SettingDoc(
        "ADMIT_S3_BUCKET",
        "(none)",
        "With `ADMIT_FILES=s3`: the private bucket that keeps ticket PDFs.",
    ),
    SettingDoc(
        "ADMIT_COGNITO_USER_POOL_ID",
        "(none)",
        "With `ADMIT_IDENTITY=cognito`: the user pool, such as `eu-west-1_AbCdEf123`.",
    ),
    SettingDoc(
        "ADMIT_COGNITO_CLIENT_ID",
        "(none)",
        "With `ADMIT_IDENTITY=cognito`: the pool's app client (no secret); bearer tokens "
        "must name it.",
    ),
    SettingDoc(
        "ADMIT_COGNITO_ISSUER",
        "`https://cognito-idp.<region>.amazonaws.com/<pool id>`",
        "The `iss` every bearer token must carry.",
    ),
    SettingDoc(
        "ADMIT_COGNITO_JWKS_URL",
        "`<issuer>/.well-known/jwks.json`",
        "Where the pool's public signing keys are read (moto serves them at its own address).",
    ),
    SettingDoc(
        "ADMIT_SECRET_KEY_PARAMETER",
        "(none)",
        "Name of an SSM SecureString read once at start-up into `ADMIT_SECRET_KEY`; "
        "likewise `ADMIT_TICKET_SIGNING_KEY_PARAMETER`, `ADMIT_STRIPE_SECRET_KEY_PARAMETER`, "
        "`ADMIT_STRIPE_PUBLISHABLE_KEY_PARAMETER` and `ADMIT_STRIPE_WEBHOOK_SECRET_PARAMETER`.",
    ),
    SettingDoc("ADMIT_PAYMENTS", "simulator", "`simulator` or `stripe`."),
    SettingDoc(
        "ADMIT_STRIPE_SECRET_KEY",
        "(none)",
        "Stripe secret key (`sk_test_…` or `sk_live_…`); needed with `ADMIT_PAYMENTS=stripe`.",
    ),
    SettingDoc(
        "ADMIT_STRIPE_PUBLISHABLE_KEY",
        "(none)",
        "Stripe publishable key (`pk_…`) that the checkout page hands to Stripe.js.",
    ),
    SettingDoc(
        "ADMIT_STRIPE_WEBHOOK_SECRET",
        "(none)",
        "Signing secret (`whsec_…`) of the webhook endpoint `/webhooks/stripe`; "
        "deliveries not signed with it are refused.",
    ),
    SettingDoc(
        "ADMIT_STRIPE_API_BASE",
        "(none)",
        "Another address for Stripe's API, such as a localstripe emulator; empty means "
        "Stripe itself. When set, payments are created with card-only parameters.",
    ),
    SettingDoc("ADMIT_IDENTITY", "local", "`local` accounts or `cognito`."),
    SettingDoc("ADMIT_FILES", "local", "`local` folder or `s3`."),
    SettingDoc("ADMIT_MAIL", "outbox", "`outbox` (files under the data dir) or `ses`."),
    SettingDoc(
        "ADMIT_DELIVERY",
        "inline",
        "How confirmed tickets get mailed: `inline` (in the app, after the answer) or `sqs` "
        "(a message to a queue that the `deliverer` function reads).",
    ),
    SettingDoc(
        "ADMIT_DELIVERY_QUEUE_URL",
        "(none)",
        "With `ADMIT_DELIVERY=sqs`: the delivery queue's URL (serverless.yml sets it).",
    ),
    SettingDoc("ADMIT_MAIL_FROM", "Admit <tickets@admit.localhost>", "Sender of every mail."),
    SettingDoc(
        "ADMIT_SECRET_KEY",
        "generated into the data dir",
        "Signs session cookies and access tokens; keys the hashes of mailed codes.",
    ),
    SettingDoc(
        "ADMIT_SECURE_COOKIES",
        "false locally, true in production",
        "Mark cookies Secure (HTTPS only).",
    ),
    SettingDoc(
        "ADMIT_TICKET_SIGNING_KEY",
        "generated into the data dir",
        "Ed25519 private key (PEM) that signs ticket codes.",
    ),
    SettingDoc(
        "ADMIT_TICKET_VERIFY_KEYS",
        "(none)",
        "Earlier public keys (base64 of the 32 raw bytes, comma-separated) whose tickets "
        "still admit after a key rotation.",
    ),
    SettingDoc(
        "ADMIT_CHECKIN_GRACE_HOURS",
        "6",
        "Hours after an event's end during which its tickets still scan (then event_over).",
    ),
    SettingDoc(
        "ADMIT_DOWNLOAD_TTL",
        "900",
        "Lifetime of a signed ticket download link, in seconds (at most 900).",
    ),
    SettingDoc("ADMIT_ACCESS_TOKEN_TTL", "3600", "Lifetime of API bearer tokens, in seconds."),
    SettingDoc(
        "ADMIT_SESSION_MAX_AGE",
        "1209600",
        "How long a log-in session lasts after it was last used, in seconds.",
    ),
    SettingDoc(
        "ADMIT_CODE_TTL", "900", "Lifetime of a mailed verification or reset code, in seconds."
    ),
    SettingDoc(
        "ADMIT_LOGIN_LIMIT_PER_ACCOUNT", "5", "Failed log-ins allowed per account per window."
    ),
    SettingDoc(
        "ADMIT_LOGIN_LIMIT_PER_CLIENT",
        "100",
        "Failed log-ins allowed per client address per window.",
    ),
    SettingDoc("ADMIT_LOGIN_WINDOW", "900", "The failed log-in window, in seconds."),
    SettingDoc("ADMIT_SQLITE_BUSY_TIMEOUT", "10", "Seconds a SQLite writer waits for the lock."),
    SettingDoc(
        "ADMIT_HOLD_MINUTES",
        "10",
        "How long a paid registration holds its seats while waiting for payment.",
    ),
    SettingDoc(
        "ADMIT_SWEEP_INTERVAL",
        "30",
        "Seconds between runs of the job that releases run-out holds (0 turns it off).",
    ),
    SettingDoc(
        "ADMIT_ORIGIN_VERIFY",
        "(none)",
        "The value CloudFront sends in `X-Origin-Verify` (serverless.yml sets it); requests "
        "carrying it are limited by the viewer's address (`CloudFront-Viewer-Address`).",
    ),
    SettingDoc("ADMIT_HOST", "127.0.0.1", "Address `admit serve` binds to."),
    SettingDoc("ADMIT_PORT", "8000", "Port `admit serve` listens on."),
)


# Settings that may come from an SSM parameter instead (`<NAME>_PARAMETER`), and the
# Settings field each one fills.
SECRET_SETTINGS: dict[str, str] = {
    "ADMIT_SECRET_KEY": "secret_key",
    "ADMIT_TICKET_SIGNING_KEY": "ticket_signing_key",
    "ADMIT_STRIPE_SECRET_KEY": "stripe_secret_key",
    "ADMIT_STRIPE_PUBLISHABLE_KEY": "stripe_publishable_key",
    "ADMIT_STRIPE_WEBHOOK_SECRET": "stripe_webhook_secret",
}


@dataclass(frozen=True)
class Settings:
    env: Environment = "local"
    data_dir: Path = field(default_factory=lambda: Path("var"))
    base_url: str = "http://127.0.0.1:8000"
    require_email_verification: bool = True
    store: StoreKind = "sqlite"
    payments: PaymentsKind = "simulator"
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""
    identity: IdentityKind = "local"
    files: FilesKind = "local"
    mail: MailKind = "outbox"
    mail_from: str = "Admit <tickets@admit.localhost>"
    delivery: DeliveryKind = "inline"
    delivery_queue_url: str = ""
    secret_key: str | None = None
    dynamodb_tables: tuple[tuple[str, str], ...] = ()
    aws_region: str = "eu-west-1"
    aws_endpoint_url: str = ""
    s3_bucket: str = ""
    cognito_user_pool_id: str = ""
    cognito_client_id: str = ""
    cognito_issuer: str = ""
    cognito_jwks_url: str = ""
    # (setting name, SSM parameter name) of each secret read at start-up; see secrets.py.
    secret_parameters: tuple[tuple[str, str], ...] = ()
    ticket_signing_key: str | None = None
    ticket_verify_keys: tuple[str, ...] = ()
    checkin_grace_hours: float = 6.0
    download_ttl: int = 900
    secure_cookies: bool | None = None
    access_token_ttl: int = 3600
    session_max_age: int = 14 * 24 * 3600
    code_ttl: int = 900
    login_limit_per_account: int = 5
    login_limit_per_client: int = 100
    login_window: int = 900
    sqlite_busy_timeout: float = 10.0
    hold_minutes: float = 10.0
    sweep_interval: float = 30.0
    origin_verify: str = ""
    host: str = "127.0.0.1"
    port: int = 8000

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
    ) -> Settings:
        """Read ADMIT_* variables (and a `.env` file, which the environment overrides)."""
        env_path = Path(env_file) if env_file else None
        config = Config(
            env_file=env_path if env_path and env_path.is_file() else None,
            environ=dict(os.environ if environ is None else environ),
        )

        def choice(name: str, allowed: tuple[str, ...], default: str) -> str:
            value = config(name, cast=str, default=default).strip().lower()
            if value not in allowed:
                raise SettingsError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
            return value

        try:
            env = choice("ADMIT_ENV", ("local", "production"), "local")
            secure = config("ADMIT_SECURE_COOKIES", cast=str, default="")
            return cls(
                env=env,  # type: ignore[arg-type]
                data_dir=Path(config("ADMIT_DATA_DIR", cast=str, default="var")),
                base_url=config("ADMIT_BASE_URL", cast=str, default=cls.base_url).rstrip("/"),
                require_email_verification=config(
                    "ADMIT_REQUIRE_EMAIL_VERIFICATION", cast=bool, default=True
                ),
                store=choice("ADMIT_STORE", ("sqlite", "dynamodb"), "sqlite"),  # type: ignore[arg-type]
                payments=choice("ADMIT_PAYMENTS", ("simulator", "stripe"), "simulator"),  # type: ignore[arg-type]
                stripe_secret_key=config("ADMIT_STRIPE_SECRET_KEY", cast=str, default="").strip(),
                stripe_publishable_key=config(
                    "ADMIT_STRIPE_PUBLISHABLE_KEY", cast=str, default=""
                ).strip(),
                stripe_webhook_secret=config(
                    "ADMIT_STRIPE_WEBHOOK_SECRET", cast=str, default=""
                ).strip(),
                stripe_api_base=config("ADMIT_STRIPE_API_BASE", cast=str, default="")
                .strip()
                .rstrip("/"),
                identity=choice("ADMIT_IDENTITY", ("local", "cognito"), "local"),  # type: ignore[arg-type]
                files=choice("ADMIT_FILES", ("local", "s3"), "local"),  # type: ignore[arg-type]
                mail=choice("ADMIT_MAIL", ("outbox", "ses"), "outbox"),  # type: ignore[arg-type]
                mail_from=config("ADMIT_MAIL_FROM", cast=str, default=cls.mail_from),
                delivery=choice("ADMIT_DELIVERY", ("inline", "sqs"), "inline"),  # type: ignore[arg-type]
                delivery_queue_url=config("ADMIT_DELIVERY_QUEUE_URL", cast=str, default="").strip(),
                secret_key=config("ADMIT_SECRET_KEY", cast=str, default=None),
                dynamodb_tables=_table_names(config("ADMIT_DYNAMODB_TABLES", cast=str, default="")),
                aws_region=config("ADMIT_AWS_REGION", cast=str, default="eu-west-1").strip(),
                aws_endpoint_url=config("ADMIT_AWS_ENDPOINT_URL", cast=str, default="").strip(),
                s3_bucket=config("ADMIT_S3_BUCKET", cast=str, default="").strip(),
                cognito_user_pool_id=config(
                    "ADMIT_COGNITO_USER_POOL_ID", cast=str, default=""
                ).strip(),
                cognito_client_id=config("ADMIT_COGNITO_CLIENT_ID", cast=str, default="").strip(),
                cognito_issuer=config("ADMIT_COGNITO_ISSUER", cast=str, default="")
                .strip()
                .rstrip("/"),
                cognito_jwks_url=config("ADMIT_COGNITO_JWKS_URL", cast=str, default="").strip(),
                secret_parameters=tuple(
                    (name, parameter)
                    for name in SECRET_SETTINGS
                    if (parameter := config(f"{name}_PARAMETER", cast=str, default="").strip())
                ),
                ticket_signing_key=config("ADMIT_TICKET_SIGNING_KEY", cast=str, default=None),
                ticket_verify_keys=tuple(
                    part.strip()
                    for part in config("ADMIT_TICKET_VERIFY_KEYS", cast=str, default="").split(",")
                    if part.strip()
                ),
                checkin_grace_hours=_grace_hours(
                    config("ADMIT_CHECKIN_GRACE_HOURS", cast=float, default=6.0)
                ),
                download_ttl=_download_ttl(config("ADMIT_DOWNLOAD_TTL", cast=int, default=900)),
                secure_cookies=_parse_bool("ADMIT_SECURE_COOKIES", secure) if secure else None,
                access_token_ttl=config("ADMIT_ACCESS_TOKEN_TTL", cast=int, default=3600),
                session_max_age=config("ADMIT_SESSION_MAX_AGE", cast=int, default=14 * 24 * 3600),
                code_ttl=config("ADMIT_CODE_TTL", cast=int, default=900),
                login_limit_per_account=config(
                    "ADMIT_LOGIN_LIMIT_PER_ACCOUNT", cast=int, default=5
                ),
                login_limit_per_client=config(
                    "ADMIT_LOGIN_LIMIT_PER_CLIENT", cast=int, default=100
                ),
                login_window=config("ADMIT_LOGIN_WINDOW", cast=int, default=900),
                sqlite_busy_timeout=config("ADMIT_SQLITE_BUSY_TIMEOUT", cast=float, default=10.0),
                hold_minutes=config("ADMIT_HOLD_MINUTES", cast=float, default=10.0),
                sweep_interval=config("ADMIT_SWEEP_INTERVAL", cast=float, default=30.0),
                origin_verify=config("ADMIT_ORIGIN_VERIFY", cast=str, default="").strip(),
                host=config("ADMIT_HOST", cast=str, default="127.0.0.1"),
                port=config("ADMIT_PORT", cast=int, default=8000),
            )
        except ValueError as exc:
            if isinstance(exc, SettingsError):
                raise
            raise SettingsError(str(exc)) from exc

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    # Derived values: one definition each, so no caller rebuilds a path.
    @property
    def database_path(self) -> Path:
        return self.data_dir / "admit.sqlite3"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def cookies_secure(self) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.env == "production"

    @property
    def cognito_issuer_url(self) -> str:
        if self.cognito_issuer:
            return self.cognito_issuer
        return f"https://cognito-idp.{self.aws_region}.amazonaws.com/{self.cognito_user_pool_id}"

    @property
    def cognito_jwks(self) -> str:
        return self.cognito_jwks_url or f"{self.cognito_issuer_url}/.well-known/jwks.json"

    @property
    def is_local(self) -> bool:
        return self.env == "local"


def _table_names(raw: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for part in raw.split(","):
        if not part.strip():
            continue
        kind, sep, table = part.partition("=")
        if not sep or not kind.strip() or not table.strip():
            raise SettingsError(
                "ADMIT_DYNAMODB_TABLES must look like users=admit-prod-users,events=…"
            )
        pairs.append((kind.strip(), table.strip()))
    return tuple(pairs)


def _grace_hours(hours: float) -> float:
    if not 0 <= hours <= 72:
        raise SettingsError("ADMIT_CHECKIN_GRACE_HOURS must be from 0 to 72")
    return hours


def _download_ttl(seconds: int) -> int:
    if not 1 <= seconds <= 900:
        raise SettingsError("ADMIT_DOWNLOAD_TTL must be from 1 to 900 seconds")
    return seconds


def _parse_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false; got {raw!r}")


def setting_names() -> list[str]:
    return [doc.name for doc in SETTINGS_DOCS]


def field_names() -> list[str]:
    return [f.name for f in fields(Settings)]
