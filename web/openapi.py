"""The OpenAPI 3.1 document of the JSON API, served at /api/v1/openapi.json.

Written as data next to the code; `tests/test_openapi.py` fails when a route under
/api/v1 is missing here or documented here without existing.
"""

from __future__ import annotations

from typing import Any

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema}}}


def _answer(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if schema is not None:
        answer["content"] = {JSON: {"schema": schema}}
    return answer


def _error(description: str) -> dict[str, Any]:
    return _answer(description, _ref("Error"))


def _object(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


STRING = {"type": "string"}
EMAIL = {"type": "string", "format": "email", "maxLength": 254}
PASSWORD = {
    "type": "string",
    "minLength": 8,
    "maxLength": 256,
    "description": "At least 8 characters with a digit and an upper-case letter.",
}
BEARER = [{"bearer": []}]

SCHEMAS: dict[str, Any] = {
    "Error": _object(
        ["error"],
        error=_object(
            ["code", "message"],
            code={"type": "string", "description": "snake_case, stable"},
            message={"type": "string", "description": "A sentence for a person."},
            fields={
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Only for validation errors: what is wrong with each field.",
            },
        ),
    ),
    "User": _object(
        ["id", "email", "name", "roles"],
        id=STRING,
        email=EMAIL,
        name=STRING,
        roles={
            "type": "array",
            "items": {"type": "string", "enum": ["attendee", "organizer", "door_staff"]},
        },
    ),
}

PATHS: dict[str, Any] = {
    "/api/v1/auth/signup": {
        "post": {
            "summary": "Create an account",
            "requestBody": _body(
                _object(
                    ["email", "password", "name", "role"],
                    email=EMAIL,
                    password=PASSWORD,
                    name={"type": "string", "minLength": 1, "maxLength": 100},
                    role={"type": "string", "enum": ["attendee", "organizer"]},
                )
            ),
            "responses": {
                "201": _answer(
                    "Created. With verification required, a 6-digit code was mailed.",
                    _object(
                        ["user", "verification_required"],
                        user=_ref("User"),
                        verification_required={"type": "boolean"},
                    ),
                ),
                "400": _error("invalid_json"),
                "409": _error("email_taken"),
                "422": _error("validation_failed, with fields"),
            },
        }
    },
    "/api/v1/auth/verify": {
        "post": {
            "summary": "Confirm an email address with the mailed code",
            "requestBody": _body(_object(["email", "code"], email=EMAIL, code=STRING)),
            "responses": {
                "200": _answer("Verified", _object(["user"], user=_ref("User"))),
                "400": _error("invalid_code or invalid_json"),
                "422": _error("validation_failed"),
            },
        }
    },
    "/api/v1/auth/verify/resend": {
        "post": {
            "summary": "Mail a new verification code (answers the same for unknown addresses)",
            "requestBody": _body(_object(["email"], email=EMAIL)),
            "responses": {
                "202": _answer("Accepted", _object(["status"], status=STRING)),
                "422": _error("validation_failed"),
            },
        }
    },
    "/api/v1/auth/token": {
        "post": {
            "summary": "Exchange email and password for a bearer token",
            "description": "Failed log-ins are limited to 5 per account and 100 per client "
            "address per 15 minutes; past that, 429 with Retry-After.",
            "requestBody": _body(_object(["email", "password"], email=EMAIL, password=STRING)),
            "responses": {
                "200": _answer(
                    "A bearer token",
                    _object(
                        ["access_token", "token_type", "expires_in"],
                        access_token=STRING,
                        token_type={"type": "string", "const": "bearer"},
                        expires_in={"type": "integer", "description": "seconds"},
                    ),
                ),
                "401": _error("invalid_credentials"),
                "403": _error("email_not_verified"),
                "429": _error("too_many_attempts"),
            },
        }
    },
    "/api/v1/auth/password-reset": {
        "post": {
            "summary": "Mail a password reset code (answers the same for unknown addresses)",
            "requestBody": _body(_object(["email"], email=EMAIL)),
            "responses": {
                "202": _answer("Accepted", _object(["status"], status=STRING)),
                "422": _error("validation_failed"),
            },
        }
    },
    "/api/v1/auth/password-reset/confirm": {
        "post": {
            "summary": "Set a new password with the mailed code",
            "requestBody": _body(
                _object(["email", "code", "password"], email=EMAIL, code=STRING, password=PASSWORD)
            ),
            "responses": {
                "200": _answer("Password changed", _object(["user"], user=_ref("User"))),
                "400": _error("invalid_code"),
                "422": _error("validation_failed"),
            },
        }
    },
    "/api/v1/me": {
        "get": {
            "summary": "The signed-in account",
            "security": BEARER,
            "responses": {"200": _answer("You", _ref("User")), "401": _error("not_authenticated")},
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This document",
            "responses": {"200": _answer("OpenAPI 3.1", {"type": "object"})},
        }
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Admit API",
            "version": "1",
            "description": "Events, registrations, tickets and check-in. Errors are "
            "`{error: {code, message, fields?}}`; lists are `{items, next_cursor}`.",
        },
        "servers": [{"url": "/"}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
