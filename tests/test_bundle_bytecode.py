"""infra/bytecode.py: the Lambda bundle carries bytecode that Python uses as it is."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra.bytecode import add_bytecode, runtime_version

VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"
TAG = sys.implementation.cache_tag  # e.g. cpython-311


def _bundle(path: Path) -> Path:
    bundle = path / "admit.zip"
    with zipfile.ZipFile(bundle, "w") as target:
        target.writestr("web/__init__.py", "")
        target.writestr("web/greeting.py", "WORDS = 'hello'\n")
        target.writestr("web/__pycache__/greeting.cpython-39.pyc", b"stale")  # dropped
        script = zipfile.ZipInfo("bin/run.sh")
        script.external_attr = 0o755 << 16
        target.writestr(script, "#!/bin/sh\n")
    return bundle


def test_the_bundle_gets_unchecked_hash_bytecode_for_every_module(tmp_path: Path) -> None:
    """Without it (issue 12) every cold start on read-only Lambda compiled every module."""
    bundle = _bundle(tmp_path)
    count, _, _ = add_bytecode(bundle, sys.executable, VERSION)
    assert count == 2
    with zipfile.ZipFile(bundle) as result:
        names = set(result.namelist())
        pyc = result.read(f"web/__pycache__/greeting.{TAG}.pyc")
        mode = result.getinfo("bin/run.sh").external_attr >> 16
    assert "web/__pycache__/greeting.cpython-39.pyc" not in names
    assert {"web/greeting.py", "bin/run.sh", f"web/__pycache__/__init__.{TAG}.pyc"} <= names
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    # PEP 552 flags: bit 0 hash-based, bit 1 check_source; unchecked-hash is 0b01.
    assert int.from_bytes(pyc[4:8], "little") == 0b01
    assert mode == 0o755


def test_bytecode_is_used_however_the_sources_times_came_out(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    add_bytecode(bundle, sys.executable, VERSION)
    task = tmp_path / "task"
    with zipfile.ZipFile(bundle) as result:
        result.extractall(task)
    (task / "web" / "greeting.py").write_text("WORDS = 'changed after packaging'\n")
    done = subprocess.run(
        [sys.executable, "-B", "-c", "import web.greeting as g; print(g.WORDS)"],
        cwd=task,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "hello"  # the shipped bytecode, not a new compile


def test_an_interpreter_of_another_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="its bytecode would be ignored"):
        add_bytecode(_bundle(tmp_path), sys.executable, "2.7")


def test_the_runtime_version_comes_from_serverless_yml() -> None:
    assert runtime_version() == "3.12"
