"""Passwords are stored only as slow argon2id hashes (local identity; Cognito keeps its own)."""

from __future__ import annotations

import httpx
import pytest

from tests.api_helpers import sign_up
from tests.helpers import GOOD_PASSWORD
from web.services.container import Services


@pytest.mark.local_adapters
@pytest.mark.settings(require_email_verification=False)
async def test_passwords_are_stored_as_argon2id_hashes_only(
    client: httpx.AsyncClient, services: Services
) -> None:
    person = await sign_up(client, "hashed@example.com")
    stored = await services.store.get_password_hash(person.id)
    assert stored is not None
    assert stored.startswith("$argon2id$")
    # Memory-hard parameters, not a fast test setting: 64 MiB, three passes.
    assert "m=65536,t=3" in stored
    assert GOOD_PASSWORD not in stored
