"""Operator tasks run from the command line."""

from __future__ import annotations

from models.domain import Role
from models.errors import EmailTaken, ValidationFailed
from web.keys import load_or_create_keys
from web.settings import Settings
from web.wiring import open_services


async def create_user(
    settings: Settings, email: str, password: str, role: str, name: str | None
) -> str:
    """Create an active (verified) account; raises ValueError with a readable message."""
    async with open_services(settings, load_or_create_keys(settings)) as services:
        try:
            user = await services.accounts.sign_up(
                email,
                password,
                name or email.split("@", 1)[0],
                role,
                verified=True,
                allowed_roles=tuple(Role),
            )
        except ValidationFailed as exc:
            raise ValueError("; ".join(f"{k}: {v}" for k, v in exc.fields.items())) from exc
        except EmailTaken as exc:
            raise ValueError(exc.message) from exc
    return f"Created {role} {user.email} (id {user.id})."
