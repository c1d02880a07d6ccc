"""Account pages: sign up, verify the email, log in and out, reset a password."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.errors import (
    EmailNotVerified,
    EmailTaken,
    InvalidCode,
    InvalidCredentials,
    TooManyAttempts,
    ValidationFailed,
)
from web.auth import current_user, log_in_session, log_out_session
from web.client_address import client_address
from web.flash import flash
from web.forms import kept, read_form, safe_next
from web.services.container import services_of
from web.templating import redirect, render


def _client(request: Request) -> str:
    return client_address(request)


def _redirect(request: Request, path: str, **query: str) -> Response:
    suffix = f"?{urlencode(query)}" if query else ""
    return redirect(request, path + suffix)


def _form(
    request: Request,
    template: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    *,
    status_code: int = 200,
    message: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: object,
) -> Response:
    context = {"values": kept(values or {}), "errors": errors or {}, "message": message, **extra}
    return render(
        request, template, context, status_code=status_code, block="form", headers=headers
    )


def _too_many(
    request: Request, template: str, values: dict[str, str], exc: TooManyAttempts
) -> Response:
    """The form again, kept as typed, saying how long to wait (429 with Retry-After)."""
    return _form(
        request,
        template,
        values,
        status_code=429,
        message=exc.message,
        headers={"Retry-After": str(exc.retry_after)},
    )


# -- sign up ------------------------------------------------------------------------------


async def signup(request: Request) -> Response:
    if request.method == "GET":
        role = request.query_params.get("role", "attendee")
        return _form(request, "accounts/signup.html", {"role": role})
    values = await read_form(request)
    services = services_of(request)
    try:
        user = await services.accounts.sign_up(
            values.get("email", ""),
            values.get("password", ""),
            values.get("name", ""),
            values.get("role", ""),
        )
    except ValidationFailed as exc:
        return _form(request, "accounts/signup.html", values, exc.fields, status_code=422)
    except EmailTaken:
        errors = {"email": "An account with this email already exists. Log in instead."}
        return _form(request, "accounts/signup.html", values, errors, status_code=409)
    if not user.email_verified:
        flash(request, f"We sent a 6-digit code to {user.email}. Enter it below.", "info")
        return _redirect(request, "/verify", email=user.email)
    await log_in_session(request, user)
    flash(request, f"Welcome to Admit, {user.name}.")
    return _redirect(request, user.home_path)


# -- verify -------------------------------------------------------------------------------


async def verify(request: Request) -> Response:
    if request.method == "GET":
        return _form(
            request, "accounts/verify.html", {"email": request.query_params.get("email", "")}
        )
    values = await read_form(request)
    try:
        user = await services_of(request).accounts.confirm_email(
            values.get("email", ""), values.get("code", "")
        )
    except ValidationFailed as exc:
        return _form(request, "accounts/verify.html", values, exc.fields, status_code=422)
    except InvalidCode as exc:
        return _form(
            request, "accounts/verify.html", values, {"code": exc.message}, status_code=400
        )
    except TooManyAttempts as exc:
        return _too_many(request, "accounts/verify.html", values, exc)
    await log_in_session(request, user)
    flash(request, "Your email address is confirmed. Welcome to Admit.")
    return _redirect(request, user.home_path)


async def resend_code(request: Request) -> Response:
    values = await read_form(request)
    try:
        await services_of(request).accounts.resend_code(values.get("email", ""))
    except ValidationFailed as exc:
        return _form(request, "accounts/verify.html", values, exc.fields, status_code=422)
    except TooManyAttempts as exc:
        return _too_many(request, "accounts/verify.html", values, exc)
    flash(request, "A new code is on its way if that address has an unconfirmed account.", "info")
    return _redirect(request, "/verify", email=values.get("email", "").strip())


# -- log in / out -------------------------------------------------------------------------


async def login(request: Request) -> Response:
    next_path = safe_next(request.query_params.get("next"), default="")
    if request.method == "GET":
        if user := current_user(request):
            return _redirect(request, next_path or user.home_path)
        return _form(request, "accounts/login.html", {"next": next_path})
    values = await read_form(request)
    next_path = safe_next(values.get("next"), default="")
    try:
        signed_in = await services_of(request).accounts.log_in(
            values.get("email", ""), values.get("password", ""), _client(request)
        )
    except InvalidCredentials as exc:
        return _form(request, "accounts/login.html", values, status_code=401, message=exc.message)
    except EmailNotVerified as exc:
        return _form(
            request,
            "accounts/login.html",
            values,
            status_code=403,
            message=exc.message,
            verify_email=values.get("email", "").strip(),
        )
    except TooManyAttempts as exc:
        return _too_many(request, "accounts/login.html", values, exc)
    await log_in_session(request, signed_in.user)
    return _redirect(request, next_path or signed_in.user.home_path)


async def logout(request: Request) -> Response:
    await log_out_session(request)
    flash(request, "You are logged out.", "info")
    return _redirect(request, "/")


# -- password reset -----------------------------------------------------------------------


async def reset_request(request: Request) -> Response:
    if request.method == "GET":
        return _form(
            request, "accounts/reset_request.html", {"email": request.query_params.get("email", "")}
        )
    values = await read_form(request)
    try:
        await services_of(request).accounts.start_password_reset(values.get("email", ""))
    except ValidationFailed as exc:
        return _form(request, "accounts/reset_request.html", values, exc.fields, status_code=422)
    except TooManyAttempts as exc:
        return _too_many(request, "accounts/reset_request.html", values, exc)
    email = values.get("email", "").strip()
    flash(request, f"If an account exists for {email}, a reset code is on its way.", "info")
    return _redirect(request, "/password-reset/confirm", email=email)


async def reset_confirm(request: Request) -> Response:
    if request.method == "GET":
        return _form(
            request, "accounts/reset_confirm.html", {"email": request.query_params.get("email", "")}
        )
    values = await read_form(request)
    try:
        # Through Sessions: a reset also ends every session and token of the account.
        user = await services_of(request).sessions.reset_password(
            values.get("email", ""), values.get("code", ""), values.get("password", "")
        )
    except ValidationFailed as exc:
        return _form(request, "accounts/reset_confirm.html", values, exc.fields, status_code=422)
    except InvalidCode as exc:
        return _form(
            request, "accounts/reset_confirm.html", values, {"code": exc.message}, status_code=400
        )
    except TooManyAttempts as exc:
        return _too_many(request, "accounts/reset_confirm.html", values, exc)
    await log_in_session(request, user)
    flash(request, "Your password is changed and you are logged in.")
    return _redirect(request, user.home_path)


routes = [
    Route("/signup", signup, methods=["GET", "POST"]),
    Route("/verify", verify, methods=["GET", "POST"]),
    Route("/verify/resend", resend_code, methods=["POST"]),
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/password-reset", reset_request, methods=["GET", "POST"]),
    Route("/password-reset/confirm", reset_confirm, methods=["GET", "POST"]),
]
