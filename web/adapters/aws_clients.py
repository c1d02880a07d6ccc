"""aiobotocore clients for the AWS adapters (S3, Cognito, SES, SSM): made on first use,
kept for the life of the app, closed when it stops.

Clients are made lazily because aiobotocore is a heavy import and each client costs a few
milliseconds to build: the Lambda cold start pays only for the services a request uses.
A client belongs to the event loop that made it, which is fine here: the app's lifespan,
the Lambda container and the CLI each run one loop for as long as the clients live.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

from models.aws_session import shared_session


class AwsClients:
    def __init__(self, region: str, endpoint_url: str | None = None) -> None:
        self.region = region
        self.endpoint_url = endpoint_url or None
        self._clients: dict[str, Any] = {}
        self._stack = AsyncExitStack()
        self._lock = asyncio.Lock()

    async def client(self, service: str) -> Any:
        """The client for `service` ("s3", "cognito-idp", "ses", "ssm"), made once."""
        if (made := self._clients.get(service)) is not None:
            return made
        async with self._lock:
            if (made := self._clients.get(service)) is None:
                from aiobotocore.config import AioConfig  # late: Lambda cold start

                # SigV4 everywhere: S3 pre-signed links must be SigV4 (the older scheme
                # is refused in newer regions and cannot carry a 15-minute expiry).
                config = AioConfig(
                    signature_version="s3v4" if service == "s3" else None,
                    retries={"max_attempts": 3, "mode": "standard"},
                    connect_timeout=3,
                    read_timeout=10,
                )
                made = await self._stack.enter_async_context(
                    shared_session().create_client(
                        service,
                        region_name=self.region,
                        endpoint_url=self.endpoint_url,
                        config=config,
                    )
                )
                self._clients[service] = made
        return made

    async def close(self) -> None:
        self._clients.clear()
        stack, self._stack = self._stack, AsyncExitStack()
        await stack.aclose()


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))
