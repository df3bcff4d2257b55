"""notifications' periodic rounds, run by the skeleton: sending buyer messages to Alipay, delivering alerts
to merchants' webhooks (each an outbox of its own: events only write rows; the calls happen here, never inside
an event's transaction, retried with growing delays), and alerting pickup orders not ready in time."""

from __future__ import annotations

from services.notifications import flows
from services.notifications.deps import NotificationsDeps
from shared.service import Job


async def send_messages(deps: NotificationsDeps) -> int:
    """Up to `message_batch` messages, one transaction each (the row is locked, SKIP LOCKED for other
    replicas, only while its own call is under way)."""
    settings, done = deps.settings, 0
    while done < settings.message_batch:
        async with deps.db.transaction() as tx:
            if not await flows.send_due_message(tx, deps.alipay, deps.clock.now(), settings.message_retry_seconds,
                                                settings.message_max_attempts):
                break
        done += 1
    return done


async def deliver_webhooks(deps: NotificationsDeps) -> int:
    settings, done = deps.settings, 0
    while done < settings.webhook_batch:
        async with deps.db.transaction() as tx:
            if not await flows.deliver_due_webhook(tx, deps.webhooks, deps.clock.now(),
                                                   settings.webhook_retry_seconds, settings.webhook_max_attempts):
                break
        done += 1
    return done


async def alert_overdue_pickups(deps: NotificationsDeps) -> int:
    async with deps.db.transaction() as tx:
        return await flows.alert_overdue_pickups(tx, deps.clock.now(), 100)


JOBS = [Job[NotificationsDeps](send_messages, every=lambda deps: deps.settings.message_poll_seconds, at_start=True),
        Job[NotificationsDeps](deliver_webhooks, every=lambda deps: deps.settings.webhook_poll_seconds,
                               at_start=True),
        Job[NotificationsDeps](alert_overdue_pickups, every=lambda deps: deps.settings.pickup_check_seconds)]
