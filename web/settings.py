"""Every environment variable Admit reads, in one place, into one typed object.

Each setting is written once, as a field of `Settings` that carries its variable's name,
how its text is read, and its documentation (`setting(...)`). Reading the environment
(`Settings.from_env`), the README's settings table (`settings_table()`, written by
`python docs/generate.py`) and the docs tests all come from those fields.

Tests build `Settings` directly (or through `Settings.from_env(environ)`) before the app
exists; nothing else in the code base looks at `os.environ`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from starlette.config import Config

StoreKind = Literal["sqlite", "dynamodb"]
PaymentsKind = Literal["simulator", "stripe"]
IdentityKind = Literal["local", "cognito"]
FilesKind = Literal["local", "s3"]
MailKind = Literal["outbox", "ses"]
LiveFiguresKind = Literal["sse", "poll"]
DeliveryKind = Literal["worker", "in-app", "stream"]
Environment = Literal["local", "production"]


class SettingsError(ValueError):
    """A setting has a value Admit cannot use; the message names the variable."""


Parse = Callable[[str, str], Any]  # (variable name, its text) -> the value


@dataclass(frozen=True)
class SettingDoc:
    """One environment variable: its name, how its text is read, and what it means."""

    name: str
    default: str  # as the README shows it
    help: str
    parse: Parse
    secret: bool = False  # may come from SSM instead, through `<name>_PARAMETER`


# -- readers: each turns a variable's text into a value, or names the variable -------------


def text(name: str, raw: str) -> str:
    return raw.strip()


def verbatim(name: str, raw: str) -> str:
    return raw


def url(name: str, raw: str) -> str:
    return raw.strip().rstrip("/")


def path(name: str, raw: str) -> Path:
    return Path(raw.strip())


def boolean(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false; got {raw!r}")


def boolean_or_unset(name: str, raw: str) -> bool | None:
    return boolean(name, raw) if raw.strip() else None


def choice(*allowed: str) -> Parse:
    def read(name: str, raw: str) -> str:
        value = raw.strip().lower()
        if value not in allowed:
            raise SettingsError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
        return value

    return read


def number(
    cast: type[int] | type[float], low: float = float("-inf"), high: float = float("inf")
) -> Parse:
    def read(name: str, raw: str) -> int | float:
        try:
            value = cast(raw.strip())
        except ValueError:
            kind = "a whole number" if cast is int else "a number"
            raise SettingsError(f"{name} must be {kind}; got {raw!r}") from None
        if not low <= value <= high:
            raise SettingsError(f"{name} must be from {low:g} to {high:g}")
        return value

    return read


def comma_list(name: str, raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def table_names(name: str, raw: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for part in raw.split(","):
        if not part.strip():
            continue
        kind, sep, table = part.partition("=")
        if not sep or not kind.strip() or not table.strip():
            raise SettingsError(f"{name} must look like users=admit-prod-users,events=…")
        pairs.append((kind.strip(), table.strip()))
    return tuple(pairs)


def setting(
    name: str,
    default: Any,
    help: str,
    parse: Parse = text,
    *,
    shown: str | None = None,
    secret: bool = False,
) -> Any:
    """A `Settings` field read from the variable `name`; `shown` is the default as the
    README gives it (when the value itself does not say it well)."""
    doc = SettingDoc(name, shown if shown is not None else _shown(default), help, parse, secret)
    if isinstance(default, Path):
        return field(default_factory=lambda: default, metadata={"setting": doc})
    return field(default=default, metadata={"setting": doc})


def _shown(default: Any) -> str:
    if default in (None, "", ()):
        return "(none)"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, float) and default.is_integer():
        return f"`{int(default)}`"
    return f"`{default}`"


@dataclass(frozen=True)
class Settings:
    env: Environment = setting(
        "ADMIT_ENV",
        "local",
        "`local` or `production`; production makes cookies Secure by default, "
        "hides the developer pages, and refuses to start with the payment simulator "
        "(and `admit demo` refuses to run).",
        choice("local", "production"),
    )
    data_dir: Path = setting(
        "ADMIT_DATA_DIR",
        Path("var"),
        "Database, generated keys, files and the mail outbox.",
        path,
        shown="`./var`",
    )
    base_url: str = setting(
        "ADMIT_BASE_URL", "http://127.0.0.1:8000", "Public address used in mails.", url
    )
    require_email_verification: bool = setting(
        "ADMIT_REQUIRE_EMAIL_VERIFICATION",
        True,
        "New accounts must confirm a 6-digit code sent by mail before they can log in.",
        boolean,
    )
    store: StoreKind = setting(
        "ADMIT_STORE",
        "sqlite",
        "`sqlite` (Piccolo, one file) or `dynamodb`.",
        choice("sqlite", "dynamodb"),
    )
    dynamodb_tables: tuple[tuple[str, str], ...] = setting(
        "ADMIT_DYNAMODB_TABLES",
        (),
        "With `ADMIT_STORE=dynamodb`: the table of each kind of item, as "
        "`users=admit-prod-users,events=…` (serverless.yml sets it).",
        table_names,
    )
    aws_region: str = setting(
        "ADMIT_AWS_REGION",
        "eu-west-1",
        "AWS region of the DynamoDB tables, the bucket, the user pool, SES and SSM.",
    )
    aws_endpoint_url: str = setting(
        "ADMIT_AWS_ENDPOINT_URL",
        "",
        "Another address for the AWS APIs, such as moto or DynamoDB Local; empty means AWS.",
    )
    s3_bucket: str = setting(
        "ADMIT_S3_BUCKET", "", "With `ADMIT_FILES=s3`: the private bucket that keeps ticket PDFs."
    )
    cognito_user_pool_id: str = setting(
        "ADMIT_COGNITO_USER_POOL_ID",
        "",
        "With `ADMIT_IDENTITY=cognito`: the user pool, such as `eu-west-1_AbCdEf123`.",
    )
    cognito_client_id: str = setting(
        "ADMIT_COGNITO_CLIENT_ID",
        "",
        "With `ADMIT_IDENTITY=cognito`: the pool's app client (no secret); bearer tokens "
        "must name it.",
    )
    cognito_issuer: str = setting(
        "ADMIT_COGNITO_ISSUER",
        "",
        "The `iss` every bearer token must carry.",
        url,
        shown="`https://cognito-idp.<region>.amazonaws.com/<pool id>`",
    )
    cognito_jwks_url: str = setting(
        "ADMIT_COGNITO_JWKS_URL",
        "",
        "Where the pool's public signing keys are read (moto serves them at its own address).",
        shown="`<issuer>/.well-known/jwks.json`",
    )
    payments: PaymentsKind = setting(
        "ADMIT_PAYMENTS", "simulator", "`simulator` or `stripe`.", choice("simulator", "stripe")
    )
    stripe_secret_key: str = setting(
        "ADMIT_STRIPE_SECRET_KEY",
        "",
        "Stripe secret key (`sk_test_…` or `sk_live_…`); needed with `ADMIT_PAYMENTS=stripe`.",
        secret=True,
    )
    stripe_publishable_key: str = setting(
        "ADMIT_STRIPE_PUBLISHABLE_KEY",
        "",
        "Stripe publishable key (`pk_…`) that the checkout page hands to Stripe.js.",
        secret=True,
    )
    stripe_webhook_secret: str = setting(
        "ADMIT_STRIPE_WEBHOOK_SECRET",
        "",
        "Signing secret (`whsec_…`) of the webhook endpoint `/webhooks/stripe`; "
        "deliveries not signed with it are refused.",
        secret=True,
    )
    stripe_api_base: str = setting(
        "ADMIT_STRIPE_API_BASE",
        "",
        "Another address for Stripe's API, such as a localstripe emulator; empty means "
        "Stripe itself. When set, payments are created with card-only parameters.",
        url,
    )
    identity: IdentityKind = setting(
        "ADMIT_IDENTITY", "local", "`local` accounts or `cognito`.", choice("local", "cognito")
    )
    files: FilesKind = setting(
        "ADMIT_FILES", "local", "`local` folder or `s3`.", choice("local", "s3")
    )
    mail: MailKind = setting(
        "ADMIT_MAIL",
        "outbox",
        "`outbox` (files under the data dir) or `ses`.",
        choice("outbox", "ses"),
    )
    delivery: DeliveryKind = setting(
        "ADMIT_DELIVERY",
        "worker",
        "Who drains the outbox of ticket deliveries (written with each confirmation): "
        "`worker`, a process of its own (`admit serve` starts one at a lower priority; "
        "`admit worker` runs it alone); `in-app`, the app itself right after each answer "
        "and on its clock (tests, a single process); `stream`, on AWS, the outbox table's "
        "DynamoDB stream invokes the `deliverer` function and the sweeper retries.",
        choice("worker", "in-app", "stream"),
    )
    live_figures: LiveFiguresKind = setting(
        "ADMIT_LIVE_FIGURES",
        "sse",
        "How an open event dashboard learns of new figures: `sse`, a stream of server-sent "
        "events (a long-running server); `poll`, htmx asks every few seconds with the "
        "last ETag and gets 304 when nothing changed (Lambda, where an answer cannot "
        "stream for long).",
        choice("sse", "poll"),
    )
    live_figures_every: float = setting(
        "ADMIT_LIVE_FIGURES_EVERY",
        3.0,
        "Seconds between two looks at an event's figures version (the stream's, or a "
        "poll's period).",
        number(float, 0.05, 300),
    )
    live_figures_stream_for: float = setting(
        "ADMIT_LIVE_FIGURES_STREAM_FOR",
        60.0,
        "Seconds one stream of figures lasts before it ends (the browser opens another; "
        "a server shutting down waits for open streams); 0 ends it after its first event.",
        number(float, 0, 3600),
    )
    messages_per_event_day: int = setting(
        "ADMIT_MESSAGES_PER_EVENT_DAY",
        3,
        "Messages an organizer may send to an event's attendees per day (of the event's "
        "time zone); one more is refused with 429 `message_limit`, so messages cannot "
        "become spam.",
        number(int, 1, 100),
    )
    outbox_attempts: int = setting(
        "ADMIT_OUTBOX_ATTEMPTS",
        8,
        "Tries of a delivery job (30 s, 1 min, 2 min, … apart, at most an hour) before it "
        "is dead: logged at ERROR, kept for `admit outbox retry`.",
        number(int, 1, 50),
    )
    outbox_lease: float = setting(
        "ADMIT_OUTBOX_LEASE",
        120.0,
        "Seconds a worker holds a delivery job it claimed; a worker that died leaves it to "
        "be claimed again after this. Longer than any delivery takes.",
        number(float, 0.1, 3600),
    )
    outbox_poll: float = setting(
        "ADMIT_OUTBOX_POLL",
        0.5,
        "Seconds the delivery worker waits before looking for new jobs when it found none.",
        number(float, 0.01, 60),
    )
    outbox_test_pause: float = setting(
        "ADMIT_OUTBOX_TEST_PAUSE",
        0.0,
        "For tests only: seconds the worker waits after storing a job's PDFs and before "
        "mailing them (the kill test stops it there). 0 in any real use.",
        number(float, 0, 3600),
    )
    mail_from: str = setting(
        "ADMIT_MAIL_FROM", "Admit <tickets@admit.localhost>", "Sender of every mail.", verbatim
    )
    secret_key: str | None = setting(
        "ADMIT_SECRET_KEY",
        None,
        "Signs session cookies and access tokens; keys the hashes of mailed codes.",
        verbatim,
        shown="generated into the data dir",
        secret=True,
    )
    secure_cookies: bool | None = setting(
        "ADMIT_SECURE_COOKIES",
        None,
        "Mark cookies Secure (HTTPS only).",
        boolean_or_unset,
        shown="false locally, true in production",
    )
    ticket_signing_key: str | None = setting(
        "ADMIT_TICKET_SIGNING_KEY",
        None,
        "Ed25519 private key (PEM) that signs ticket codes.",
        verbatim,
        shown="generated into the data dir",
        secret=True,
    )
    ticket_verify_keys: tuple[str, ...] = setting(
        "ADMIT_TICKET_VERIFY_KEYS",
        (),
        "Earlier public keys (base64 of the 32 raw bytes, comma-separated) whose tickets "
        "still admit after a key rotation.",
        comma_list,
    )
    checkin_grace_hours: float = setting(
        "ADMIT_CHECKIN_GRACE_HOURS",
        6.0,
        "Hours after an event's end during which its tickets still scan (then event_over).",
        number(float, 0, 72),
    )
    download_ttl: int = setting(
        "ADMIT_DOWNLOAD_TTL",
        900,
        "Lifetime of a signed ticket download link, in seconds (at most 900).",
        number(int, 1, 900),
    )
    access_token_ttl: int = setting(
        "ADMIT_ACCESS_TOKEN_TTL", 3600, "Lifetime of API bearer tokens, in seconds.", number(int)
    )
    session_max_age: int = setting(
        "ADMIT_SESSION_MAX_AGE",
        14 * 24 * 3600,
        "How long a log-in session lasts after it was last used, in seconds.",
        number(int),
    )
    code_ttl: int = setting(
        "ADMIT_CODE_TTL",
        900,
        "Lifetime of a mailed verification or reset code, in seconds.",
        number(int),
    )
    login_limit_per_account_client: int = setting(
        "ADMIT_LOGIN_LIMIT_PER_ACCOUNT_CLIENT",
        5,
        "Failed log-ins allowed per account and client address together per window.",
        number(int),
    )
    login_limit_per_account: int = setting(
        "ADMIT_LOGIN_LIMIT_PER_ACCOUNT",
        50,
        "Failed log-ins allowed per account from all addresses per window.",
        number(int),
    )
    login_limit_per_client: int = setting(
        "ADMIT_LOGIN_LIMIT_PER_CLIENT",
        100,
        "Failed log-ins allowed per client address per window.",
        number(int),
    )
    login_window: int = setting(
        "ADMIT_LOGIN_WINDOW", 900, "The failed log-in window, in seconds.", number(int)
    )
    sqlite_busy_timeout: float = setting(
        "ADMIT_SQLITE_BUSY_TIMEOUT",
        10.0,
        "Seconds a SQLite writer waits for the lock.",
        number(float),
    )
    seat_shards: int = setting(
        "ADMIT_SEAT_SHARDS",
        1,
        "Counter items a new event's seats are split over on DynamoDB, 1 to 32 (one item"
        " takes about 1,000 writes a second; docs/SCALING.md). `admit shard-event` changes"
        " one event's.",
        number(int, 1, 32),
    )
    hold_minutes: float = setting(
        "ADMIT_HOLD_MINUTES",
        10.0,
        "How long a paid registration holds its seats while waiting for payment.",
        number(float),
    )
    sweep_interval: float = setting(
        "ADMIT_SWEEP_INTERVAL",
        30.0,
        "Seconds between runs of the job that releases run-out holds (0 turns it off).",
        number(float),
    )
    static_hashed_urls: bool = setting(
        "ADMIT_STATIC_HASHED_URLS",
        False,
        "Pages name static files by content hash (`/static/css/app.<hash>.css`), as "
        "`make deploy` uploads them with year-long cache headers (serverless.yml turns it on).",
        boolean,
    )
    origin_verify: str = setting(
        "ADMIT_ORIGIN_VERIFY",
        "",
        "The value CloudFront sends in `X-Origin-Verify` (serverless.yml sets it); requests "
        "carrying it are limited by the viewer's address (`CloudFront-Viewer-Address`).",
    )
    host: str = setting("ADMIT_HOST", "127.0.0.1", "Address `admit serve` binds to.")
    port: int = setting("ADMIT_PORT", 8000, "Port `admit serve` listens on.", number(int))
    # (setting name, SSM parameter name) of each secret read at start-up, from the
    # `<NAME>_PARAMETER` variables; see web/secret_parameters.py.
    secret_parameters: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        # Checked on every construction (from_env, tests, with_changes), so no code path
        # can start a production app whose card form confirms test cards for free.
        if self.env == "production" and self.payments == "simulator":
            raise SettingsError(
                "ADMIT_ENV=production refuses ADMIT_PAYMENTS=simulator: the simulator "
                "confirms test cards without taking any money. Set ADMIT_PAYMENTS=stripe "
                "(with its keys), or ADMIT_ENV=local for a trial."
            )

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
    ) -> Settings:
        """Read ADMIT_* variables (and a `.env` file, which the environment overrides);
        a variable that is not set keeps its field's default."""
        env_path = Path(env_file) if env_file else None
        config = Config(
            env_file=env_path if env_path and env_path.is_file() else None,
            environ=dict(os.environ if environ is None else environ),
        )
        values: dict[str, Any] = {}
        for item, doc in documented_fields():
            raw = config.get(doc.name, default=None)
            if raw is not None:
                values[item.name] = doc.parse(doc.name, raw)
        values["secret_parameters"] = tuple(
            (name, parameter)
            for name in SECRET_SETTINGS
            if (parameter := (config.get(f"{name}_PARAMETER", default=None) or "").strip())
        )
        return cls(**values)

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


def documented_fields() -> Iterator[tuple[Field[Any], SettingDoc]]:
    for item in fields(Settings):
        if "setting" in item.metadata:
            yield item, item.metadata["setting"]


SETTINGS_DOCS: tuple[SettingDoc, ...] = tuple(doc for _, doc in documented_fields())

# Settings that may come from an SSM parameter instead (`<NAME>_PARAMETER`), and the
# Settings field each one fills.
SECRET_SETTINGS: dict[str, str] = {
    doc.name: item.name for item, doc in documented_fields() if doc.secret
}


def settings_table() -> str:
    """The README's table of settings, one row per variable, in field order."""
    rows = ["| name | default | meaning |", "|---|---|---|"]
    for doc in SETTINGS_DOCS:
        rows.append(f"| `{doc.name}` | {doc.default} | {doc.help} |")
    parameters = [f"`{name}_PARAMETER`" for name in SECRET_SETTINGS]
    rows.append(
        f"| {parameters[0]} | (none) | Name of an SSM SecureString read once at start-up into "
        f"`{next(iter(SECRET_SETTINGS))}`; likewise {', '.join(parameters[1:-1])} and "
        f"{parameters[-1]}. |"
    )
    return "\n".join(rows)
