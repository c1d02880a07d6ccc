"""Developer pages, mounted only with the outbox mailer in a local environment."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.adapters.mail.outbox import OutboxMailer
from web.templating import render


async def outbox(request: Request) -> Response:
    mailer = request.state.services.mailer
    assert isinstance(mailer, OutboxMailer)
    return render(request, "dev/outbox.html", {"mails": mailer.list_messages()})


routes = [Route("/dev/outbox", outbox)]
