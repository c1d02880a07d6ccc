"""Ports that hold: what import-linter (make lint) cannot see, read from the source."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _modules(folder: str) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted((ROOT / folder).rglob("*.py")):
        yield str(path.relative_to(ROOT)), ast.parse(path.read_text(encoding="utf-8"))


def test_one_place_asks_for_deliveries() -> None:
    """Five routes each scheduled `deliveries.request` themselves (issue 11); since
    issue 12 a job runs from `Delivery` (after an answer, on the clock) or from the
    stream-fed `deliverer` function, never from a route."""
    callers = {
        name
        for name, tree in _modules("web")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in ("run", "drain")
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "worker"
    }
    assert callers == {"web/services/delivery.py", "web/lambda.py"}


def test_no_service_names_a_providers_event() -> None:
    """`services/payments.py` compared Stripe's event names (issue 11): the adapter
    translates them into the port's PaymentEvent kinds."""
    named = {
        (name, node.value)
        for name, tree in _modules("web/services")
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith(("payment_intent.", "charge."))
    }
    assert named == set()


def test_no_service_or_route_asks_which_adapter_it_has() -> None:
    """`isinstance(self.provider, SimulatedPayments)`, `isinstance(files, LocalFiles)`
    and `isinstance(mailer, OutboxMailer)` chose behaviour by adapter (issue 11)."""
    adapters = {  # the implementations' classes; a port's own words may be asked of
        node.name
        for name, tree in _modules("web/adapters")
        if not name.endswith("/port.py")
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    asked = {
        (name, ast.unparse(node))
        for folder in ("web/services", "web/routes")
        for name, tree in _modules(folder)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "isinstance"
        and len(node.args) == 2
        and any(
            isinstance(part, ast.Name) and part.id in adapters for part in ast.walk(node.args[1])
        )
    }
    assert asked == set()
