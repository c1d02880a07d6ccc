"""Settings: one typed object from the environment, with embedded defaults."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from web.keys import load_or_create_keys
from web.settings import Settings, SettingsError


def test_defaults_run_everything_locally() -> None:
    settings = Settings.from_env({}, env_file=None)
    assert settings.data_dir == Path("var")
    assert (settings.store, settings.payments, settings.identity) == (
        "sqlite",
        "simulator",
        "local",
    )
    assert (settings.files, settings.mail) == ("local", "outbox")
    assert settings.require_email_verification is True
    assert settings.cookies_secure is False
    assert settings.database_path == Path("var/admit.sqlite3")


def test_environment_is_read_and_typed() -> None:
    settings = Settings.from_env(
        {
            "ADMIT_DATA_DIR": "/tmp/x",
            "ADMIT_REQUIRE_EMAIL_VERIFICATION": "false",
            "ADMIT_ENV": "production",
            "ADMIT_PAYMENTS": "stripe",
            "ADMIT_LOGIN_LIMIT_PER_ACCOUNT": "7",
            "ADMIT_BASE_URL": "https://tickets.example.com/",
        },
        env_file=None,
    )
    assert settings.data_dir == Path("/tmp/x")
    assert settings.require_email_verification is False
    assert settings.cookies_secure is True
    assert settings.login_limit_per_account == 7
    assert settings.base_url == "https://tickets.example.com"


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("ADMIT_PORT=9000\nADMIT_HOST=0.0.0.0\n")
    settings = Settings.from_env({"ADMIT_PORT": "9100"}, env_file=env_file)
    assert settings.port == 9100
    assert settings.host == "0.0.0.0"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ADMIT_STORE", "postgres"),
        ("ADMIT_PORT", "eighty"),
        ("ADMIT_REQUIRE_EMAIL_VERIFICATION", "maybe"),
        ("ADMIT_SECURE_COOKIES", "sometimes"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value}, env_file=None)


def test_keys_are_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = load_or_create_keys(settings)
    second = load_or_create_keys(settings)
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 40
    assert first.ticket_signing_key.public_key() == second.ticket_signing_key.public_key()
    for path in (settings.keys_dir / "secret_key", settings.keys_dir / "ticket_signing_key.pem"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_keys(Settings(data_dir=tmp_path / "other")).secret_key != first.secret_key


def test_secret_from_settings_wins(tmp_path: Path) -> None:
    keys = load_or_create_keys(Settings(data_dir=tmp_path, secret_key="from-parameter-store"))
    assert keys.secret_key == "from-parameter-store"
    assert not (tmp_path / "keys" / "secret_key").exists()


def test_production_refuses_the_payment_simulator() -> None:
    """Issue 10: production with the simulator started, and card 4242 got free paid tickets."""
    with pytest.raises(SettingsError, match=r"ADMIT_ENV=production.*ADMIT_PAYMENTS=simulator"):
        Settings.from_env({"ADMIT_ENV": "production"}, env_file=None)
    with pytest.raises(SettingsError, match="ADMIT_PAYMENTS=simulator"):
        Settings(env="production")
    with pytest.raises(SettingsError, match="ADMIT_PAYMENTS=simulator"):
        Settings(env="production", payments="stripe").with_changes(payments="simulator")
    assert Settings(env="production", payments="stripe").payments == "stripe"
    assert Settings(env="local", payments="simulator").payments == "simulator"
