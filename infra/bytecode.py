"""Put compiled bytecode into the Lambda bundle, so a cold start does not compile.

Lambda's code directory is read-only: Python cannot write the `.pyc` files it compiles, so a
bundle without them compiles every module it imports (botocore, aiohttp, Starlette, Jinja2,
the app) again at every cold start. Serverless leaves them out (`!**/__pycache__/**`, and
the requirements plugin's `slim` strips `*.pyc`), and the ones pip writes are for the
packaging interpreter anyway. Measured with bench/coldstart.py's child on this machine, no
bytecode made import + first response about 3 times slower (docs/BENCHMARKS.md).

This rewrites the bundle with `__pycache__` entries compiled by the runtime's Python
version (serverless.yml `provider.runtime`), in *unchecked-hash* mode: such a `.pyc` is
used without looking at the source's modification time, which a zip keeps only to two
seconds. They are compiled from the bundle's own sources right here, so they cannot be
stale.

    python infra/bytecode.py build/serverless-prod/admit.zip --python python3.12
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def runtime_version(serverless_yml: Path = ROOT / "serverless.yml") -> str:
    """'3.12' for `runtime: python3.12`."""
    found = re.search(r"^\s*runtime:\s*python(\d+\.\d+)\s*$", serverless_yml.read_text(), re.M)
    if found is None:
        raise SystemExit(f"no `runtime: pythonX.Y` in {serverless_yml}")
    return found.group(1)


def interpreter_version(python: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 (the operator names the interpreter)
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(
            f"cannot run {python!r} ({exc}): bytecode must be made by the Lambda runtime's "
            "Python version; install it or name it with LAMBDA_PYTHON=/path/to/python"
        ) from exc
    return done.stdout.strip()


def add_bytecode(bundle: Path, python: str, version: str) -> tuple[int, int, int]:
    """Rewrite `bundle` with compiled bytecode; (modules compiled, bytes before, after)."""
    found = interpreter_version(python)
    if found != version:
        raise SystemExit(
            f"{python} is Python {found}, the functions run {version}: its bytecode would be "
            "ignored. Name a matching interpreter with LAMBDA_PYTHON."
        )
    before = bundle.stat().st_size
    with tempfile.TemporaryDirectory(prefix="admit-bundle-") as folder:
        tree = Path(folder) / "task"
        with zipfile.ZipFile(bundle) as source:
            entries = [info for info in source.infolist() if "__pycache__/" not in info.filename]
            source.extractall(tree, members=entries)
        subprocess.run(  # noqa: S603 (the operator names the interpreter)
            [
                python,
                "-m",
                "compileall",
                "-q",
                "-j",
                "0",
                "--invalidation-mode",
                "unchecked-hash",
                # Tracebacks name the files where Lambda unpacks them.
                "-s",
                str(tree),
                "-p",
                "/var/task",
                str(tree),
            ],
            check=True,
        )
        compiled = sorted(tree.rglob("__pycache__/*.pyc"))
        rewritten = bundle.with_suffix(".tmp")
        with zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as target:
            with zipfile.ZipFile(bundle) as source:
                for info in entries:
                    target.writestr(info, source.read(info))  # names, modes and times kept
            for path in compiled:
                name = path.relative_to(tree).as_posix()
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                target.writestr(info, path.read_bytes())
        rewritten.replace(bundle)
    return len(compiled), before, bundle.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", type=Path, help="the zip `serverless package` wrote")
    parser.add_argument("--python", default="python3.12", help="the runtime's interpreter")
    parser.add_argument(
        "--runtime",
        default=None,
        help="the Python version the functions run (default: serverless.yml's runtime)",
    )
    args = parser.parse_args(argv)
    version = args.runtime or runtime_version()
    count, before, after = add_bytecode(args.bundle, args.python, version)
    print(
        f"{args.bundle}: {count} modules compiled for Python {version} "
        f"({before / 1e6:.1f} MB -> {after / 1e6:.1f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
