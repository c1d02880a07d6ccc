"""Developer pages, mounted only with the outbox mailer in a local environment.

The outbox shows every mail, password reset codes included, so it is served only to a
browser on the same machine: the connection comes from a loopback address, names a
loopback host (a DNS name an attacker's page rebinds to 127.0.0.1 does not), and was not
forwarded by a proxy or tunnel that runs on this machine. Anything else is a plain 404,
as if the page did not exist.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.client_address import is_local_request
from web.services.container import services_of
from web.templating import render


async def outbox(request: Request) -> Response:
    mails = services_of(request).mailer.kept_messages() if is_local_request(request) else None
    if mails is None:
        raise HTTPException(status_code=404)
    return render(request, "dev/outbox.html", {"mails": mails})


routes = [Route("/dev/outbox", outbox)]
