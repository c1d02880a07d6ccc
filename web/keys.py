"""Secrets the app needs, generated into the data dir on first run and never committed.

Production passes them in through settings (environment, filled from AWS parameters); a
laptop gets fresh random ones the first time it starts, kept under `ADMIT_DATA_DIR/keys/`
so that sessions and issued tickets survive a restart.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from models.private_paths import private_dir
from web.settings import Settings, SettingsError


@dataclass(frozen=True)
class Keys:
    secret_key: str
    ticket_signing_key: Ed25519PrivateKey
    # Keys that signed tickets before a rotation: they verify, never sign.
    ticket_verify_keys: tuple[Ed25519PublicKey, ...] = ()


def load_or_create_keys(settings: Settings) -> Keys:
    secret = (
        settings.secret_key
        or _read_or_write(
            settings.keys_dir / "secret_key", lambda: secrets.token_urlsafe(48).encode()
        ).decode()
    )
    if settings.ticket_signing_key:
        pem = settings.ticket_signing_key.replace("\\n", "\n").encode()
    else:
        pem = _read_or_write(settings.keys_dir / "ticket_signing_key.pem", _new_ed25519_pem)
    try:
        private_key = serialization.load_pem_private_key(pem, password=None)
    except ValueError as exc:
        raise SettingsError("ADMIT_TICKET_SIGNING_KEY is not a PEM private key") from exc
    if not isinstance(private_key, Ed25519PrivateKey):
        raise SettingsError("The ticket signing key must be an Ed25519 private key")
    old_keys = []
    for encoded in settings.ticket_verify_keys:
        try:
            old_keys.append(Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded)))
        except ValueError as exc:
            raise SettingsError(
                "ADMIT_TICKET_VERIFY_KEYS holds a value that is not a base64 Ed25519 public key"
            ) from exc
    return Keys(secret, private_key, tuple(old_keys))


def _new_ed25519_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _read_or_write(path: Path, make: Callable[[], bytes]) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    private_dir(path.parent)
    # Write aside, then link into place: link fails if another worker won the race, and a
    # reader never sees a half-written key.
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(make())
        os.chmod(temp, 0o600)
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        os.unlink(temp)
    return path.read_bytes().strip()
