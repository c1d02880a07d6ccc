"""Local accounts: argon2-hashed passwords in the Store, codes mailed through the Mailer,
and signed, expiring bearer tokens."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from models.domain import CodePurpose, OneTimeCode, Role, User, clean_code, new_code, utcnow
from models.errors import EmailNotVerified, InvalidCode, InvalidCredentials, WrongPassword
from models.store import Store
from web.adapters.identity.port import AccessClaims, AccessToken, Identity, SignedIn
from web.adapters.mail.port import Mailer
from web.mails import reset_mail, verification_mail

_HASHER = PasswordHasher()
# Compared against when the account does not exist, so a wrong email costs as much time
# as a wrong password and timing does not reveal which accounts exist.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$/H6DWkalggE2ITouVfGA0A"
    "$fSpwYc3xu4IiBJJ3di2UDyyS38GaB19k2+xflMY19Eo"
)


class LocalIdentity(Identity):
    def __init__(
        self,
        store: Store,
        mailer: Mailer,
        secret_key: str,
        base_url: str,
        code_ttl: int,
        token_ttl: int,
    ) -> None:
        self.store = store
        self.mailer = mailer
        self.secret_key = secret_key.encode()
        self.base_url = base_url
        self.code_ttl = code_ttl
        self.token_ttl = token_ttl
        self.tokens = URLSafeTimedSerializer(secret_key, salt="admit.access-token")

    # -- accounts -----------------------------------------------------------------------

    async def sign_up(self, user: User, password: str) -> User:
        password_hash = await asyncio.to_thread(_HASHER.hash, password)
        await self.store.create_user(user, password_hash)
        if not user.email_verified:
            await self._mail_code(user.email, user.name, CodePurpose.VERIFY_EMAIL)
        return user

    async def send_verification_code(self, email: str) -> None:
        user = await self.store.get_user_by_email(email)
        if user is not None and not user.email_verified:
            await self._mail_code(email, user.name, CodePurpose.VERIFY_EMAIL)

    async def confirm_email(self, email: str, code: str) -> User:
        user = await self.store.get_user_by_email(email)
        # A verified account has no code to check: answering with the user would log
        # anyone in as anyone, so it gets the same refusal as a wrong code.
        if user is None or user.email_verified:
            raise InvalidCode()
        await self._check_code(email, CodePurpose.VERIFY_EMAIL, code)
        await self.store.mark_email_verified(user.id)
        return await self._reload(user)

    async def authenticate(self, email: str, password: str) -> SignedIn:
        user = await self.store.get_user_by_email(email)
        stored = await self.store.get_password_hash(user.id) if user else None
        if not await asyncio.to_thread(_verify, stored or _DUMMY_HASH, password) or not user:
            raise InvalidCredentials()
        if not user.email_verified:
            raise EmailNotVerified()
        return SignedIn(user, self.issue_access_token(user))

    async def start_password_reset(self, email: str) -> None:
        user = await self.store.get_user_by_email(email)
        if user is not None:
            await self._mail_code(email, user.name, CodePurpose.RESET_PASSWORD)

    async def reset_password(self, email: str, code: str, new_password: str) -> User:
        user = await self.store.get_user_by_email(email)
        if user is None:
            raise InvalidCode()
        await self._check_code(email, CodePurpose.RESET_PASSWORD, code)
        await self.store.set_password_hash(
            user.id, await asyncio.to_thread(_HASHER.hash, new_password)
        )
        # Receiving the code proves the address, so an unverified account is verified too.
        if not user.email_verified:
            await self.store.mark_email_verified(user.id)
        return await self._reload(user)

    async def change_password(self, user: User, current_password: str, new_password: str) -> None:
        stored = await self.store.get_password_hash(user.id)
        if not await asyncio.to_thread(_verify, stored or _DUMMY_HASH, current_password):
            raise WrongPassword()
        await self.store.set_password_hash(
            user.id, await asyncio.to_thread(_HASHER.hash, new_password)
        )

    async def revoke_tokens(self, user: User) -> User:
        return await self.store.revoke_user_tokens(user.id, utcnow())

    async def grant_role(self, user: User, role: Role) -> None:
        await self.store.add_role(user.id, role)

    # -- tokens -------------------------------------------------------------------------

    def issue_access_token(self, user: User) -> AccessToken:
        """A bearer token for `user` (also used by tests and tools to skip the password),
        valid while the account stays in its current token generation."""
        claims = {"sub": user.id, "gen": user.token_generation}
        return AccessToken(token=self.tokens.dumps(claims), expires_in=self.token_ttl)

    async def access_claims(self, token: str) -> AccessClaims | None:
        try:
            claims = self.tokens.loads(token, max_age=self.token_ttl)
        except BadSignature:
            return None
        if not isinstance(claims, dict):
            return None
        subject, generation = claims.get("sub"), claims.get("gen", 0)
        if not isinstance(subject, str) or not subject or type(generation) is not int:
            return None
        return AccessClaims(subject=subject, generation=generation)

    # -- codes --------------------------------------------------------------------------

    def _hash_code(self, email: str, purpose: CodePurpose, code: str) -> str:
        message = f"{purpose.value}:{email}:{code}".encode()
        return hmac.new(self.secret_key, message, hashlib.sha256).hexdigest()

    async def _mail_code(self, email: str, name: str, purpose: CodePurpose) -> None:
        code = new_code()
        expires_at = utcnow() + timedelta(seconds=self.code_ttl)
        await self.store.put_code(
            OneTimeCode(email, purpose, self._hash_code(email, purpose, code), expires_at)
        )
        minutes = max(1, self.code_ttl // 60)
        if purpose is CodePurpose.VERIFY_EMAIL:
            mail = verification_mail(email, name, code, minutes, self.base_url)
        else:
            mail = reset_mail(email, code, minutes, self.base_url)
        await self.mailer.send(mail)

    async def _check_code(self, email: str, purpose: CodePurpose, code: str) -> None:
        stored = await self.store.get_code(email, purpose)
        if stored is None or stored.is_expired(utcnow()):
            raise InvalidCode("That code has expired. Ask for a new one.")
        # Spend an attempt before comparing, so parallel guesses cannot exceed the limit.
        if await self.store.use_code_attempt(email, purpose) < 0:
            raise InvalidCode("Too many wrong codes. Ask for a new one.")
        expected = self._hash_code(email, purpose, clean_code(code))
        if not hmac.compare_digest(expected, stored.code_hash):
            raise InvalidCode("That code is not right. Check the mail and try again.")
        await self.store.delete_code(email, purpose)

    async def _reload(self, user: User) -> User:
        fresh = await self.store.get_user(user.id)
        assert fresh is not None
        return fresh


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
