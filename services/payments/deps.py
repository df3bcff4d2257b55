"""What payments' handlers, flows and jobs are given: the shared Deps plus the Alipay client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from aiohttp import web

from services.payments.settings import PaymentsSettings
from shared.alipay import AlipayClient
from shared.service import DEPS, Deps, with_clients


@dataclass(frozen=True)
class PaymentsDeps(Deps[PaymentsSettings]):
    alipay: AlipayClient


def build_deps(base: Deps[Any]) -> PaymentsDeps:
    """The skeleton's Deps with an Alipay client on its HTTP session (built before consumers and jobs start)."""
    settings = cast(PaymentsSettings, base.settings)
    return with_clients(base, PaymentsDeps, alipay=settings.alipay_client(base.http))


def deps_of(app: web.Application) -> PaymentsDeps:
    return cast(PaymentsDeps, app[DEPS])
