"""Make moto's Cognito check confirmation codes as the real service does.

moto 5.2 confirms any sign-up whatever the code, has no ResendConfirmationCode, and
checks a password-reset code only when it carries its own `moto-confirmation-code:`
prefix. Real Cognito mails a 6-digit code for each and refuses any other. The tests need
the real behaviour (a wrong code must be refused), so this patch, applied to the moto
server the tests start, gives each pending sign-up and reset a 6-digit code, kept on
moto's user for the tests to read (they stand in for the mailbox), and refuses others
with Cognito's own errors.
"""

from __future__ import annotations

import secrets
from typing import Any

from moto.cognitoidp import responses
from moto.cognitoidp.exceptions import (
    CodeMismatchException,
    InvalidParameterException,
    NotAuthorizedError,
    UserNotFoundError,
)
from moto.core.responses import ActionResult

SIGNUP_CODE = "admit_signup_code"
RESET_CODE = "admit_reset_code"

_Response = responses.CognitoIdpResponse
_original = {
    name: getattr(_Response, name)
    for name in ("sign_up", "confirm_sign_up", "forgot_password", "confirm_forgot_password")
}


def _user(response: Any) -> Any:
    client_id = response._get_param("ClientId")
    username = response._get_param("Username")
    backend = response._get_region_agnostic_backend()._find_backend_for_clientid(client_id)
    for pool in backend.user_pools.values():
        if client_id in pool.clients:
            user = pool._get_user(username)
            if user is None:
                raise UserNotFoundError("Username/client id combination not found.")
            return user
    raise UserNotFoundError("Username/client id combination not found.")


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _sign_up(self: Any) -> ActionResult:
    result = _original["sign_up"](self)
    setattr(_user(self), SIGNUP_CODE, _new_code())
    return result


def _confirm_sign_up(self: Any) -> Any:
    user = _user(self)
    if user.status == "CONFIRMED":
        raise NotAuthorizedError("User cannot be confirmed. Current status is CONFIRMED")
    if self._get_param("ConfirmationCode") != getattr(user, SIGNUP_CODE, None):
        raise CodeMismatchException("Invalid verification code provided, please try again.")
    delattr(user, SIGNUP_CODE)
    return _original["confirm_sign_up"](self)


def _resend_confirmation_code(self: Any) -> ActionResult:
    user = _user(self)
    if user.status == "CONFIRMED":
        raise InvalidParameterException("User is already confirmed.")
    setattr(user, SIGNUP_CODE, _new_code())
    email = user.attribute_lookup.get("email", "")
    return ActionResult(
        {
            "CodeDeliveryDetails": {
                "Destination": email,
                "DeliveryMedium": "EMAIL",
                "AttributeName": "email",
            }
        }
    )


def _forgot_password(self: Any) -> Any:
    user = _user(self)
    if user.attribute_lookup.get("email_verified") != "true" and user.status != "CONFIRMED":
        raise InvalidParameterException(
            "Cannot reset password for the user as there is no registered/verified email "
            "or phone_number"
        )
    result = _original["forgot_password"](self)
    user.confirmation_code = None  # moto's own prefixed code; ours replaces it
    setattr(user, RESET_CODE, _new_code())
    return result


def _confirm_forgot_password(self: Any) -> Any:
    user = _user(self)
    code = getattr(user, RESET_CODE, None)
    if code is None or self._get_param("ConfirmationCode") != code:
        raise CodeMismatchException("Invalid verification code provided, please try again.")
    result = _original["confirm_forgot_password"](self)
    delattr(user, RESET_CODE)
    return result


def apply() -> None:
    _Response.sign_up = _sign_up
    _Response.confirm_sign_up = _confirm_sign_up
    _Response.resend_confirmation_code = _resend_confirmation_code
    _Response.forgot_password = _forgot_password
    _Response.confirm_forgot_password = _confirm_forgot_password


def pending_code(user: Any) -> str | None:
    """The code Cognito would have mailed `user` last: a reset's, else a sign-up's."""
    return getattr(user, RESET_CODE, None) or getattr(user, SIGNUP_CODE, None)
