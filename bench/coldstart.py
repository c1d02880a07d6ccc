"""Lambda cold start: import the handler module, serve the first request, then a warm one.

    .venv/bin/python bench/coldstart.py [--runs 5] [--adapters aws|local]

Each run is a fresh Python process, so every import is cold (the .pyc files and the OS page
cache are warm, as in a Lambda container that has just loaded its bundle).

With `--adapters aws` (the default) the parent starts a moto server on 127.0.0.1 and makes
there what a deployment has: the DynamoDB tables, the tickets bucket, the Cognito pool, the
SES sender and the secrets as SSM SecureStrings. The child gets serverless.yml's
environment: ADMIT_STORE=dynamodb, ADMIT_FILES=s3, ADMIT_IDENTITY=cognito, ADMIT_MAIL=ses,
ADMIT_PAYMENTS=stripe and the `*_PARAMETER` names, so its cold start reads the secrets
from SSM and opens the store on DynamoDB as on Lambda (moto answers in a millisecond or
two, AWS in a few more: see docs/BENCHMARKS.md). With `--adapters local` the parent
migrates a SQLite database and passes the secrets in the environment (with
ADMIT_PAYMENTS=stripe: production refuses the simulator). In the child:

- import: `importlib.import_module("web.lambda")`;
- first: the first `handler(event)`, for the home page `GET /`: it builds the settings (with
  the secrets), keys and app, opens the event loop, runs the lifespan (the store opens) and
  renders the page from a store query, as a visitor's first request would;
- warm: the same page again, on the now warm container;
- peak RSS of the child (`resource.getrusage`).

The target is import + first <= 500 ms on an idle machine. The interpreter's own start-up
(and Lambda's runtime bootstrap) is not included; the parent's wall time for the whole
child process is printed as `process`.

A busy machine slows all of it, so each run is paired with a baseline measured the same
way just before it: the wall time of a bare `python -c "import starlette"` process (same
interpreter, same environment). The result is also printed as a ratio to the baseline's
median, which stays meaningful when other work shares the CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 500.0
COLUMNS = ("import_ms", "first_ms", "total_ms", "warm_ms", "process_ms", "rss_mb")


def http_event(path: str) -> dict:
    """A minimal API Gateway HTTP API (payload 2.0) GET."""
    host = "abc123.execute-api.eu-west-1.amazonaws.com"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": host, "x-forwarded-proto": "https", "x-forwarded-port": "443"},
        "requestContext": {
            "domainName": host,
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "1.2.3.4"},
            "routeKey": "$default",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


# Installed here for the tests but not in the Lambda bundle (infra/lambda-requirements.txt):
# aiobotocore imports httpx (its optional backend) whenever it is importable, about 65 ms
# that a deployed function never pays. The child hides them, as the bundle does.
NOT_IN_BUNDLE = ("httpx", "httpx2")


class _HideNotBundled:
    """A meta path finder that makes the packages of NOT_IN_BUNDLE unimportable."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.split(".")[0] in NOT_IN_BUNDLE:
            raise ModuleNotFoundError(f"No module named {name!r} (not in the Lambda bundle)")


def bundled_requirements() -> set[str]:
    lines = (ROOT / "infra" / "lambda-requirements.txt").read_text().splitlines()
    names = (line.split("#")[0].strip() for line in lines)
    return {re.split(r"[\[<>=!~ ]", name)[0].lower() for name in names if name}


def child() -> None:
    """Runs in the fresh process: time the import and the first two requests."""
    import importlib
    import resource

    sys.meta_path.insert(0, _HideNotBundled())  # type: ignore[arg-type]
    sys.path.insert(0, str(ROOT))
    start = time.perf_counter()
    module = importlib.import_module("web.lambda")
    imported = time.perf_counter()
    first = module.handler(http_event("/"), None)
    served = time.perf_counter()
    warm = module.handler(http_event("/"), None)
    warmed = time.perf_counter()
    # The store's connection threads keep a process alive until it closes them (on Lambda
    # the container is simply frozen and killed).
    module.shutdown()
    statuses = [first["statusCode"], warm["statusCode"]]
    if statuses != [200, 200]:
        raise SystemExit(f"unexpected statuses {statuses}: {first}")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {
                "import_ms": (imported - start) * 1000,
                "first_ms": (served - imported) * 1000,
                "total_ms": (served - start) * 1000,
                "warm_ms": (warmed - served) * 1000,
                "rss_mb": peak_kb / 1024,
                "heavy_loaded": sorted(
                    name
                    for name in ("stripe", "reportlab", "aiobotocore", "botocore")
                    if name in sys.modules
                ),
            }
        )
    )


def _secrets() -> dict[str, str]:
    import secrets

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {
        "ADMIT_SECRET_KEY": secrets.token_urlsafe(48),
        "ADMIT_TICKET_SIGNING_KEY": pem.decode(),
        "ADMIT_STRIPE_SECRET_KEY": "sk_test_coldstart",
        "ADMIT_STRIPE_PUBLISHABLE_KEY": "pk_test_coldstart",
        "ADMIT_STRIPE_WEBHOOK_SECRET": "whsec_coldstart",
    }


def _base_environ(data_dir: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ADMIT_", "AWS_"))}
    environ.update(
        {
            "ADMIT_ENV": "production",
            "ADMIT_DATA_DIR": str(data_dir),
            "ADMIT_BASE_URL": "https://abc123.execute-api.eu-west-1.amazonaws.com",
        }
    )
    return environ


def prepare_local(data_dir: Path) -> dict[str, str]:
    """A migrated database and production-style secrets, made before any timing."""
    import asyncio

    from models.sqlite.migrate import migrate

    asyncio.run(migrate(data_dir / "admit.sqlite3", quiet=True))
    environ = _base_environ(data_dir)
    secrets = _secrets()
    # Production refuses the payment simulator (it confirms without taking money), so the
    # Stripe adapter with test keys, as on AWS; the home page never calls it.
    environ.update(secrets)
    environ["ADMIT_PAYMENTS"] = "stripe"
    return environ


def prepare_aws(data_dir: Path, endpoint: str) -> dict[str, str]:
    """The deployment's resources on moto, and serverless.yml's environment for them."""
    import asyncio

    from aiobotocore.session import AioSession

    from tests.aws_app import aws_settings

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    settings = asyncio.run(aws_settings(endpoint))
    parameters = {name: f"/admit/bench/{name.lower()}" for name in _secrets()}

    async def put_secrets() -> None:
        async with AioSession().create_client(
            "ssm", endpoint_url=endpoint, region_name=settings["aws_region"]
        ) as ssm:
            for name, value in _secrets().items():
                await ssm.put_parameter(Name=parameters[name], Value=value, Type="SecureString")

    asyncio.run(put_secrets())
    environ = _base_environ(data_dir)
    environ.update(
        {
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "ADMIT_STORE": "dynamodb",
            "ADMIT_FILES": "s3",
            "ADMIT_IDENTITY": "cognito",
            "ADMIT_MAIL": "ses",
            "ADMIT_PAYMENTS": "stripe",
            "ADMIT_AWS_REGION": settings["aws_region"],
            "ADMIT_AWS_ENDPOINT_URL": endpoint,
            "ADMIT_DYNAMODB_TABLES": ",".join(f"{k}={v}" for k, v in settings["dynamodb_tables"]),
            "ADMIT_S3_BUCKET": settings["s3_bucket"],
            "ADMIT_MAIL_FROM": settings["mail_from"],
            "ADMIT_COGNITO_USER_POOL_ID": settings["cognito_user_pool_id"],
            "ADMIT_COGNITO_CLIENT_ID": settings["cognito_client_id"],
            "ADMIT_COGNITO_JWKS_URL": settings["cognito_jwks_url"],
            **{f"{name}_PARAMETER": parameter for name, parameter in parameters.items()},
        }
    )
    return environ


@contextmanager
def _moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    from tests.moto_server import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


BASELINE = "import starlette"


def run_baseline(environ: dict[str, str]) -> float:
    """Wall milliseconds of a bare interpreter start that imports Starlette."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", BASELINE], cwd=ROOT, env=environ, check=True)
    return (time.perf_counter() - start) * 1000


def run_once(environ: dict[str, str]) -> dict:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    process_ms = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        raise SystemExit(f"child failed ({done.returncode}):\n{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process_ms"] = process_ms
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes to measure")
    parser.add_argument(
        "--adapters",
        choices=("aws", "local"),
        default="aws",
        help="aws: DynamoDB, S3, Cognito, SES, SSM and Stripe as on Lambda, on moto; "
        "local: SQLite, files, outbox mail, Stripe keys from the environment",
    )
    parser.add_argument(
        "--without-bytecode",
        action="store_true",
        help="no .pyc files, as a bundle without them starts on read-only Lambda",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return

    sys.path.insert(0, str(ROOT))
    hidden_but_bundled = set(NOT_IN_BUNDLE) & bundled_requirements()
    if hidden_but_bundled:
        raise SystemExit(f"{hidden_but_bundled} are in the bundle: remove them from NOT_IN_BUNDLE")
    with tempfile.TemporaryDirectory(prefix="admit-coldstart-") as folder, ExitStack() as stack:
        if args.adapters == "aws":
            endpoint = stack.enter_context(_moto_server())
            environ = prepare_aws(Path(folder), endpoint)
            described = "aws on moto (DynamoDB, S3, Cognito, SES, secrets from SSM, Stripe)"
        else:
            environ = prepare_local(Path(folder))
            described = "local (SQLite, local files, outbox mail; Stripe keys in the environment)"
        # The bundle's bytecode (infra/bytecode.py), as Lambda reads it: never written
        # while measuring. A first, unmeasured run compiles it into a folder of its own, so
        # the figures do not depend on this checkout's __pycache__ state. With
        # --without-bytecode the children get an empty one: every module compiles at each
        # start (the baseline keeps its bytecode: it is the machine's yardstick).
        bytecode = Path(folder) / "bytecode"
        writing = {**environ, "PYTHONPYCACHEPREFIX": str(bytecode)}
        writing.pop("PYTHONDONTWRITEBYTECODE", None)
        run_once(writing)
        shipped = {**environ, "PYTHONPYCACHEPREFIX": str(bytecode), "PYTHONDONTWRITEBYTECODE": "1"}
        none = Path(folder) / "no-bytecode"
        none.mkdir()
        measured = (
            {**shipped, "PYTHONPYCACHEPREFIX": str(none)} if args.without_bytecode else shipped
        )
        baselines: list[float] = []
        runs: list[dict] = []
        for _ in range(args.runs):  # interleaved, so both see the same load
            baselines.append(run_baseline(shipped))  # the yardstick always has its bytecode
            runs.append(run_once(measured))
        load = os.getloadavg()

    print("Lambda cold start, in-process handler, API Gateway HTTP API v2 events")
    print(f"adapters: {described}")
    print("bytecode: " + ("none (every module compiled)" if args.without_bytecode else "shipped"))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.runs} fresh processes")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min) at the end")
    print()
    print("run  " + "  ".join(f"{c:>10}" for c in COLUMNS))
    for number, figures in enumerate(runs, 1):
        print(f"{number:>3}  " + "  ".join(f"{figures[c]:>10.1f}" for c in COLUMNS))
    medians = {c: statistics.median(f[c] for f in runs) for c in COLUMNS}
    print("med  " + "  ".join(f"{medians[c]:>10.1f}" for c in COLUMNS))
    print()
    heavy = sorted({name for figures in runs for name in figures["heavy_loaded"]})
    print(f"heavy libraries loaded by the first request: {', '.join(heavy) or 'none'}")
    total = medians["total_ms"]
    baseline = statistics.median(baselines)
    print(
        f'baseline, `python -c "{BASELINE}"` process (median of {len(baselines)}): '
        f"{baseline:.0f} ms ({', '.join(f'{b:.0f}' for b in baselines)})"
    )
    verdict = "within" if total <= TARGET_MS else "OVER"
    print(f"import + first response (median): {total:.0f} ms, {verdict} the target")
    print(f"import + first response / baseline: {total / baseline:.2f}")
    print(f"whole cold process / baseline: {medians['process_ms'] / baseline:.2f}")
    print(f"target: {TARGET_MS:.0f} ms on an idle machine")
    if total > TARGET_MS:
        sys.exit(1)


if __name__ == "__main__":
    main()
