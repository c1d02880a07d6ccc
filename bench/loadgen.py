"""A lean HTTP/1.1 load generator for the benchmarks: keep-alive connections over asyncio
streams, so the client spends little of the machine's two cores (httpx costs about a
millisecond of CPU per request, which would be measured as server time)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Result:
    status: int
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Connection:
    host: str
    port: int
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Result:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body is not None:
            lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(payload)}")
        started = time.perf_counter()
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        data = await self.reader.readexactly(length) if length else b""
        return Result(status, data, time.perf_counter() - started)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


@dataclass
class Run:
    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0


async def fire(
    host: str,
    port: int,
    requests: Iterator[tuple[str, str, Any, dict[str, str]]],
    concurrency: int,
    on_result: Callable[[Result], None] | None = None,
) -> Run:
    """Send every request from `requests`, `concurrency` at a time, each worker on its
    own keep-alive connection."""
    run = Run()

    async def worker() -> None:
        connection = Connection(host, port)
        try:
            for method, path, body, headers in requests:
                result = await connection.request(method, path, body, headers)
                run.results.append(result)
                if on_result:
                    on_result(result)
        finally:
            await connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    run.seconds = time.perf_counter() - began
    return run


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]
