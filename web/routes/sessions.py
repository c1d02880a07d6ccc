"""Account security pages: change the password, see and end sessions, log out everywhere."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.domain import User
from models.errors import TooManyAttempts, ValidationFailed
from models.sessions import Session, device_name
from web.auth import current_session, log_out_session, replace_session, require_user
from web.client_address import client_address
from web.flash import flash
from web.forms import read_form
from web.services.container import services_of
from web.templating import redirect, render


def _signed_in(request: Request) -> tuple[User, Session | None]:
    return require_user(request), current_session(request)


# -- password -------------------------------------------------------------------------------


def _password_form(
    request: Request,
    errors: dict[str, str] | None = None,
    *,
    status_code: int = 200,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "account/password.html",
        # The form has nothing but passwords, and those are never sent back.
        {"values": {}, "errors": errors or {}, "message": message},
        status_code=status_code,
        block="form",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


async def password(request: Request) -> Response:
    user, session = _signed_in(request)
    if request.method == "GET":
        return _password_form(request)
    values = await read_form(request)
    try:
        secret = await services_of(request).sessions.change_password(
            user,
            values.get("current_password", ""),
            values.get("new_password", ""),
            keep_signed_in=session is not None,
            client=client_address(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except ValidationFailed as exc:
        return _password_form(request, exc.fields, status_code=exc.status)
    except TooManyAttempts as exc:
        return _password_form(
            request,
            status_code=429,
            message=exc.message,
            headers={"Retry-After": str(exc.retry_after)},
        )
    if secret is not None:
        replace_session(request, secret)
    flash(
        request,
        "Your password is changed. Every other browser and app signed in to your account "
        "has been logged out.",
    )
    return redirect(request, "/account/sessions")


# -- sessions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionView:
    session: Session
    device: str
    this_device: bool


async def sessions_page(request: Request) -> Response:
    user, current = _signed_in(request)
    listed = await services_of(request).sessions.of_user(user)
    views = [
        SessionView(s, device_name(s.user_agent), current is not None and s.id == current.id)
        for s in listed
    ]
    # This device first, then the others most recently used first.
    views.sort(key=lambda view: not view.this_device)
    others = [view for view in views if not view.this_device]
    return render(
        request,
        "account/sessions.html",
        {"views": views, "others": others},
        headers={"Cache-Control": "no-store"},
    )


async def end_session(request: Request) -> Response:
    user, current = _signed_in(request)
    session_id = request.path_params["session_id"]
    if current is not None and session_id == current.id:
        await log_out_session(request)
        flash(request, "You are logged out.", "info")
        return redirect(request, "/")
    if await services_of(request).sessions.end_one(user, session_id):
        flash(request, "That session has ended: that browser is logged out.")
    else:
        flash(request, "That session had already ended.", "info")
    return redirect(request, "/account/sessions")


async def end_other_sessions(request: Request) -> Response:
    user, current = _signed_in(request)
    if current is None:  # a bearer token has no "this device" to keep
        await services_of(request).sessions.end_everywhere(user)
        return redirect(request, "/login")
    ended = await services_of(request).sessions.end_others(user, current.id)
    if ended:
        noun = "session has" if ended == 1 else "sessions have"
        flash(request, f"{ended} other {noun} ended. Only this browser is still logged in.")
    else:
        flash(request, "No other browser was logged in.", "info")
    return redirect(request, "/account/sessions")


async def logout_everywhere(request: Request) -> Response:
    user, _ = _signed_in(request)
    if request.method == "GET":
        return render(request, "account/logout_everywhere.html", {})
    await services_of(request).sessions.end_everywhere(user)
    request.session.clear()
    flash(
        request,
        "You are logged out everywhere: on every browser, and every app or script that "
        "used an access token.",
        "info",
    )
    return redirect(request, "/login")


routes = [
    Route("/account/password", password, methods=["GET", "POST"]),
    Route("/account/sessions", sessions_page),
    Route("/account/sessions/end-others", end_other_sessions, methods=["POST"]),
    Route("/account/sessions/{session_id:str}/end", end_session, methods=["POST"]),
    Route("/account/logout-everywhere", logout_everywhere, methods=["GET", "POST"]),
]
