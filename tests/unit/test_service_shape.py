"""Every service built on the shared skeleton has the same slots (docs/CONTRIBUTING-SERVICES.md): knowing one
service is knowing all. This walks services/* and checks the shape, so a new service or a reshaped one cannot
quietly drift from it."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

from shared.service import Handlers, Job
from tests.unit.test_static_checks import imported

ROOT = Path(__file__).resolve().parents[2]
# Services that keep data run on the shared skeleton (a schema of their own, events, the one shape). The Alipay
# sandbox is a stand-in for Alipay, not a mall service, and has none of it.
SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/migrations"))
BUSINESS_SLOTS = ("flows", "domain", "handlers", "jobs")


def slot(service: str, name: str) -> Path | None:
    """The slot as a module or a package, or None."""
    base = ROOT / "services" / service
    for path in (base / f"{name}.py", base / name):
        if path.exists():
            return path
    return None


def modules_of(path: Path) -> list[Path]:
    return sorted(path.rglob("*.py")) if path.is_dir() else [path]


def test_every_skeleton_service_is_found():
    assert {"analytics", "catalog", "gateway", "marketing", "orders", "payments"} <= set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_has_the_fixed_slots(service):
    for name in ("__main__", "app", "settings", "deps", "store"):
        assert slot(service, name) is not None, f"services/{service} has no {name}"
    assert (ROOT / "services" / service / "API.md").exists(), f"services/{service} has no API.md"


@pytest.mark.parametrize("service", SERVICES)
def test_create_app_takes_settings_and_an_optional_clock(service):
    create_app = importlib.import_module(f"services.{service}.app").create_app
    params = inspect.signature(create_app).parameters
    assert list(params)[:1] == ["settings"]
    assert params["clock"].kind is inspect.Parameter.KEYWORD_ONLY and params["clock"].default is None


@pytest.mark.parametrize("service", SERVICES)
def test_handlers_and_jobs_are_module_level_tables(service):
    if slot(service, "handlers") is not None:
        handlers = importlib.import_module(f"services.{service}.handlers")
        assert isinstance(handlers.HANDLERS, Handlers) and handlers.HANDLERS.table
    if slot(service, "jobs") is not None:
        jobs = importlib.import_module(f"services.{service}.jobs").JOBS
        assert jobs and all(isinstance(job, Job) for job in jobs)


@pytest.mark.parametrize("service", SERVICES)
def test_business_slots_know_nothing_of_http(service):
    offenders = {}
    for name in BUSINESS_SLOTS:
        path = slot(service, name)
        for module in modules_of(path) if path else []:
            bad = {m for m in imported(module) if m.startswith(("aiohttp.web", "shared.http"))}
            if bad:
                offenders[str(module.relative_to(ROOT))] = sorted(bad)
    assert not offenders, offenders
