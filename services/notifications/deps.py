"""What notifications' handlers, flows and jobs are given: the shared Deps plus the Alipay client (buyer
messages) and the webhook client (merchant alerts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from aiohttp import web

from services.notifications.settings import NotificationsSettings
from shared.alipay import AlipayClient
from shared.service import DEPS, Deps, with_clients
from shared.webhooks import WebhookClient


@dataclass(frozen=True)
class NotificationsDeps(Deps[NotificationsSettings]):
    alipay: AlipayClient
    webhooks: WebhookClient


def build_deps(base: Deps[Any]) -> NotificationsDeps:
    """The skeleton's Deps with the Alipay client on its HTTP session, and the webhook client on a session of
    its own (it resolves names through a resolver that refuses private addresses outside development)."""
    settings = cast(NotificationsSettings, base.settings)
    return with_clients(base, NotificationsDeps, alipay=settings.alipay_client(base.http),
                        webhooks=WebhookClient(allow_private=settings.webhooks_may_be_private,
                                               timeout_s=settings.webhook_timeout_s))


def deps_of(app: web.Application) -> NotificationsDeps:
    return cast(NotificationsDeps, app[DEPS])
