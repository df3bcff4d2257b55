"""The checks CI runs through pytest (deploy/test.sh runs nothing else): mypy strict on shared/ and services/,
ruff on the repository, and the layering rule of docs/CONTRIBUTING-SERVICES.md (business code raises
shared.refusal.Refusal and knows nothing of HTTP)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Modules that hold business rules, use cases, SQL or event handling: no HTTP package may be imported there.
BUSINESS = [
    *ROOT.glob("services/*/domain.py"), *ROOT.glob("services/*/domain/*.py"),
    *ROOT.glob("services/*/flows.py"), *ROOT.glob("services/*/flows/*.py"), *ROOT.glob("services/*/handlers.py"),
    *ROOT.glob("services/*/jobs.py"),
    *ROOT.glob("services/*/store.py"), *ROOT.glob("services/*/store/*.py"),
    ROOT / "shared/refusal.py",
]
HTTP_MODULES = ("shared.http", "aiohttp.web_exceptions")
# Known exceptions, each with its reason; the list only shrinks.
ALLOWED: dict[str, set[str]] = {
    # none today
}


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_mypy_strict_passes():
    result = run("mypy")  # files and options: [tool.mypy] in pyproject.toml
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_passes():
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def imported(path: Path) -> set[str]:
    """Every module a file imports, with `from a import b` also counted as `a.b` (b may be a module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_business_code_raises_refusals_and_imports_no_http():
    offenders = {}
    for path in sorted(set(BUSINESS)):
        rel = str(path.relative_to(ROOT))
        bad = {m for m in imported(path)
               if m.startswith(HTTP_MODULES) or (m.startswith("services.") and ".api" in m)}
        if bad and ALLOWED.get(rel) != bad:
            offenders[rel] = sorted(bad)
    assert offenders == {}, f"business modules importing HTTP code (raise shared.refusal.Refusal): {offenders}"


def test_domain_modules_do_no_io():
    offenders = {str(p.relative_to(ROOT)): sorted(bad) for p in [*ROOT.glob("services/*/domain.py"),
                                                                   *ROOT.glob("services/*/domain/*.py")]
                 if (bad := {m for m in imported(p) if m.split(".")[0] in ("aiohttp", "asyncpg", "aio_pika")})}
    assert offenders == {}, f"domain modules are pure rules: {offenders}"
