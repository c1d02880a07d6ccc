"""Ticket codes that cannot be forged (invariant 4).

A code is `AD1-<KEY ID>-<BASE32 BODY>`: version 1, the signing key's id (8 hex digits of
the SHA-256 of its public key, so keys can rotate), and, in base32, the ticket id, the
event id and an Ed25519 signature over version, key id and both ids. Every character is
in QR's alphanumeric set (0-9, A-Z, '-'), which packs 5.5 bits per character instead of 8.

Verifying needs only public keys: a door phone that is lost cannot mint tickets.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

VERSION = "AD1"
ID_BYTES = 16
SIGNATURE_BYTES = 64


@dataclass(frozen=True)
class CodeClaims:
    ticket_id: str
    event_id: str
    key_id: str


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_bytes(key)).hexdigest()[:8].upper()


def _message(kid: str, ticket: bytes, event: bytes) -> bytes:
    return f"{VERSION}-{kid}-".encode() + ticket + event


class CodeSigner:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key
        self.key_id = key_id(private_key.public_key())

    def sign(self, ticket_id: str, event_id: str) -> str:
        ticket, event = uuid.UUID(hex=ticket_id).bytes, uuid.UUID(hex=event_id).bytes
        signature = self.private_key.sign(_message(self.key_id, ticket, event))
        body = base64.b32encode(ticket + event + signature).decode().rstrip("=")
        return f"{VERSION}-{self.key_id}-{body}"


class CodeVerifier:
    """Knows the public keys of every key that may have signed a live ticket."""

    def __init__(self, keys: Iterable[Ed25519PublicKey]) -> None:
        self.keys = {key_id(key): key for key in keys}

    def verify(self, code: str) -> CodeClaims | None:
        """The claims of a code we signed; None for anything else.

        Surrounding white space is ignored; any other difference from the issued text
        (case, padding, a flipped bit) makes it invalid.
        """
        parts = code.strip().split("-")
        if len(parts) != 3 or parts[0] != VERSION:
            return None
        _, kid, body = parts
        key = self.keys.get(kid)
        if key is None:
            return None
        try:
            raw = base64.b32decode(body + "=" * (-len(body) % 8), casefold=False)
        except (binascii.Error, ValueError):
            return None
        if len(raw) != 2 * ID_BYTES + SIGNATURE_BYTES:
            return None
        # base32 can spell the same bytes more than one way (unused trailing bits); only
        # the spelling we issued is accepted.
        if base64.b32encode(raw).decode().rstrip("=") != body:
            return None
        ticket, event, signature = raw[:16], raw[16:32], raw[32:]
        try:
            key.verify(signature, _message(kid, ticket, event))
        except InvalidSignature:
            return None
        return CodeClaims(ticket.hex(), event.hex(), kid)
