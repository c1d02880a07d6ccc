"""The address of the person making a request, for the per-client log-in limit.

On AWS the app sits behind CloudFront, then API Gateway: the connection's address is a
CloudFront edge, shared by everyone near it, so limiting by it would let one guesser lock
out a city. CloudFront tells the viewer's own address in `CloudFront-Viewer-Address`
(`198.51.100.10:46532`, or an IPv6 address with its port after the last colon) and sets
it itself, whatever the viewer sent. The API Gateway address can also be called
directly, bypassing CloudFront, so that header is trusted only on requests that carry
the origin-verify value CloudFront adds (`X-Origin-Verify`, `ADMIT_ORIGIN_VERIFY`): a
value outsiders cannot know.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request

VIEWER_HEADER = "cloudfront-viewer-address"
VERIFY_HEADER = "x-origin-verify"


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
