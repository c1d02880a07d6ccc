"""Turning refusals and failures into answers: JSON under /api/, pages elsewhere."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from models.errors import AdmitError, NotAuthenticated, TooManyAttempts, ValidationFailed
from web.adapters.files.port import FileStoreFailed
from web.adapters.identity.port import IdentityUnavailable
from web.adapters.mail.port import MailDeliveryFailed
from web.adapters.payments.port import ProviderUnavailable
from web.forms import safe_next
from web.templating import redirect, render

log = logging.getLogger("admit")

HTTP_CODES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("not_authenticated", "Log in to continue."),
    403: ("forbidden", "Your account may not do this."),
    404: ("not_found", "Nothing was found at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("payload_too_large", "The request body is too large."),
    500: ("internal_error", "Something went wrong on our side. Please try again."),
}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def api_error(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message, **extra}
    if fields is not None:
        error["fields"] = fields
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _error_headers(exc: AdmitError) -> dict[str, str] | None:
    if isinstance(exc, TooManyAttempts):
        return {"Retry-After": str(exc.retry_after)}
    return None


async def admit_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AdmitError)
    if is_api(request):
        fields = exc.fields if isinstance(exc, ValidationFailed) else None
        return api_error(
            exc.status, exc.code, exc.message, fields, _error_headers(exc), **exc.details
        )
    if isinstance(exc, NotAuthenticated):
        return redirect(request, f"/login?next={quote(_return_path(request))}")
    message = exc.message
    if isinstance(exc, ValidationFailed):
        message = " ".join(exc.fields.values()) or message
    return render(
        request,
        "errors/error.html",
        {"status": exc.status, "title": _title(exc.status), "message": message},
        status_code=exc.status,
        headers=_error_headers(exc),
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = HTTP_CODES.get(exc.status_code, ("error", str(exc.detail)))
    if is_api(request):
        return api_error(exc.status_code, code, message, headers=exc.headers)
    return render(
        request,
        "errors/error.html",
        {"status": exc.status_code, "title": _title(exc.status_code), "message": message},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    code, message = HTTP_CODES[500]
    if is_api(request):
        return api_error(500, code, message)
    # Rendered without the request's context processors: the failure may be in them.
    templates = request.app.state.templates
    html = templates.get_template("errors/500.html").render()
    return Response(html, status_code=500, media_type="text/html")


async def csrf_failed(request: Request) -> Response:
    message = "This form has expired or did not come from Admit. Reload the page and try again."
    if is_api(request):
        return api_error(403, "csrf_failed", message)
    return render(
        request,
        "errors/error.html",
        {"status": 403, "title": "Please try again", "message": message},
        status_code=403,
    )


def _return_path(request: Request) -> str:
    """Where to come back after logging in: this page, or for a form post the page that
    showed the form (a POST address cannot be opened with a GET)."""
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    # Behind CloudFront the app sees API Gateway's host name, not the site's.
    public = urlsplit(request.app.state.settings.base_url).netloc
    same_site = referer.netloc in ("", request.url.netloc, public)
    return safe_next(referer.path if same_site else None)


def _title(status: int) -> str:
    return {
        401: "Please log in",
        403: "Not allowed",
        404: "Page not found",
        405: "Not allowed",
        409: "That did not work",
        429: "Too many attempts",
    }.get(status, "Something is not right")


def _unavailable(request: Request, code: str, message: str) -> Response:
    """503 with Retry-After: the same request is worth sending again in a moment."""
    headers = {"Retry-After": "5"}
    if is_api(request):
        return api_error(503, code, message, headers=headers)
    return render(
        request,
        "errors/error.html",
        {"status": 503, "title": "Please try again", "message": message},
        status_code=503,
        headers=headers,
    )


async def provider_unavailable(request: Request, exc: Exception) -> Response:
    """The payment provider is down: nothing was taken, the hold stays; try again."""
    message = (
        "The payment service is not answering right now. "
        "Your seats stay held: try again in a moment."
    )
    return _unavailable(request, "payment_provider_unavailable", message)


async def service_unavailable(request: Request, exc: Exception) -> Response:
    """An AWS service we depend on failed (Cognito, S3, SES down or misconfigured): the
    request changed nothing it could not redo; the person tries again, we get the log."""
    log.error("%s: %s", type(exc).__name__, exc)
    message = "This part of Admit is not answering right now. Please try again in a moment."
    return _unavailable(request, "service_unavailable", message)


EXCEPTION_HANDLERS = {
    ProviderUnavailable: provider_unavailable,
    IdentityUnavailable: service_unavailable,
    FileStoreFailed: service_unavailable,
    MailDeliveryFailed: service_unavailable,
    AdmitError: admit_error,
    HTTPException: http_error,
    Exception: server_error,
}
