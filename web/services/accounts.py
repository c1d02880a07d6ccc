"""Account use cases: sign up, verify, log in, reset a password, under the limits of
web/services/limits.py.

The HTML forms, the JSON API and the CLI all call these, so every front end answers the
same bad input with the same field messages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from models.domain import (
    EMAIL_MAX,
    SIGNUP_ROLES,
    CodePurpose,
    Role,
    User,
    email_problem,
    new_id,
    normalize_email,
    password_problem,
    signup_problems,
    utcnow,
)
from models.errors import InvalidCode, InvalidCredentials, ValidationFailed, WrongPassword
from models.store import Store
from web.adapters.identity.port import Identity, SignedIn
from web.services.limits import Limiter, Rule, wait_text

if TYPE_CHECKING:
    from web.services.door_staff import DoorStaff


class Accounts:
    def __init__(
        self,
        store: Store,
        identity: Identity,
        require_email_verification: bool,
        limiter: Limiter,
        door_staff: DoorStaff | None = None,
    ) -> None:
        self.door_staff = door_staff
        self.store = store
        self.identity = identity
        self.require_email_verification = require_email_verification
        self.limiter = limiter

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
        stored = await self.identity.sign_up(user, password)
        if not stored.email_verified:
            # The code just mailed counts: asking for another waits like any other.
            await self.limiter.note(
                self.limiter.code_send_rules(stored.email, CodePurpose.VERIFY_EMAIL)
            )
        return await self._address_proven(stored)

    async def confirm_email(self, email: str, code: str) -> User:
        _require_email(email)
        if not code.strip():
            raise ValidationFailed({"code": "Enter the 6-digit code from the mail."})
        address = normalize_email(email)
        user = await self._checking_code(
            address, lambda: self.identity.confirm_email(address, code)
        )
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
        address = normalize_email(email)
        await self._sending_code(
            address,
            CodePurpose.VERIFY_EMAIL,
            lambda: self.identity.send_verification_code(address),
        )

    async def log_in(self, email: str, password: str, client: str) -> SignedIn:
        """Check the password under the failed log-in limits (web/services/limits.py).

        The attempt is counted before the password is checked and forgotten again unless
        the password was wrong, so only failures count (a venue's shared network is never
        throttled by its successful log-ins) and parallel guesses cannot pass a limit.
        Once a limit is reached even the right password is refused until the window
        passes, which is what stops guessing; but the limit of one account and client
        address together is far below the account's own, so a stranger's guesses do not
        lock the person out of their own phone.
        """
        address = normalize_email(email)
        if len(address) > EMAIL_MAX:
            address = ""  # no account has it; and it would not fit a DynamoDB key

        async def authenticate() -> SignedIn:
            if not address or not password:
                raise InvalidCredentials()
            return await self.identity.authenticate(address, password)

        return await self.limiter.counting_failures(
            self.limiter.login_rules(address, client),
            _login_refusal,
            InvalidCredentials,
            authenticate,
        )

    async def change_password(
        self, user: User, current_password: str, new_password: str, client: str
    ) -> None:
        """A wrong current password is a guess at it, as a wrong log-in is: it counts
        against the same limits, so a stolen session gets no unlimited guesses."""
        await self.limiter.counting_failures(
            self.limiter.login_rules(user.email, client),
            _login_refusal,
            WrongPassword,
            lambda: self.identity.change_password(user, current_password, new_password),
        )

    async def purge_spent(self) -> int:
        """Forget codes that expired and attempts that no limit counts any more."""
        now = utcnow()
        return await self.store.purge_spent(now, now - self.limiter.longest_window)

    async def start_password_reset(self, email: str) -> None:
        _require_email(email)
        address = normalize_email(email)
        await self._sending_code(
            address,
            CodePurpose.RESET_PASSWORD,
            lambda: self.identity.start_password_reset(address),
        )

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
        address = normalize_email(email)
        user = await self._checking_code(
            address, lambda: self.identity.reset_password(address, code, new_password)
        )
        # Receiving the reset code proves the address, as a verification code does.
        return await self._address_proven(user)

    # -- the code limits (local accounts and Cognito alike) ------------------------------

    async def _checking_code(self, address: str, check: Callable[[], Awaitable[User]]) -> User:
        """Check a verification or reset code under the account's wrong-code limit: one
        counter for both kinds and for every code sent, so asking for new codes never
        brings more guesses. A right code (or any refusal that is not about the code)
        does not count."""
        return await self.limiter.counting_failures(
            [self.limiter.code_check_rule(address)], _code_check_refusal, InvalidCode, check
        )

    async def _sending_code(
        self, address: str, purpose: CodePurpose, send: Callable[[], Awaitable[None]]
    ) -> None:
        """Mail a new code of a kind at most once a minute, and `CODES_PER_DAY` codes a day,
        per address. Counted whether or not an account has the address, so the answer does
        not tell which addresses have one; nothing is made or mailed when refused."""
        rules = self.limiter.code_send_rules(address, purpose)
        taken = await self.limiter.take(rules, _send_refusal)
        try:
            await send()
        except BaseException:
            # Nothing reached the person: they may ask again at once.
            await self.limiter.release(taken)
            raise


def _login_refusal(rule: Rule, retry_after: int) -> str:
    return (
        f"Too many failed log-ins. Try again in {wait_text(retry_after)}, or reset your password."
    )


def _code_check_refusal(rule: Rule, retry_after: int) -> str:
    return (
        f"Too many wrong codes for this account. Try again in {wait_text(retry_after)}; "
        "a new code does not help before then."
    )


def _send_refusal(rule: Rule, retry_after: int) -> str:
    if rule.limit == 1:
        return (
            "A new code was asked for less than a minute ago. "
            f"Wait {wait_text(retry_after)} before asking again."
        )
    return (
        f"That is the most codes we send to one address in a day ({rule.limit}). "
        f"Try again in {wait_text(retry_after)}."
    )


def _require_email(email: str) -> None:
    if problem := email_problem(email):
        raise ValidationFailed({"email": problem})
