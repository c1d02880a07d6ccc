"""Developer pages, mounted only with the outbox mailer in a local environment.

The outbox shows every mail, password reset codes included, so it is served only to a
browser on the same machine: the connection comes from a loopback address, names a
loopback host (a DNS name an attacker's page rebinds to 127.0.0.1 does not), and was not
forwarded by a proxy or tunnel that runs on this machine. Anything else is a plain 404,
as if the page did not exist.
"""

from __future__ import annotations

import ipaddress

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.adapters.mail.outbox import OutboxMailer
from web.templating import render

_FORWARDING_HEADERS = (
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-real-ip",
    "cloudfront-viewer-address",
)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 (also as an IPv4-mapped address) and `localhost`."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def is_local_request(request: Request) -> bool:
    settings = request.app.state.settings
    if not (settings.is_local and settings.mail == "outbox"):
        return False
    if request.client is None or not is_loopback(request.client.host):
        return False
    if any(name in request.headers for name in _FORWARDING_HEADERS):
        return False
    return is_loopback(request.url.hostname or "")


async def outbox(request: Request) -> Response:
    mailer = request.state.services.mailer
    if not is_local_request(request) or not isinstance(mailer, OutboxMailer):
        raise HTTPException(status_code=404)
    return render(request, "dev/outbox.html", {"mails": mailer.list_messages()})


routes = [Route("/dev/outbox", outbox)]
