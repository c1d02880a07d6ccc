"""Account use cases: sign up, verify, log in (rate-limited), reset a password.

The HTML forms, the JSON API and the CLI all call these, so every front end answers the
same bad input with the same field messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from models.domain import (
    SIGNUP_ROLES,
    Role,
    User,
    email_problem,
    new_id,
    normalize_email,
    password_problem,
    signup_problems,
    utcnow,
)
from models.errors import InvalidCredentials, TooManyAttempts, ValidationFailed
from models.store import Store
from web.adapters.identity.port import Identity, SignedIn

if TYPE_CHECKING:
    from web.services.door_staff import DoorStaff


@dataclass(frozen=True)
class LoginLimits:
    per_account: int = 5
    per_client: int = 100
    window: timedelta = timedelta(minutes=15)


class Accounts:
    def __init__(
        self,
        store: Store,
        identity: Identity,
        require_email_verification: bool,
        limits: LoginLimits,
        door_staff: DoorStaff | None = None,
    ) -> None:
        self.door_staff = door_staff
        self.store = store
        self.identity = identity
        self.require_email_verification = require_email_verification
        self.limits = limits

    async def sign_up(
        self,
        email: str,
        password: str,
        name: str,
        role: str,
        *,
        verified: bool = False,
        allowed_roles: tuple[Role, ...] = SIGNUP_ROLES,
    ) -> User:
        """Self-service sign-up; the CLI passes `verified` and may also create door staff."""
        problems = signup_problems(email, password, name, role, allowed_roles)
        if problems:
            raise ValidationFailed(problems)
        user = User(
            id=new_id(),
            email=normalize_email(email),
            name=name.strip(),
            roles=frozenset({Role(role)}),
            email_verified=verified or not self.require_email_verification,
            created_at=utcnow(),
        )
        made = await self.identity.sign_up(user, password)
        return await self._address_proven(made)

    async def confirm_email(self, email: str, code: str) -> User:
        _require_email(email)
        if not code.strip():
            raise ValidationFailed({"code": "Enter the 6-digit code from the mail."})
        user = await self.identity.confirm_email(normalize_email(email), code)
        return await self._address_proven(user)

    async def _address_proven(self, user: User) -> User:
        """Door staff invitations to this address apply once it is verified (local and
        Cognito accounts alike): never on an address merely typed in. Returns the
        account as it is now (with the door_staff role when one applied)."""
        if self.door_staff is None or not user.email_verified:
            return user
        if not await self.door_staff.accept_invitations(user):
            return user
        return await self.store.get_user(user.id) or user

    async def resend_code(self, email: str) -> None:
        _require_email(email)
        await self.identity.send_verification_code(normalize_email(email))

    async def log_in(self, email: str, password: str, client: str) -> SignedIn:
        """Check the password, counting failures per account and per client address.

        Only failures count, so a venue's shared network is never throttled by its
        successful log-ins; a locked account stays locked even for the right password
        until the window passes, which is what stops guessing.
        """
        address = normalize_email(email)
        now = utcnow()
        since = now - self.limits.window
        keys = {f"client:{client}": self.limits.per_client}
        if address:
            keys[f"account:{address}"] = self.limits.per_account
        for key, limit in keys.items():
            failures = await self.store.login_failures(key, since)
            if failures.count >= limit:
                raise TooManyAttempts(failures.retry_after(self.limits.window, now))
        try:
            if not address or not password:
                raise InvalidCredentials()
            return await self.identity.authenticate(address, password)
        except InvalidCredentials:
            await self.store.record_login_failure(list(keys), now)
            raise

    async def purge_spent(self) -> int:
        """Forget codes that expired and failed log-ins the limits no longer count."""
        now = utcnow()
        return await self.store.purge_spent(now, now - self.limits.window)

    async def start_password_reset(self, email: str) -> None:
        _require_email(email)
        await self.identity.start_password_reset(normalize_email(email))

    async def reset_password(self, email: str, code: str, new_password: str) -> User:
        problems = {}
        if problem := email_problem(email):
            problems["email"] = problem
        if not code.strip():
            problems["code"] = "Enter the 6-digit code from the mail."
        if problem := password_problem(new_password):
            problems["password"] = problem
        if problems:
            raise ValidationFailed(problems)
        return await self.identity.reset_password(normalize_email(email), code, new_password)


def _require_email(email: str) -> None:
    if problem := email_problem(email):
        raise ValidationFailed({"email": problem})
