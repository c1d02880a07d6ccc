"""create_app(settings): the ASGI application, wired from settings. No work at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from web.auth import SessionOrBearerBackend
from web.clock import clock
from web.errors import EXCEPTION_HANDLERS, csrf_failed
from web.keys import load_or_create_keys
from web.middleware.body_limit import BodyLimitMiddleware
from web.middleware.csrf import CSRFMiddleware
from web.middleware.private_pages import PrivatePagesMiddleware
from web.middleware.security_headers import SecurityHeadersMiddleware
from web.openapi import openapi_document
from web.routes import (
    accounts,
    attendee_answers,
    dev,
    door,
    my,
    organizer,
    organizer_exports,
    organizer_figures,
    organizer_messages,
    organizer_promo_codes,
    organizer_questions,
    organizer_ticket_types,
    pages,
    pwa,
    sessions,
    tickets,
    transfers,
    waitlist_pages,
    webhooks,
)
from web.routes.api import accounts as api_accounts
from web.routes.api import events as api_events
from web.routes.api import figures as api_figures
from web.routes.api import messages as api_messages
from web.routes.api import promo_codes as api_promo_codes
from web.routes.api import questions as api_questions
from web.routes.api import registrations as api_registrations
from web.routes.api import sessions as api_sessions
from web.routes.api import ticket_types as api_ticket_types
from web.routes.api import tickets as api_tickets
from web.routes.api import transfers as api_transfers
from web.routes.api import waitlist as api_waitlist
from web.services.container import Services
from web.settings import Settings
from web.static_urls import HashedStaticFiles, StaticUrls
from web.templating import STATIC_DIR, make_templates
from web.wiring import open_services

MAX_BODY_BYTES = 1_000_000


class State(TypedDict):
    services: Services


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


def _routes(settings: Settings, static_urls: StaticUrls) -> list[BaseRoute]:
    api = Mount(
        "/api/v1",
        routes=[
            *api_accounts.routes,
            *api_sessions.routes,
            *api_events.routes,
            *api_figures.routes,
            *api_ticket_types.routes,
            *api_questions.routes,
            *api_promo_codes.routes,
            *api_messages.routes,
            *api_waitlist.routes,
            *api_registrations.routes,
            *api_tickets.routes,
            *api_transfers.routes,
            Route("/openapi.json", openapi),
        ],
    )
    # The router tries each route's pattern in turn: the JSON API, the busiest path
    # under load (holds, payments, scans), goes first instead of after some 40 page
    # routes. No page route starts with /api/, so no match changes.
    routes: list[BaseRoute] = [
        api,
        *pages.routes,
        *attendee_answers.routes,
        *accounts.routes,
        *sessions.routes,
        *my.routes,
        *organizer.routes,
        *organizer_figures.routes,
        *organizer_ticket_types.routes,
        *organizer_questions.routes,
        *organizer_promo_codes.routes,
        *organizer_messages.routes,
        *organizer_exports.routes,
        *waitlist_pages.routes,
        *pwa.routes,
        *tickets.routes,
        *transfers.routes,
        *door.routes,
        *webhooks.routes,
        Mount(
            "/static",
            app=HashedStaticFiles(directory=STATIC_DIR, urls=static_urls),
            name="static",
        ),
    ]
    if settings.is_local and settings.mail == "outbox":
        routes.extend(dev.routes)
    return routes


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    keys = load_or_create_keys(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        async with (
            open_services(settings, keys) as services,
            clock(services, settings.sweep_interval),
        ):
            yield {"services": services}

    middleware = [
        Middleware(SecurityHeadersMiddleware, hsts=settings.cookies_secure),
        Middleware(PrivatePagesMiddleware),
        Middleware(GZipMiddleware, minimum_size=800),
        Middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES),
        Middleware(
            SessionMiddleware,
            secret_key=keys.secret_key,
            session_cookie="admit_session",
            max_age=settings.session_max_age,
            same_site="lax",
            https_only=settings.cookies_secure,
        ),
        Middleware(CSRFMiddleware, on_failure=csrf_failed),
        Middleware(AuthenticationMiddleware, backend=SessionOrBearerBackend()),
    ]
    static_urls = StaticUrls(STATIC_DIR, hashed=settings.static_hashed_urls)
    app = Starlette(
        routes=_routes(settings, static_urls),
        middleware=middleware,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.templates = make_templates(static_urls)
    return app
