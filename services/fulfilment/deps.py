"""What fulfilment's handlers, flows and jobs are given: the shared Deps plus the 快递100 client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from aiohttp import web

from services.fulfilment.settings import FulfilmentSettings
from shared.kuaidi100 import Kuaidi100Client
from shared.service import DEPS, Deps, with_clients


@dataclass(frozen=True)
class FulfilmentDeps(Deps[FulfilmentSettings]):
    kuaidi100: Kuaidi100Client


def build_deps(base: Deps[Any]) -> FulfilmentDeps:
    """The skeleton's Deps with a 快递100 client on its HTTP session (built before consumers and jobs start)."""
    settings = cast(FulfilmentSettings, base.settings)
    return with_clients(base, FulfilmentDeps, kuaidi100=settings.kuaidi100_client(base.http))


def deps_of(app: web.Application) -> FulfilmentDeps:
    return cast(FulfilmentDeps, app[DEPS])
