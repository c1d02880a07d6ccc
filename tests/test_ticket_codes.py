"""Ticket codes cannot be forged (invariant 4): every bit matters, only our keys sign."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.domain import new_id
from models.ticket_codes import CodeSigner, CodeVerifier

KEY = Ed25519PrivateKey.generate()
SIGNER = CodeSigner(KEY)
VERIFIER = CodeVerifier([KEY.public_key()])
TICKET, EVENT = new_id(), new_id()
CODE = SIGNER.sign(TICKET, EVENT)
QR_ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def test_round_trip_and_shape() -> None:
    claims = VERIFIER.verify(CODE)
    assert claims is not None
    assert (claims.ticket_id, claims.event_id, claims.key_id) == (TICKET, EVENT, SIGNER.key_id)
    assert set(CODE) <= QR_ALPHANUMERIC
    assert CODE.startswith(f"AD1-{SIGNER.key_id}-")
    assert len(CODE) < 180
    # Signatures are deterministic: the code never needs storing.
    assert SIGNER.sign(TICKET, EVENT) == CODE


def test_surrounding_white_space_is_ignored_but_nothing_else() -> None:
    assert VERIFIER.verify(f"  {CODE}\n") is not None
    assert VERIFIER.verify(CODE.lower()) is None
    assert VERIFIER.verify(CODE + "A") is None
    assert VERIFIER.verify(CODE[:-1]) is None
    assert VERIFIER.verify(CODE.replace("-", " ")) is None
    assert VERIFIER.verify(CODE + "====") is None
    assert VERIFIER.verify("") is None


def test_every_single_bit_flip_of_the_text_is_refused() -> None:
    raw = CODE.encode("ascii")
    for index in range(len(raw)):
        for bit in range(8):
            flipped = bytearray(raw)
            flipped[index] ^= 1 << bit
            text = flipped.decode("latin-1")
            assert VERIFIER.verify(text) is None, (index, bit)


def test_every_single_bit_flip_of_the_signed_bytes_is_refused() -> None:
    prefix, body = CODE.rsplit("-", 1)
    raw = base64.b32decode(body + "=" * (-len(body) % 8))
    for index in range(len(raw)):
        for bit in range(8):
            flipped = bytearray(raw)
            flipped[index] ^= 1 << bit
            forged = f"{prefix}-{base64.b32encode(bytes(flipped)).decode().rstrip('=')}"
            assert VERIFIER.verify(forged) is None, (index, bit)


def test_another_key_cannot_sign_even_with_our_key_id() -> None:
    thief = CodeSigner(Ed25519PrivateKey.generate())
    forged = thief.sign(TICKET, EVENT)
    assert VERIFIER.verify(forged) is None
    _, _, body = forged.split("-")
    assert VERIFIER.verify(f"AD1-{SIGNER.key_id}-{body}") is None


def test_swapping_ids_breaks_the_signature() -> None:
    other = SIGNER.sign(new_id(), EVENT)
    prefix, body = CODE.rsplit("-", 1)
    mine = base64.b32decode(body + "=" * (-len(body) % 8))
    theirs_body = other.rsplit("-", 1)[1]
    theirs = base64.b32decode(theirs_body + "=" * (-len(theirs_body) % 8))
    spliced = theirs[:16] + mine[16:]
    forged = f"{prefix}-{base64.b32encode(spliced).decode().rstrip('=')}"
    assert VERIFIER.verify(forged) is None


def test_rotated_keys_keep_verifying_old_tickets() -> None:
    new_key = Ed25519PrivateKey.generate()
    rotated = CodeVerifier([new_key.public_key(), KEY.public_key()])
    assert rotated.verify(CODE) is not None
    assert rotated.verify(CodeSigner(new_key).sign(TICKET, EVENT)) is not None
    assert CodeVerifier([new_key.public_key()]).verify(CODE) is None


@pytest.mark.parametrize("junk", ["AD1", "AD1--", "AD2-00000000-AAAA", "x" * 500, "🎟️"])
def test_junk_is_invalid_not_an_error(junk: str) -> None:
    assert VERIFIER.verify(junk) is None


# -- a transferred ticket's new code (its generation is signed) ---------------------------

NEW_CODE = SIGNER.sign(TICKET, EVENT, generation=1)


def test_a_new_generation_is_a_new_code_for_the_same_ticket() -> None:
    """New with transfers: each generation signs to its own code, and the claims say which."""
    assert NEW_CODE != CODE
    assert NEW_CODE.startswith(f"AD2-{SIGNER.key_id}-")
    assert set(NEW_CODE) <= QR_ALPHANUMERIC
    assert len(NEW_CODE) < 180
    for generation in (1, 2, 65535):
        claims = VERIFIER.verify(SIGNER.sign(TICKET, EVENT, generation))
        assert claims is not None
        assert (claims.ticket_id, claims.event_id, claims.generation) == (
            TICKET,
            EVENT,
            generation,
        )
    assert VERIFIER.verify(CODE).generation == 0  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="out of range"):
        SIGNER.sign(TICKET, EVENT, 65536)


def test_the_generation_cannot_be_altered_nor_the_version_swapped() -> None:
    """A holder of an old code cannot turn it into the new one: every bit of an AD2 body
    is signed, an AD1 body under AD2 (or the reverse) is refused, and generation 0 has
    one spelling only (AD1)."""
    prefix, body = NEW_CODE.rsplit("-", 1)
    raw = base64.b32decode(body + "=" * (-len(body) % 8))
    for index in range(len(raw)):
        for bit in range(8):
            flipped = bytearray(raw)
            flipped[index] ^= 1 << bit
            forged = f"{prefix}-{base64.b32encode(bytes(flipped)).decode().rstrip('=')}"
            assert VERIFIER.verify(forged) is None, (index, bit)
    _, kid, old_body = CODE.split("-")
    assert VERIFIER.verify(f"AD2-{kid}-{old_body}") is None
    assert VERIFIER.verify(f"AD1-{kid}-{body}") is None
    # Generation 0 under AD2, properly signed, is still not a code we issue.
    zero = bytes.fromhex(TICKET) + bytes.fromhex(EVENT) + b"\x00\x00"
    signature = KEY.sign(f"AD2-{kid}-".encode() + zero)
    spelt = base64.b32encode(zero + signature).decode().rstrip("=")
    assert VERIFIER.verify(f"AD2-{kid}-{spelt}") is None
