"""Ticket codes that cannot be forged (invariant 4).

A code is `AD1-<KEY ID>-<BASE32 BODY>`: version 1, the signing key's id (8 hex digits of
the SHA-256 of its public key, so keys can rotate), and, in base32, the ticket id, the
event id and an Ed25519 signature over version, key id and both ids. Every character is
in QR's alphanumeric set (0-9, A-Z, '-'), which packs 5.5 bits per character instead of 8.

A ticket passed on to someone else keeps its id but gets a new code: its code generation
(1, 2, ... with each transfer) is signed with the ids, as `AD2-<KEY ID>-<BODY>` where the
body holds the two ids, the generation in two bytes (big-endian) and the signature over
`AD2-<KEY ID>-` and those 34 bytes. Generation 0 is the first code, spelt `AD1` as ever,
so codes printed before transfers existed stay the same. The door voids a code whose
generation is not the ticket's (models/tickets.py).

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
TRANSFERRED_VERSION = "AD2"
ID_BYTES = 16
GENERATION_BYTES = 2
MOST_GENERATIONS = 2 ** (8 * GENERATION_BYTES) - 1
SIGNATURE_BYTES = 64


@dataclass(frozen=True)
class CodeClaims:
    ticket_id: str
    event_id: str
    key_id: str
    generation: int = 0  # the ticket's code generation this code was signed for


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_bytes(key)).hexdigest()[:8].upper()


def _message(version: str, kid: str, signed: bytes) -> bytes:
    return f"{version}-{kid}-".encode() + signed


class CodeSigner:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key
        self.key_id = key_id(private_key.public_key())

    def sign(self, ticket_id: str, event_id: str, generation: int = 0) -> str:
        if not 0 <= generation <= MOST_GENERATIONS:
            raise ValueError(f"code generation {generation} out of range")
        signed = uuid.UUID(hex=ticket_id).bytes + uuid.UUID(hex=event_id).bytes
        version = VERSION
        if generation:
            version = TRANSFERRED_VERSION
            signed += generation.to_bytes(GENERATION_BYTES, "big")
        signature = self.private_key.sign(_message(version, self.key_id, signed))
        body = base64.b32encode(signed + signature).decode().rstrip("=")
        return f"{version}-{self.key_id}-{body}"


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
        if len(parts) != 3 or parts[0] not in (VERSION, TRANSFERRED_VERSION):
            return None
        version, kid, body = parts
        key = self.keys.get(kid)
        if key is None:
            return None
        try:
            raw = base64.b32decode(body + "=" * (-len(body) % 8), casefold=False)
        except (binascii.Error, ValueError):
            return None
        signed_bytes = 2 * ID_BYTES + (GENERATION_BYTES if version == TRANSFERRED_VERSION else 0)
        if len(raw) != signed_bytes + SIGNATURE_BYTES:
            return None
        # base32 can spell the same bytes more than one way (unused trailing bits); only
        # the spelling we issued is accepted.
        if base64.b32encode(raw).decode().rstrip("=") != body:
            return None
        signed, signature = raw[:signed_bytes], raw[signed_bytes:]
        generation = int.from_bytes(signed[2 * ID_BYTES :], "big")
        if version == TRANSFERRED_VERSION and generation == 0:
            return None  # generation 0 is spelt AD1 only: one spelling per code
        try:
            key.verify(signature, _message(version, kid, signed))
        except InvalidSignature:
            return None
        return CodeClaims(signed[:16].hex(), signed[16:32].hex(), kid, generation)
