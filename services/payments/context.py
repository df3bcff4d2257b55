"""What the flows need besides a transaction: the database, the Alipay client, settings, the clock."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from services.payments.settings import PaymentsSettings
from shared.alipay import AlipayClient
from shared.changes import Changes
from shared.clock import Clock
from shared.db import Database
from shared.service import CHANGES, DB


@dataclass
class Context:
    app: web.Application
    alipay: AlipayClient
    settings: PaymentsSettings
    clock: Clock

    @property
    def db(self) -> Database:
        # The pool is opened by the service skeleton, after the Alipay client; read it when used.
        return self.app[DB]

    @property
    def changes(self) -> Changes:
        return self.app[CHANGES]


CONTEXT = web.AppKey("payments_context", Context)
