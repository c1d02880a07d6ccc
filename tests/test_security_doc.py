"""docs/SECURITY.md names only tests that exist: each `file.py::test_name` is checked."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "SECURITY.md"
REFERENCE = re.compile(r"`([\w/]+\.py)::(\w+)`")


def _test_names(path: Path) -> set[str]:
    """Test functions and test methods defined in a file (contract classes included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_every_test_security_md_names_exists() -> None:
    references = REFERENCE.findall(DOC.read_text(encoding="utf-8"))
    assert references, "docs/SECURITY.md names no tests"
    missing = []
    for file, name in sorted(set(references)):
        path = ROOT / "tests" / file
        if not path.is_file() or name not in _test_names(path):
            missing.append(f"{file}::{name}")
    assert not missing, "docs/SECURITY.md names tests that do not exist:\n" + "\n".join(missing)
