"""Whose address the per-client log-in limit counts: the viewer's behind CloudFront, but
only on requests that prove they came through it (web/client_address.py)."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
from starlette.requests import Request

from web.client_address import client_address

EDGE = ("130.176.0.1", 443)  # a CloudFront edge, as API Gateway sees it


def _request(headers: dict[str, str], origin_verify: str = "s3cret-uuid") -> Request:
    app = SimpleNamespace(
        state=SimpleNamespace(settings=SimpleNamespace(origin_verify=origin_verify))
    )
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/login",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": EDGE,
        "app": app,
    }
    return Request(scope)


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("198.51.100.10:46532", "198.51.100.10"),
        ("2001:db8::8a2e:370:7334:46532", "2001:db8::8a2e:370:7334"),
        ("[2001:db8::1]:443", "2001:db8::1"),
    ],
)
def test_through_cloudfront_the_viewer_counts(viewer: str, expected: str) -> None:
    headers = {"x-origin-verify": "s3cret-uuid", "cloudfront-viewer-address": viewer}
    assert client_address(_request(headers)) == expected


@pytest.mark.parametrize(
    "headers",
    [
        {"cloudfront-viewer-address": "198.51.100.10:1"},  # straight to API Gateway
        {"x-origin-verify": "guess", "cloudfront-viewer-address": "198.51.100.10:1"},
        {"x-origin-verify": "s3cret-uuid"},  # no viewer header
        {"x-origin-verify": "s3cret-uuid", "cloudfront-viewer-address": "junk"},
    ],
)
def test_otherwise_the_connection_counts(headers: dict[str, str]) -> None:
    assert client_address(_request(headers)) == EDGE[0]


def test_without_the_setting_no_header_is_trusted() -> None:
    headers = {"x-origin-verify": "", "cloudfront-viewer-address": "198.51.100.10:1"}
    assert client_address(_request(headers, origin_verify="")) == EDGE[0]


@pytest.mark.settings(login_limit_per_client=2, origin_verify="s3cret-uuid")
async def test_one_guesser_behind_an_edge_does_not_lock_out_its_neighbours(
    client: httpx.AsyncClient,
) -> None:
    def via_edge(viewer: str) -> dict[str, str]:
        return {"X-Origin-Verify": "s3cret-uuid", "CloudFront-Viewer-Address": f"{viewer}:5000"}

    wrong = {"email": "nobody@example.com", "password": "Wr0ngPass"}
    for _ in range(2):
        answer = await client.post(
            "/api/v1/auth/token", json=wrong, headers=via_edge("198.51.100.7")
        )
        assert answer.status_code == 401
    guesser = await client.post("/api/v1/auth/token", json=wrong, headers=via_edge("198.51.100.7"))
    assert guesser.status_code == 429
    neighbour = await client.post(
        "/api/v1/auth/token", json=wrong, headers=via_edge("198.51.100.8")
    )
    assert neighbour.status_code == 401
    # A forged viewer header without the origin value counts against the connection.
    forged = {"CloudFront-Viewer-Address": "203.0.113.99:1"}
    for _ in range(2):
        await client.post("/api/v1/auth/token", json=wrong, headers=forged)
    assert (await client.post("/api/v1/auth/token", json=wrong, headers=forged)).status_code == 429
