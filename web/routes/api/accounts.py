"""JSON API: sign up, verify, tokens, and who am I (API.md, "Accounts")."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models.errors import ValidationFailed
from web.auth import require_user
from web.client_address import client_address
from web.routes.api.common import json_object, strings, user_json
from web.services.container import services_of


async def signup(request: Request) -> Response:
    body = strings(await json_object(request), "email", "password", "name", "role")
    user = await services_of(request).accounts.sign_up(
        body["email"], body["password"], body["name"], body["role"]
    )
    return JSONResponse(
        {"user": user_json(user), "verification_required": not user.email_verified},
        status_code=201,
    )


async def verify(request: Request) -> Response:
    body = strings(await json_object(request), "email", "code")
    user = await services_of(request).accounts.confirm_email(body["email"], body["code"])
    return JSONResponse({"user": user_json(user)})


async def resend_code(request: Request) -> Response:
    body = strings(await json_object(request), "email")
    await services_of(request).accounts.resend_code(body["email"])
    return JSONResponse({"status": "sent_if_pending"}, status_code=202)


async def token(request: Request) -> Response:
    body = await json_object(request)
    try:
        values = strings(body, "email", "password")
    except ValidationFailed:
        # One generic answer for every wrong log-in, as for a wrong password.
        values = {"email": "", "password": ""}
    services = services_of(request)
    signed_in = await services.accounts.log_in(
        values["email"], values["password"], client_address(request)
    )
    issued = signed_in.access_token
    return JSONResponse(
        {
            "access_token": issued.token,
            "token_type": issued.token_type,
            "expires_in": issued.expires_in,
        },
        headers={"Cache-Control": "no-store"},
    )


async def password_reset(request: Request) -> Response:
    body = strings(await json_object(request), "email")
    await services_of(request).accounts.start_password_reset(body["email"])
    return JSONResponse({"status": "sent_if_exists"}, status_code=202)


async def password_reset_confirm(request: Request) -> Response:
    body = strings(await json_object(request), "email", "code", "password")
    # Through Sessions: a reset also ends every session and token of the account.
    user = await services_of(request).sessions.reset_password(
        body["email"], body["code"], body["password"]
    )
    return JSONResponse({"user": user_json(user)})


async def me(request: Request) -> Response:
    return JSONResponse(user_json(require_user(request)))


routes = [
    Route("/auth/signup", signup, methods=["POST"]),
    Route("/auth/verify", verify, methods=["POST"]),
    Route("/auth/verify/resend", resend_code, methods=["POST"]),
    Route("/auth/token", token, methods=["POST"]),
    Route("/auth/password-reset", password_reset, methods=["POST"]),
    Route("/auth/password-reset/confirm", password_reset_confirm, methods=["POST"]),
    Route("/me", me),
]
