"""The identity port: accounts, passwords, codes and access tokens.

Local accounts (`local.py`) keep hashed passwords in the Store and mail their own codes;
Cognito keeps passwords itself and mails its own codes. Profiles (name, roles) live in
the Store either way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from models.domain import Role, User


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 (the OAuth token type)


class IdentityUnavailable(RuntimeError):
    """The identity provider failed for a reason that is ours, not the person's (an
    outage, configuration, permissions): answered with 503, logged."""


@dataclass(frozen=True)
class SignedIn:
    """A checked password: the account, and the bearer token the identity provider issued
    for it (the API hands it out; the pages keep a session cookie instead)."""

    user: User
    access_token: AccessToken


class Identity(ABC):
    @abstractmethod
    async def sign_up(self, user: User, password: str) -> User:
        """Create the account (raises `EmailTaken`); a code is mailed when `user` is
        unverified. Returns the account as stored: the provider may give it another id."""

    @abstractmethod
    async def send_verification_code(self, email: str) -> None:
        """Mail a fresh code; silently nothing for unknown or verified addresses."""

    @abstractmethod
    async def confirm_email(self, email: str, code: str) -> User:
        """Raises `InvalidCode` for a wrong, spent or expired code."""

    @abstractmethod
    async def authenticate(self, email: str, password: str) -> SignedIn:
        """Raises `InvalidCredentials` or `EmailNotVerified`."""

    @abstractmethod
    async def start_password_reset(self, email: str) -> None:
        """Mail a reset code; silently nothing for unknown addresses."""

    @abstractmethod
    async def reset_password(self, email: str, code: str, new_password: str) -> User:
        """Raises `InvalidCode`."""

    @abstractmethod
    async def grant_role(self, user: User, role: Role) -> None:
        """Give `user` another role (door staff added to an event)."""

    @abstractmethod
    async def subject_for_access_token(self, token: str) -> str | None:
        """The user id a genuine, unexpired token names; None otherwise. No storage read."""

    @abstractmethod
    async def user_for_access_token(self, token: str) -> User | None:
        """The token's user, or None for a forged, expired or unknown token."""
