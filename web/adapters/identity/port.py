"""The identity port: accounts, passwords, codes and access tokens.

Local accounts (`local.py`) keep hashed passwords in the Store and mail their own codes;
Cognito keeps passwords itself and mails its own codes. Profiles (name, roles) live in
the Store either way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from models.domain import Role, User
from models.sessions import token_accepted
from models.store import Store


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 (the OAuth token type)


@dataclass(frozen=True)
class AccessClaims:
    """What a genuine, unexpired bearer token says: whose it is, and when it was issued
    (the account's token generation for local tokens, the issue time in epoch seconds for
    the provider's), so that tokens from before a revocation can be refused."""

    subject: str
    generation: int | None = None
    issued_at: int | None = None


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
    store: Store

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
    async def change_password(self, user: User, current_password: str, new_password: str) -> None:
        """Raises `WrongPassword` when `current_password` is not the account's, and
        `ValidationFailed` on `new_password` when the provider refuses it."""

    @abstractmethod
    async def revoke_tokens(self, user: User) -> User:
        """Every access token issued for `user` so far stops working (the account's token
        generation moves on); returns the account as it is now."""

    @abstractmethod
    async def access_claims(self, token: str) -> AccessClaims | None:
        """The claims of a genuine, unexpired token; None otherwise. No storage read."""

    async def subject_for_access_token(self, token: str) -> str | None:
        """The user id a genuine, unexpired token names; None otherwise. No storage read
        (and so no revocation check: `user_for_access_token` makes that)."""
        claims = await self.access_claims(token)
        return claims.subject if claims else None

    async def user_for_access_token(self, token: str) -> User | None:
        """The token's user, or None for a forged, expired, unknown or revoked token."""
        claims = await self.access_claims(token)
        user = await self.store.get_user(claims.subject) if claims else None
        if user is None or claims is None:
            return None
        return user if token_accepted(user, claims.generation, claims.issued_at) else None
