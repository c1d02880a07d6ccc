"""moto in server mode for the DynamoDB (and other AWS) adapters' tests.

In-process `mock_aws` patches botocore's HTTP layer, which aiobotocore does not use, so
the tests talk to a real moto server on 127.0.0.1 and a free port, started once per
session and reset (`POST /moto-api/reset`) before every test that uses it.

Under pytest-xdist each worker is a session of its own, so each worker has its own server
(its port chosen by the kernel when it binds, so two workers never race for one): the
resets of one worker never empty another's tables, and tests may still read moto's
in-process backends (tests/aws_fixtures.py reads what SES sent), which only the process
that runs the server can see.

moto is not safe under concurrent requests: its TransactWriteItems deep-copies the tables
and, when a condition fails, puts the copies back, undoing writes other request threads
made meanwhile (and its ADD is a plain read-modify-write). Real DynamoDB applies each
request atomically, so the server here applies one request at a time (a lock around
moto's WSGI app); clients still interleave their reads and conditional writes freely,
which is what the concurrency tests attack.
"""

from __future__ import annotations

import socket
import threading
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from moto.server import ThreadedMotoServer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def refused_port() -> Iterator[int]:
    """A port where connections are refused for as long as the block runs: bound but not
    listening, so no other test or xdist worker can start a server on it meanwhile (a port
    from `free_port` may be taken by someone else before it is used)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


class OneRequestAtATime:
    """WSGI middleware: moto handles one request at a time (see the module docstring)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            return list(self.app(environ, start_response))


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The endpoint URL of a moto server running for the whole session."""
    from tests import faithful_cognito

    faithful_cognito.apply()  # Cognito's codes checked as the real service does
    # Port 0: the kernel picks a free one as the server binds (no window for a race).
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    # ThreadedMotoServer has no option for this: wrap the app its WSGI server serves.
    wsgi_server = server._server
    assert wsgi_server is not None
    wsgi_server.app = OneRequestAtATime(wsgi_server.app)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto(moto_server: str) -> str:
    """The moto endpoint, emptied of everything earlier tests made."""
    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    return moto_server


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake keys for botocore's own credential chain, as the function role gives on Lambda."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
