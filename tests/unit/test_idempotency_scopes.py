"""Every idempotency scope in services/* is named "<what>:<owner id>" (docs/CONTRIBUTING-SERVICES.md): the
owner keeps one client's keys from ever answering another, and one naming lets people read the table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WHAT = re.compile(r"^[a-z][a-z_-]*:$")
# The functions that store keys under a scope, and where their scope argument is.
SCOPE_ARGUMENT = {"idempotent": 2, "maybe_idempotent": 1, "run_idempotent": None}  # None: keyword only


def scopes() -> list[tuple[str, ast.expr]]:
    found = []
    for path in sorted((ROOT / "services").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name not in SCOPE_ARGUMENT:
                continue
            position = SCOPE_ARGUMENT[name]
            scope = next((k.value for k in node.keywords if k.arg == "scope"), None)
            if scope is None and position is not None and len(node.args) > position:
                scope = node.args[position]
            assert scope is not None, f"{path.relative_to(ROOT)}:{node.lineno}: {name}(...) without a scope"
            found.append((f"{path.relative_to(ROOT)}:{node.lineno}", scope))
    return found


def well_named(scope: ast.expr) -> bool:
    """f"<what>:{owner}" exactly, or `scope` passed on by a helper that takes one."""
    if isinstance(scope, ast.Name):
        return scope.id == "scope"
    return (isinstance(scope, ast.JoinedStr) and len(scope.values) == 2
            and isinstance(scope.values[0], ast.Constant) and WHAT.match(str(scope.values[0].value)) is not None
            and isinstance(scope.values[1], ast.FormattedValue) and isinstance(scope.values[1].value, ast.Name))


def test_every_scope_is_what_colon_owner():
    found = scopes()
    assert len(found) >= 12  # the walk finds the calls (orders, catalog, payments, marketing, fulfilment, ...)
    bad = [f"{where}: {ast.unparse(scope)}" for where, scope in found if not well_named(scope)]
    assert bad == [], "name idempotency scopes f\"<what>:{owner id}\": " + "; ".join(bad)
