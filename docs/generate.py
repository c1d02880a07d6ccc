"""Writes the parts of the docs that come from the code, between their markers.

    python docs/generate.py           rewrite them
    python docs/generate.py --check   exit 1 when one no longer matches the code

- README.md, the settings table: from the fields of `web.settings.Settings`.
- docs/ARCHITECTURE.md, the layers picture (mermaid): every `web.*` and `models.*` module
  is read with `ast` (nothing is imported), put into the box of its layer, and an arrow
  drawn for each import between two boxes (but for the composition root's, which reach
  every adapter on purpose).
- docs/REFERENCE.md: every route the app serves (from its router), every module (from its
  docstring) and every Store operation (from the abstract methods of `models.store`).

`tests/test_docs.py` runs the check, so none of them can drift from the code.
"""

from __future__ import annotations

import ast
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Box id, its label, and the layer (mermaid subgraph) it sits in.
LAYERS = {
    "front": "front ends",
    "services": "use cases: web/services/",
    "ports": "ports",
    "adapters": "adapters",
    "domain": "domain: models/",
}
ENTRY_POINTS = {"web.app", "web.wiring", "web.lambda", "web.cli", "web.clock"}


def box(module: str) -> tuple[str, str, str] | None:
    """(id, label, layer) of the box a module belongs to; None for modules left out."""
    parts = module.split(".")
    if module in ENTRY_POINTS:
        return "entry", "app.py, wiring.py, lambda.py,<br/>cli.py, clock.py", "front"
    if parts[:3] == ["web", "routes", "api"]:
        return "api", "routes/api/ (JSON)", "front"
    if parts[:2] == ["web", "routes"]:
        return "pages", "routes/ (pages, htmx)", "front"
    if parts[:2] == ["web", "services"] and len(parts) > 2:
        return f"svc_{parts[2]}", parts[2], "services"
    if parts[:2] == ["web", "adapters"] and len(parts) > 3:
        port, implementation = parts[2], parts[3]
        if implementation == "port":
            return f"port_{port}", port, "ports"
        return f"{port}_{implementation}", f"{port}: {implementation}", "adapters"
    if module == "web.adapters.aws_clients":
        return "aws_clients", "aws_clients", "adapters"
    if module == "models.store":
        return "port_store", "store", "ports"
    if parts[:2] in (["models", "sqlite"], ["models", "dynamo"]):
        return f"store_{parts[1]}", f"store: {parts[1]}", "adapters"
    if parts[0] == "models":
        return "rules", "domain.py, tickets.py, event_rules.py,<br/>errors.py, money.py", "domain"
    return None  # web's own helpers (settings, templating, middleware...): everywhere


def modules() -> Iterator[tuple[str, Path]]:
    for package in ("web", "models"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "piccolo_migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            yield name.removesuffix(".__init__"), path


def imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def picture() -> str:
    boxes: dict[str, tuple[str, str]] = {}
    arrows: set[tuple[str, str]] = set()
    for name, path in modules():
        source = box(name)
        if source is None:
            continue
        boxes[source[0]] = source[1:]
        for imported in imports(path):
            target = box(imported)
            if target is None or target[0] == source[0]:
                continue
            boxes[target[0]] = target[1:]
            # The composition root imports every adapter by design; its arrows would hide
            # the ones that matter.
            if source[0] != "entry":
                arrows.add((source[0], target[0]))
    lines = ["```mermaid", "flowchart LR"]
    for layer, title in LAYERS.items():
        lines.append(f'    subgraph {layer}["{title}"]')
        for ident, (label, where) in sorted(boxes.items()):
            if where == layer:
                lines.append(f'        {ident}["{label}"]')
        lines.append("    end")
    lines += [f"    {source} --> {target}" for source, target in sorted(arrows)]
    lines.append("```")
    return "\n".join(lines)


def settings_table() -> str:
    sys.path.insert(0, str(ROOT))
    from web.settings import settings_table

    return settings_table()


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n\n")[0].replace("\n", " ").replace("|", "\\|")


def routes_table() -> str:
    """Method, path and handler of every route, in the router's order."""
    sys.path.insert(0, str(ROOT))
    from starlette.routing import Mount, Route

    from web.app import create_app
    from web.settings import Settings

    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(Settings(data_dir=Path(data_dir)))

    rows = ["| method | path | handler |", "|---|---|---|"]

    def walk(routes: list[object], prefix: str) -> None:
        for route in routes:
            if isinstance(route, Mount):
                if route.routes:
                    walk(list(route.routes), prefix + route.path)
                else:
                    rows.append(f"| GET | `{prefix}{route.path}/…` | static files |")
            elif isinstance(route, Route):
                methods = sorted((route.methods or {"GET"}) - {"HEAD"})
                handler = f"`{route.endpoint.__module__}.{route.endpoint.__name__}`"
                rows.append(f"| {', '.join(methods)} | `{prefix}{route.path}` | {handler} |")

    walk(list(app.routes), "")
    return "\n".join(rows)


def modules_table() -> str:
    """Every module of web/ and models/ with the first paragraph of its docstring."""
    rows = ["| module | what it is |", "|---|---|"]
    for _, path in modules():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        relative = path.relative_to(ROOT).as_posix()
        rows.append(f"| `{relative}` | {_first_line(doc)} |")
    return "\n".join(rows)


def store_table() -> str:
    """The Store's operations (its abstract methods) with the first paragraph of each
    docstring."""
    sys.path.insert(0, str(ROOT))
    import inspect

    from models.store import Store

    rows = ["| operation | what it does |", "|---|---|"]
    for name in sorted(Store.__abstractmethods__):
        method = getattr(Store, name)
        signature = str(inspect.signature(method)).replace("self, ", "").replace("(self)", "()")
        signature = signature.replace("'", "")  # annotations are strings (PEP 563)
        doc = _first_line(inspect.getdoc(method)) or "(see the name)"
        rows.append(f"| `{name}{signature}` | {doc} |")
    return "\n".join(rows)


# (file, marker name, what goes between the markers)
GENERATED = (
    ("README.md", "settings", settings_table),
    ("docs/ARCHITECTURE.md", "layers", picture),
    ("docs/REFERENCE.md", "routes", routes_table),
    ("docs/REFERENCE.md", "modules", modules_table),
    ("docs/REFERENCE.md", "store", store_table),
)


def markers(name: str) -> tuple[str, str]:
    return (
        f"<!-- {name}: generated by `python docs/generate.py`; do not edit by hand -->",
        f"<!-- {name}: end -->",
    )


def regenerated(text: str, name: str, make: Callable[[], str]) -> str:
    start, end = markers(name)
    before, found_start, rest = text.partition(start)
    _, found_end, after = rest.partition(end)
    if not found_start or not found_end:
        raise SystemExit(f"the markers of {name!r} are missing: {start} ... {end}")
    return f"{before}{start}\n{make()}\n{end}{after}"


def main(argv: list[str]) -> int:
    stale = []
    for relative, name, make in GENERATED:
        doc = ROOT / relative
        text = doc.read_text(encoding="utf-8")
        wanted = regenerated(text, name, make)
        if wanted == text:
            continue
        stale.append(f"{relative}: the {name} no longer match the code")
        if "--check" not in argv:
            doc.write_text(wanted, encoding="utf-8")
    if "--check" in argv and stale:
        print("\n".join(stale) + "\nrun: python docs/generate.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
