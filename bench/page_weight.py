"""Page weight of the home page: the HTML of `/` plus every same-origin stylesheet and script.

Starts the real app the way a person would (`admit migrate`, `admit demo`, `admit serve`)
on a temporary data dir and a free port on 127.0.0.1, fetches `/` and the CSS and JS it
references, prints the bytes of each, and compares the uncompressed total with the budget
of 60,000 bytes (60 KB in decimal units). The gzip column is what the app itself sent with
`Accept-Encoding: gzip` (Starlette's GZipMiddleware skips bodies under 800 bytes).

    .venv/bin/python bench/page_weight.py [--budget BYTES]

Exits 1 when the uncompressed total is over the budget, 2 when the app fails to start.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
BUDGET_BYTES = 60_000
START_TIMEOUT = 30.0


class AssetLinks(HTMLParser):
    """Collects `<link rel="stylesheet" href>` and `<script src>` in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "link" and "stylesheet" in values.get("rel", "").lower().split():
            if values.get("href"):
                self.urls.append(("css", values["href"]))
        elif tag == "script" and values.get("src"):
            self.urls.append(("js", values["src"]))


@dataclass(frozen=True)
class Resource:
    path: str
    kind: str
    size: int
    sent: int
    encoding: str


def admit_command() -> list[str]:
    script = Path(sys.executable).with_name("admit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "web.cli"]


def app_env(data_dir: Path) -> dict[str, str]:
    """The caller's environment without any ADMIT_* setting, plus our data dir."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ADMIT_")}
    env["ADMIT_DATA_DIR"] = str(data_dir)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> None:
    subprocess.run([*admit_command(), *args], env=env, cwd=cwd, check=True, capture_output=True)


def wait_until_up(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"admit serve exited with status {server.returncode}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"admit serve did not answer within {START_TIMEOUT:.0f} s")


def fetch(client: httpx.Client, url: str, kind: str) -> tuple[Resource, httpx.Response]:
    response = client.get(url)
    response.raise_for_status()
    resource = Resource(
        path=urlsplit(url).path or "/",
        kind=kind,
        size=len(response.content),
        sent=response.num_bytes_downloaded,
        encoding=response.headers.get("content-encoding", "identity"),
    )
    return resource, response


def measure(base_url: str) -> list[Resource]:
    origin = urlsplit(base_url).netloc
    headers = {"Accept-Encoding": "gzip"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10.0) as client:
        page, response = fetch(client, f"{base_url}/", "html")
        parser = AssetLinks()
        parser.feed(response.text)
        resources = [page]
        seen = set()
        for kind, href in parser.urls:
            url = urljoin(f"{base_url}/", href)
            if urlsplit(url).netloc != origin or url in seen:
                continue
            seen.add(url)
            resources.append(fetch(client, url, kind)[0])
    return resources


def report(resources: list[Resource], budget: int) -> bool:
    width = max(len("resource"), *(len(r.path) for r in resources))
    print(f"{'resource':<{width}}  type  {'bytes':>8}  {'gzip':>8}  sent as")
    for r in resources:
        print(f"{r.path:<{width}}  {r.kind:<4}  {r.size:>8,}  {r.sent:>8,}  {r.encoding}")
    total = sum(r.size for r in resources)
    sent = sum(r.sent for r in resources)
    print(f"{'total':<{width}}  {'':<4}  {total:>8,}  {sent:>8,}")
    within = total <= budget
    verdict = "within" if within else "OVER"
    print(
        f"\nUncompressed total {total:,} bytes is {verdict} the budget of {budget:,} bytes "
        f"({total / budget:.0%}); gzip-compressed as sent: {sent:,} bytes."
    )
    return within


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--budget", type=int, default=BUDGET_BYTES, help="bytes (uncompressed)")
    args = parser.parse_args(argv)

    data_dir = Path(tempfile.mkdtemp(prefix="admit-bench-"))
    env = app_env(data_dir)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = data_dir / "serve.log"
    server = None
    try:
        # cwd is the temporary dir, so a developer's .env does not change what is measured.
        run_cli(["migrate"], env, data_dir)
        run_cli(["demo"], env, data_dir)
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [*admit_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                cwd=data_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until_up(base_url, server)
        resources = measure(base_url)
    except (RuntimeError, subprocess.CalledProcessError, httpx.HTTPError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        if isinstance(exc, subprocess.CalledProcessError) and exc.stderr:
            print(exc.stderr.decode(errors="replace"), file=sys.stderr)
        if log_path.exists():
            print(log_path.read_text(errors="replace"), file=sys.stderr)
        return 2
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"Page weight of / ({base_url}, demo data)\n")
    return 0 if report(resources, args.budget) else 1


if __name__ == "__main__":
    sys.exit(main())
