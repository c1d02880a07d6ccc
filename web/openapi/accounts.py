"""OpenAPI paths: accounts."""

from __future__ import annotations

from typing import Any

from web.openapi.shapes import (
    BEARER,
    EMAIL,
    PASSWORD,
    STRING,
    answer,
    body,
    error,
    obj,
    ref,
)
from web.services.limits import CODES_PER_DAY, WRONG_CODES_PER_HOUR

TOO_MANY: dict[str, Any] = {
    **error("too_many_attempts"),
    "headers": {
        "Retry-After": {
            "description": "Seconds until the next try may succeed",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}
CODE_CHECKS = (
    "Wrong verification or reset codes are limited per account, not per code: "
    f"{WRONG_CODES_PER_HOUR} an hour for both kinds together, however many codes were "
    "sent. Past that, 429 with Retry-After, even for the right code, until the hour has passed."
)
CODE_SENDS = (
    "A new code of the same kind is mailed at most once a minute, and at most "
    f"{CODES_PER_DAY} codes a day per address (verification and reset together). "
    "Sooner or beyond: 429 with Retry-After, and nothing is mailed. Counted for "
    "unknown addresses too."
)

PATHS: dict[str, Any] = {
    "/api/v1/auth/signup": {
        "post": {
            "summary": "Create an account",
            "requestBody": body(
                obj(
                    ["email", "password", "name", "role"],
                    email=EMAIL,
                    password=PASSWORD,
                    name={"type": "string", "minLength": 1, "maxLength": 100},
                    role={"type": "string", "enum": ["attendee", "organizer"]},
                )
            ),
            "responses": {
                "201": answer(
                    "Created. With verification required, a 6-digit code was mailed.",
                    obj(
                        ["user", "verification_required"],
                        user=ref("User"),
                        verification_required={"type": "boolean"},
                    ),
                ),
                "400": error("invalid_json"),
                "409": error("email_taken"),
                "422": error("validation_failed, with fields"),
            },
        }
    },
    "/api/v1/auth/verify": {
        "post": {
            "summary": "Confirm an email address with the mailed code",
            "description": CODE_CHECKS,
            "requestBody": body(obj(["email", "code"], email=EMAIL, code=STRING)),
            "responses": {
                "200": answer("Verified", obj(["user"], user=ref("User"))),
                "400": error("invalid_code or invalid_json"),
                "422": error("validation_failed"),
                "429": TOO_MANY,
            },
        }
    },
    "/api/v1/auth/verify/resend": {
        "post": {
            "summary": "Mail a new verification code (answers the same for unknown addresses)",
            "description": CODE_SENDS,
            "requestBody": body(obj(["email"], email=EMAIL)),
            "responses": {
                "202": answer("Accepted", obj(["status"], status=STRING)),
                "422": error("validation_failed"),
                "429": TOO_MANY,
            },
        }
    },
    "/api/v1/auth/token": {
        "post": {
            "summary": "Exchange email and password for a bearer token",
            "description": "Failed log-ins are limited to 5 per account and client address "
            "together, 50 per account and 100 per client address, each per 15 minutes; "
            "past that, 429 with Retry-After, even for the right password.",
            "requestBody": body(obj(["email", "password"], email=EMAIL, password=STRING)),
            "responses": {
                "200": answer(
                    "A bearer token",
                    obj(
                        ["access_token", "token_type", "expires_in"],
                        access_token=STRING,
                        token_type={"type": "string", "const": "bearer"},
                        expires_in={"type": "integer", "description": "seconds"},
                    ),
                ),
                "401": error("invalid_credentials"),
                "403": error("email_not_verified"),
                "429": TOO_MANY,
            },
        }
    },
    "/api/v1/auth/password-reset": {
        "post": {
            "summary": "Mail a password reset code (answers the same for unknown addresses)",
            "description": CODE_SENDS,
            "requestBody": body(obj(["email"], email=EMAIL)),
            "responses": {
                "202": answer("Accepted", obj(["status"], status=STRING)),
                "422": error("validation_failed"),
                "429": TOO_MANY,
            },
        }
    },
    "/api/v1/auth/password-reset/confirm": {
        "post": {
            "summary": "Set a new password with the mailed code",
            "description": CODE_CHECKS,
            "requestBody": body(
                obj(["email", "code", "password"], email=EMAIL, code=STRING, password=PASSWORD)
            ),
            "responses": {
                "200": answer(
                    "Password changed; every session and token of the account has ended",
                    obj(["user"], user=ref("User")),
                ),
                "400": error("invalid_code"),
                "422": error("validation_failed"),
                "429": TOO_MANY,
            },
        }
    },
    "/api/v1/auth/password": {
        "post": {
            "summary": "Change your password; every session and access token ends",
            "description": "Every session and bearer token of the account stops working, "
            "the one making this call included; a browser calling with its session cookie "
            "(and CSRF token) carries on under a new session.",
            "security": BEARER,
            "requestBody": body(
                obj(
                    ["current_password", "new_password"],
                    current_password=STRING,
                    new_password=PASSWORD,
                )
            ),
            "responses": {
                "204": answer("Changed"),
                "400": error("wrong_password (fields: current_password), or invalid_json"),
                "401": error("not_authenticated"),
                "422": error("validation_failed, with fields"),
                "429": TOO_MANY,
            },
        }
    },
    "/api/v1/auth/logout-everywhere": {
        "post": {
            "summary": "End every session and access token of your account",
            "security": BEARER,
            "responses": {
                "204": answer("Every session and token of the account has ended"),
                "401": error("not_authenticated"),
            },
        }
    },
    "/api/v1/me": {
        "get": {
            "summary": "The signed-in account",
            "security": BEARER,
            "responses": {"200": answer("You", ref("User")), "401": error("not_authenticated")},
        }
    },
}
