"""Cognito accounts: the user pool keeps passwords, mails the codes and issues the bearer
tokens; the Store keeps each person's profile (name, roles) under the pool's `sub`.

The server calls the public, client-id-only operations (SignUp, ConfirmSignUp,
InitiateAuth with USER_PASSWORD_AUTH, ForgotPassword...) from its own forms, and a few
admin operations that need IAM (confirming accounts made by the CLI, groups). Groups
are roles: `Organizers`, `Attendees` and `DoorStaff`. A group given in the Cognito console
becomes a role at the person's next log-in, so the first organizer of a new deployment can
be made there (DEPLOYMENT.md).

Bearer tokens are the pool's access tokens, checked here without a call to Cognito:
RS256 signature against the pool's JWKS (fetched once, again when a token names an
unknown key), issuer, `client_id`, `token_use` = access, and expiry. A token checked
that way stays good until it expires, whatever Cognito's global sign-out did to it, so
revoking also stamps the profile's `tokens_valid_after` and tokens issued before it are
refused by their `iat` (models/sessions.py `token_accepted`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import urllib.request
from dataclasses import replace
from typing import Any

from models.domain import Role, User, clean_code, utcnow
from models.errors import (
    EmailNotVerified,
    EmailTaken,
    InvalidCode,
    InvalidCredentials,
    TooManyAttempts,
    ValidationFailed,
    WrongPassword,
)
from models.store import Store
from web.adapters.aws_clients import AwsClients, error_code
from web.adapters.identity.port import (
    AccessClaims,
    AccessToken,
    Identity,
    IdentityUnavailable,
    SignedIn,
)

log = logging.getLogger("admit")

GROUPS: dict[Role, str] = {
    Role.ORGANIZER: "Organizers",
    Role.ATTENDEE: "Attendees",
    Role.DOOR_STAFF: "DoorStaff",
}
ROLES = {group: role for role, group in GROUPS.items()}

# Cognito's own throttles on codes and guesses; it says when, not how long, so the
# answer suggests the same wait as Admit's own log-in limit.
_THROTTLED = {
    "LimitExceededException",
    "TooManyRequestsException",
    "TooManyFailedAttemptsException",
}
_RETRY_AFTER = 15 * 60
# At most one JWKS fetch per this many seconds for unknown key ids: a flood of forged
# tokens naming random keys must not turn into a flood of requests to Cognito.
_JWKS_REFRESH_GAP = 300.0


class CognitoIdentity(Identity):
    def __init__(
        self,
        store: Store,
        aws: AwsClients,
        user_pool_id: str,
        client_id: str,
        issuer: str,
        jwks_url: str,
    ) -> None:
        self.store = store
        self.aws = aws
        self.user_pool_id = user_pool_id
        self.client_id = client_id
        self.issuer = issuer
        self.jwks = _Jwks(jwks_url)

    async def _call(self, operation: str, **arguments: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError

        client = await self.aws.client("cognito-idp")
        try:
            return await getattr(client, operation)(**arguments)
        except BotoCoreError as exc:
            raise IdentityUnavailable(f"Cognito {operation} failed: {exc}") from exc

    # -- accounts -----------------------------------------------------------------------

    async def sign_up(self, user: User, password: str) -> User:
        try:
            answer = await self._call(
                "sign_up",
                ClientId=self.client_id,
                Username=user.email,
                Password=password,
                UserAttributes=[
                    {"Name": "email", "Value": user.email},
                    {"Name": "name", "Value": user.name},
                ],
            )
        except Exception as exc:
            raise _translated(exc, field="password") from exc
        # The pool's `sub` names the person in every token, so it is their id here too.
        stored = replace(user, id=answer["UserSub"])
        try:
            if stored.email_verified:
                await self._call(
                    "admin_confirm_sign_up", UserPoolId=self.user_pool_id, Username=user.email
                )
                await self._call(
                    "admin_update_user_attributes",
                    UserPoolId=self.user_pool_id,
                    Username=user.email,
                    UserAttributes=[{"Name": "email_verified", "Value": "true"}],
                )
            for role in stored.roles:
                await self._add_to_group(stored.email, role)
            await self.store.create_user(stored, None)
        except Exception:
            # Without its profile the account could never log in, and its address would
            # stay taken: undo the pool's half.
            try:
                await self._call(
                    "admin_delete_user", UserPoolId=self.user_pool_id, Username=user.email
                )
            except Exception:
                # The first failure is the one to report; this one needs a person.
                log.exception("could not undo the Cognito sign-up of %s", user.email)
            raise
        return stored

    async def send_verification_code(self, email: str) -> None:
        user = await self.store.get_user_by_email(email)
        if user is None or user.email_verified:
            return
        try:
            await self._call("resend_confirmation_code", ClientId=self.client_id, Username=email)
        except Exception as exc:
            if error_code(exc) in ("UserNotFoundException", "InvalidParameterException"):
                return  # unknown or already confirmed: silently nothing, as the port says
            raise _translated(exc) from exc

    async def confirm_email(self, email: str, code: str) -> User:
        user = await self.store.get_user_by_email(email)
        # As with local accounts: a verified account has no code to check.
        if user is None or user.email_verified:
            raise InvalidCode()
        try:
            await self._call(
                "confirm_sign_up",
                ClientId=self.client_id,
                Username=email,
                ConfirmationCode=clean_code(code),
            )
        except Exception as exc:
            raise _translated(exc) from exc
        await self.store.mark_email_verified(user.id)
        return await self._reload(user.id)

    async def authenticate(self, email: str, password: str) -> SignedIn:
        try:
            answer = await self._call(
                "initiate_auth",
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )
        except Exception as exc:
            code = error_code(exc)
            if code == "UserNotConfirmedException":
                raise EmailNotVerified() from exc
            if code in ("NotAuthorizedException", "UserNotFoundException"):
                raise InvalidCredentials() from exc
            if code == "PasswordResetRequiredException":
                raise InvalidCredentials("Reset your password to log in again.") from exc
            raise _translated(exc) from exc
        result = answer.get("AuthenticationResult")
        if not result:
            # A challenge (a temporary password set by an administrator, MFA): the forms
            # have no step for it, and a password reset gets the person past it.
            raise InvalidCredentials("Reset your password to finish setting up this account.")
        user = await self._profile(result["IdToken"])
        token = AccessToken(token=result["AccessToken"], expires_in=int(result["ExpiresIn"]))
        return SignedIn(user, token)

    async def start_password_reset(self, email: str) -> None:
        # Cognito mails reset codes to confirmed addresses only; an unconfirmed account
        # gets nothing here and confirms its address first (the log-in form says so).
        try:
            await self._call("forgot_password", ClientId=self.client_id, Username=email)
        except Exception as exc:
            if error_code(exc) in ("UserNotFoundException", "InvalidParameterException"):
                return
            raise _translated(exc) from exc

    async def reset_password(self, email: str, code: str, new_password: str) -> User:
        user = await self.store.get_user_by_email(email)
        if user is None:
            raise InvalidCode()
        try:
            await self._call(
                "confirm_forgot_password",
                ClientId=self.client_id,
                Username=email,
                ConfirmationCode=clean_code(code),
                Password=new_password,
            )
        except Exception as exc:
            raise _translated(exc, field="password") from exc
        return await self._reload(user.id)

    async def change_password(self, user: User, current_password: str, new_password: str) -> None:
        # ChangePassword wants the person's own access token; the pages keep none, so the
        # current password is checked by signing in with it, which also yields one.
        try:
            answer = await self._call(
                "initiate_auth",
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": user.email, "PASSWORD": current_password},
            )
        except Exception as exc:
            if error_code(exc) in ("NotAuthorizedException", "UserNotFoundException"):
                raise WrongPassword() from exc
            raise _translated(exc) from exc
        result = answer.get("AuthenticationResult") or {}
        if "AccessToken" not in result:
            raise WrongPassword()
        try:
            await self._call(
                "change_password",
                PreviousPassword=current_password,
                ProposedPassword=new_password,
                AccessToken=result["AccessToken"],
            )
        except Exception as exc:
            raise _translated(exc, field="new_password") from exc

    async def revoke_tokens(self, user: User) -> User:
        try:
            await self._call(
                "admin_user_global_sign_out", UserPoolId=self.user_pool_id, Username=user.email
            )
        except Exception as exc:
            raise _translated(exc) from exc
        now = utcnow()
        revoked = await self.store.revoke_user_tokens(user.id, now)
        # Cognito's `iat` counts whole seconds: a token it issues later in this same
        # second would look as old as the ones just revoked, so this waits the second out
        # (at most a second, on a rare request) before anyone can sign in again.
        await asyncio.sleep(max(0.0, int(now.timestamp()) + 1 - time.time()))
        return revoked

    async def grant_role(self, user: User, role: Role) -> None:
        await self._add_to_group(user.email, role)
        await self.store.add_role(user.id, role)

    async def _add_to_group(self, email: str, role: Role) -> None:
        try:
            await self._call(
                "admin_add_user_to_group",
                UserPoolId=self.user_pool_id,
                Username=email,
                GroupName=GROUPS[role],
            )
        except Exception as exc:
            raise _translated(exc) from exc

    async def _profile(self, id_token: str) -> User:
        """The Store's profile of the person Cognito just signed in, in step with the
        pool: made when the account was created in the pool itself, given the roles of
        groups added there, and marked verified."""
        import jwt

        # Straight from Cognito over TLS, so its claims need no second check here.
        claims = jwt.decode(id_token, options={"verify_signature": False})
        subject = str(claims["sub"])
        roles = {ROLES[g] for g in claims.get("cognito:groups", ()) if g in ROLES}
        user = await self.store.get_user(subject)
        if user is None:
            user = User(
                id=subject,
                email=str(claims.get("email", "")).lower(),
                name=str(claims.get("name") or claims.get("email", "")).strip(),
                roles=frozenset(roles or {Role.ATTENDEE}),
                email_verified=True,
                created_at=utcnow(),
            )
            # Two first log-ins at once: the other one made the profile.
            with contextlib.suppress(EmailTaken):
                await self.store.create_user(user, None)
            made = await self.store.get_user(subject)
            if made is None:
                raise IdentityUnavailable(
                    f"{user.email} has a profile under another id than its Cognito sub"
                )
            return made
        changed = False
        for role in roles - user.roles:
            await self.store.add_role(user.id, role)
            changed = True
        if not user.email_verified:
            await self.store.mark_email_verified(user.id)
            changed = True
        return await self._reload(subject) if changed else user

    async def _reload(self, user_id: str) -> User:
        fresh = await self.store.get_user(user_id)
        assert fresh is not None
        return fresh

    # -- tokens -------------------------------------------------------------------------

    async def access_claims(self, token: str) -> AccessClaims | None:
        import jwt

        try:
            header = jwt.get_unverified_header(token)
            key = await self.jwks.key(str(header.get("kid", "")))
            if key is None:
                return None
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"require": ["exp", "iat", "iss", "sub", "token_use", "client_id"]},
                leeway=5,
            )
        except jwt.PyJWTError:
            return None
        if claims.get("token_use") != "access" or claims.get("client_id") != self.client_id:
            return None
        subject, issued_at = claims.get("sub"), claims.get("iat")
        if not isinstance(subject, str) or not subject or type(issued_at) is not int:
            return None
        return AccessClaims(subject=subject, issued_at=issued_at)


class _Jwks:
    """The pool's public keys by key id, fetched on first use and when a token names a
    key not seen yet (Cognito rotates keys by adding one)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.keys: dict[str, Any] = {}
        self.fetched_at = 0.0
        self.lock = asyncio.Lock()

    async def key(self, kid: str) -> Any | None:
        if kid in self.keys:
            return self.keys[kid]
        async with self.lock:
            if kid not in self.keys and time.monotonic() - self.fetched_at > _JWKS_REFRESH_GAP:
                self.keys = await asyncio.to_thread(self._fetch)
                self.fetched_at = time.monotonic()
        return self.keys.get(kid)

    def _fetch(self) -> dict[str, Any]:
        import jwt

        try:
            with urllib.request.urlopen(self.url, timeout=5) as response:  # noqa: S310 (our URL)
                document = json.load(response)
        except (OSError, ValueError) as exc:
            raise IdentityUnavailable(f"Could not read the JWKS at {self.url}: {exc}") from exc
        keys = {}
        for entry in document.get("keys", ()):
            if entry.get("kid") and entry.get("kty") == "RSA":
                keys[entry["kid"]] = jwt.PyJWK(entry, algorithm="RS256").key
        return keys


def _translated(exc: Exception, field: str | None = None) -> Exception:
    """A Cognito error as the project's own: the person's mistakes as 4xx with the field
    named, anything else as IdentityUnavailable (a 5xx: it is ours to fix)."""
    code = error_code(exc)
    message = _message(exc)
    if code == "UsernameExistsException":
        return EmailTaken()
    if code in ("CodeMismatchException",):
        return InvalidCode("That code is not right. Check the mail and try again.")
    if code == "ExpiredCodeException":
        return InvalidCode("That code has expired. Ask for a new one.")
    if code == "InvalidPasswordException" and field:
        return ValidationFailed({field: _password_message(message)})
    if code in _THROTTLED:
        return TooManyAttempts(_RETRY_AFTER, "Too many attempts. Wait a few minutes and try again.")
    if code in ("NotAuthorizedException", "UserNotFoundException"):
        return InvalidCode()
    return IdentityUnavailable(f"Cognito refused: {code or type(exc).__name__}: {message}")


def _message(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Message", ""))
    return str(exc)


def _password_message(message: str) -> str:
    # Cognito says e.g. "Password did not conform with policy: Password must have
    # uppercase characters"; the part after the colon is the useful bit.
    detail = message.split(":", 1)[-1].strip()
    return detail[:1].upper() + detail[1:] if detail else "Choose a stronger password."
