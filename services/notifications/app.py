"""create_app(settings): the notifications service with its routes, event handlers and sending jobs."""

from __future__ import annotations

from aiohttp import web

from services.notifications import api
from services.notifications.deps import NotificationsDeps, build_deps
from services.notifications.handlers import HANDLERS
from services.notifications.jobs import JOBS
from services.notifications.settings import NotificationsSettings
from shared.clock import Clock
from shared.service import DEPS, create_service_app


def create_app(settings: NotificationsSettings, *, clock: Clock | None = None) -> web.Application:
    app = create_service_app(settings, clock=clock, handlers=HANDLERS, jobs=JOBS, build_deps=build_deps)
    app.router.add_routes(api.routes)
    app.on_cleanup.append(_close_webhook_client)
    return app


async def _close_webhook_client(app: web.Application) -> None:
    deps = app.get(DEPS)
    if isinstance(deps, NotificationsDeps):  # absent when the start failed before the resources were open
        await deps.webhooks.close()
