"""The address of the person making a request, for the per-client log-in limit.

On AWS the app sits behind CloudFront, then API Gateway: the connection's address is a
CloudFront edge, shared by everyone near it, so limiting by it would let one guesser lock
out a city. CloudFront tells the viewer's own address in `CloudFront-Viewer-Address`
(`198.51.100.10:46532`, or an IPv6 address with its port after the last colon) and sets
it itself, whatever the viewer sent. The API Gateway address can also be called
directly, bypassing CloudFront, so that header is trusted only on requests that carry
the origin-verify value CloudFront adds (`X-Origin-Verify`, `ADMIT_ORIGIN_VERIFY`): a
value outsiders cannot know.

`is_local_request` tells a browser on this very machine (for the developer pages).
"""

from __future__ import annotations

import hmac
import ipaddress

from starlette.requests import Request

VIEWER_HEADER = "cloudfront-viewer-address"
VERIFY_HEADER = "x-origin-verify"
_FORWARDING_HEADERS = (
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-real-ip",
    "cloudfront-viewer-address",
)


def client_address(request: Request) -> str:
    expected: str = request.app.state.settings.origin_verify
    if expected:
        sent = request.headers.get(VERIFY_HEADER, "")
        viewer = request.headers.get(VIEWER_HEADER, "")
        if viewer and hmac.compare_digest(sent.encode(), expected.encode()):
            address, _, port = viewer.rpartition(":")
            if address and port.isdigit():
                return address.strip("[]")
    return request.client.host if request.client else "unknown"


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
    """Local mode with the outbox mailer, and a browser on this machine: the connection
    comes from a loopback address, names a loopback host (a DNS name an attacker's page
    rebinds to 127.0.0.1 does not), and was not forwarded by a proxy or tunnel here."""
    settings = request.app.state.settings
    if not (settings.is_local and settings.mail == "outbox"):
        return False
    if request.client is None or not is_loopback(request.client.host):
        return False
    if any(name in request.headers for name in _FORWARDING_HEADERS):
        return False
    return is_loopback(request.url.hostname or "")
