"""The use cases of notifications, shared by api, handlers and jobs; each runs in the caller's transaction
(or on the pool for reads) and raises Refusal for a business "no"."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

import orjson

from services.notifications import domain, store
from shared.alipay import AlipayClient, AlipayError, AlipayResponseError
from shared.db import Queryable, Tx
from shared.refusal import Refusal
from shared.webhooks import Outcome, WebhookClient, url_problem

# Alipay's answers that no retry can change (invalid arguments, a business refusal such as no grant left).
PERMANENT_ALIPAY_CODES = ("40002", "40004", "40006")
WEBHOOK_SECRET_BYTES = 32


def stream_key(merchant_id: str) -> str:
    """What an alert announces (shared.changes): the merchant's console streams wake on it."""
    return f"alerts:{merchant_id}"


# --- buyers' grants -------------------------------------------------------------------------------------------

async def grant(tx: Tx, templates: dict[str, str], user_id: str, alipay_user_id: str, template_ids: list[str],
                now: datetime, max_unused: int) -> None:
    """Record what my.requestSubscribeMessage granted: one message per template id listed."""
    known = set(templates.values())
    unknown = [t for t in template_ids if t not in known]
    if unknown:
        raise Refusal("unknown_template", f"Not one of the mall's message templates: {', '.join(unknown)}", 422,
                      field="template_ids")
    await store.lock_buyer(tx.conn, user_id)
    for template_id in template_ids:
        if await store.count_unused_grants(tx.conn, user_id, template_id) >= max_unused:
            raise Refusal("too_many_grants", f"Already {max_unused} unused grants of {template_id}", 409)
        await store.insert_grant(tx.conn, str(uuid.uuid4()), user_id, alipay_user_id, template_id, now)


async def subscriptions(conn: Queryable, templates: dict[str, str], user_id: str) -> dict[str, Any]:
    """The templates the client may ask for, and how many messages of each the buyer still allows."""
    unused = await store.unused_grants(conn, user_id)
    return {"templates": [{"kind": kind, "template_id": template_id, "unused_grants": unused.get(template_id, 0)}
                          for kind, template_id in templates.items()],
            "messages": [{**m, "created_at": m["created_at"].isoformat(),
                          "sent_at": m["sent_at"].isoformat() if m["sent_at"] else None}
                         for m in await store.messages_of(conn, user_id)]}


# --- buyer messages -------------------------------------------------------------------------------------------

async def queue_message(tx: Tx, templates: dict[str, str], page: str, kind: str, user_id: str, order_id: str,
                        dedupe_key: str, at: datetime, now: datetime, **facts: Any) -> bool:
    """A message for this fact if the buyer granted its template (spending one grant); once per fact.
    The row is all the event's transaction writes: sending is the job's (never blocks the order flow)."""
    template_id = templates.get(kind)
    if template_id is None or await store.message_exists(tx.conn, dedupe_key):
        return False
    message_id = str(uuid.uuid4())
    alipay_user_id = await store.spend_grant(tx.conn, user_id, template_id, message_id)
    if alipay_user_id is None:  # the buyer never allowed it, or has used every grant
        return False
    await store.insert_message(tx.conn, message_id=message_id, dedupe_key=dedupe_key, kind=kind, user_id=user_id,
                               alipay_user_id=alipay_user_id, template_id=template_id,
                               page=page.format(order_id=order_id), data=domain.message_data(kind, order_id, at,
                                                                                             **facts), now=now)
    return True


async def send_due_message(tx: Tx, alipay: AlipayClient, now: datetime, retry_s: float, max_attempts: int) -> bool:
    """Send one due message (False: none due). The row stays locked during the call, so no replica sends it
    too; a failure is retried with growing delays, then parked; Alipay's refusal is final."""
    message = await store.claim_due_message(tx.conn, now)
    if message is None:
        return False
    try:
        await alipay.mini_template_message_send(to_user_id=message["alipay_user_id"],
                                                user_template_id=message["template_id"], page=message["page"],
                                                data=message["data"])
    except AlipayError as refused:
        if refused.code in PERMANENT_ALIPAY_CODES:
            await store.finish_message(tx.conn, message["message_id"], "refused", now, str(refused)[:500])
        else:
            await _retry_message(tx, message, now, retry_s, max_attempts, str(refused))
        return True
    except AlipayResponseError as failed:
        await _retry_message(tx, message, now, retry_s, max_attempts, str(failed))
        return True
    await store.finish_message(tx.conn, message["message_id"], "sent", now, None)
    return True


async def _retry_message(tx: Tx, message: dict[str, Any], now: datetime, retry_s: float, max_attempts: int,
                         error: str) -> None:
    attempts = message["attempts"] + 1
    if attempts >= max_attempts:
        await store.finish_message(tx.conn, message["message_id"], "parked", now, error[:500])
    else:
        await store.retry_message(tx.conn, message["message_id"], domain.next_attempt(now, attempts, retry_s),
                                  error[:500])


# --- merchant alerts ------------------------------------------------------------------------------------------

async def raise_alert(tx: Tx, kind: str, merchant_id: str, order_id: str | None, dedupe_key: str,
                      data: dict[str, Any], now: datetime) -> bool:
    """One alert per fact: the merchant's streams are woken after the commit, and the webhook, if the
    merchant has one, gets a delivery (sent by the job)."""
    alert_id = str(uuid.uuid4())
    if not await store.insert_alert(tx.conn, alert_id=alert_id, dedupe_key=dedupe_key, merchant_id=merchant_id,
                                    kind=kind, order_id=order_id, data=data, now=now):
        return False
    tx.changed(stream_key(merchant_id))
    if await store.webhook(tx.conn, merchant_id) is not None:
        await store.insert_delivery(tx.conn, str(uuid.uuid4()), alert_id, merchant_id, now)
    return True


def alert_view(row: dict[str, Any]) -> dict[str, Any]:
    return domain.alert_document(row["alert_id"], row["kind"], row["merchant_id"], row["order_id"], row["data"],
                                 row["created_at"])


async def alerts_after(conn: Queryable, merchant_id: str, after_seq: int, limit: int = 100
                       ) -> list[tuple[int, dict[str, Any]]]:
    return [(row["seq"], alert_view(row)) for row in await store.alerts_after(conn, merchant_id, after_seq, limit)]


async def latest_alerts(conn: Queryable, merchant_id: str, limit: int) -> list[dict[str, Any]]:
    return [alert_view(row) for row in await store.latest_alerts(conn, merchant_id, limit)]


# --- pickup orders not ready in time --------------------------------------------------------------------------

async def alert_overdue_pickups(tx: Tx, now: datetime, limit: int) -> int:
    # The alerts' lock before the watches': a consumer batch that raised an alert (holding that lock) and then
    # closes a watch this job had claimed would wait on the job while the job waited on it (a deadlock).
    await store.take_alert_numbering(tx.conn)
    overdue = await store.claim_overdue_watches(tx.conn, now, limit)
    for watch in overdue:
        await raise_alert(tx, "pickup_not_ready", watch["merchant_id"], watch["order_id"],
                          f"pickup_not_ready:{watch['order_id']}",
                          {"store_id": watch["store_id"], "paid_at": watch["paid_at"].isoformat(),
                           "due_at": watch["due_at"].isoformat()}, now)
    return len(overdue)


# --- webhooks -------------------------------------------------------------------------------------------------

def webhook_view(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The URL and the secret; after a rotation, until when the previous secret still signs too."""
    until = row["previous_until"] if row["previous_secret"] and row["previous_until"] > now else None
    return {"url": row["url"], "secret": row["secret"], "updated_at": row["updated_at"].isoformat(),
            "previous_secret_until": until.isoformat() if until else None}


def signing_secrets(hook: dict[str, Any], now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one during its overlap."""
    if hook["previous_secret"] and hook["previous_until"] > now:
        return [hook["secret"], hook["previous_secret"]]
    return [hook["secret"]]


async def set_webhook(tx: Tx, merchant_id: str, url: str, allow_private: bool, now: datetime) -> dict[str, Any]:
    refused = url_problem(url, allow_private=allow_private)
    if refused:
        raise Refusal("webhook_url_refused", f"The webhook URL {refused}", 422, field="url")
    row = await store.upsert_webhook(tx.conn, merchant_id, url, secrets.token_hex(WEBHOOK_SECRET_BYTES), now)
    return webhook_view(row, now)


async def webhook_of(conn: Queryable, merchant_id: str, now: datetime) -> dict[str, Any]:
    row = await store.webhook(conn, merchant_id)
    if row is None:
        raise Refusal("webhook_not_set", "This merchant has no webhook", 404)
    return webhook_view(row, now)


async def rotate_secret(tx: Tx, merchant_id: str, now: datetime, overlap: timedelta) -> dict[str, Any]:
    """A new signing secret; the old one signs too for `overlap`, while the merchant updates their receiver."""
    row = await store.rotate_webhook_secret(tx.conn, merchant_id, secrets.token_hex(WEBHOOK_SECRET_BYTES), now,
                                            now + overlap)
    if row is None:
        raise Refusal("webhook_not_set", "This merchant has no webhook", 404)
    return webhook_view(row, now)


def webhook_body(alert: dict[str, Any]) -> bytes:
    return orjson.dumps(alert)


async def deliver_due_webhook(tx: Tx, client: WebhookClient, now: datetime, retry_s: float,
                              max_attempts: int) -> bool:
    """POST one due delivery (False: none due); a non-2xx answer or no answer is retried with growing delays
    until `max_attempts`, then the delivery is `failed`. A merchant who removed the webhook gets nothing."""
    delivery = await store.claim_due_delivery(tx.conn, now)
    if delivery is None:
        return False
    hook = await store.webhook(tx.conn, delivery["merchant_id"])
    alert = await store.alert(tx.conn, delivery["alert_id"])
    if hook is None or alert is None:
        await store.finish_delivery(tx.conn, delivery["delivery_id"], "failed", None, "webhook removed", now)
        return True
    outcome = await client.send(hook["url"], signing_secrets(hook, now), alert["kind"], delivery["delivery_id"],
                                webhook_body(alert_view(alert)), int(now.timestamp()))
    attempts = delivery["attempts"] + 1
    if outcome.delivered:
        await store.finish_delivery(tx.conn, delivery["delivery_id"], "delivered", outcome.status, None, now)
    elif attempts >= max_attempts:
        await store.finish_delivery(tx.conn, delivery["delivery_id"], "failed", outcome.status, outcome.error, now)
    else:
        await store.retry_delivery(tx.conn, delivery["delivery_id"], domain.next_attempt(now, attempts, retry_s),
                                   outcome.status, outcome.error)
    return True


async def send_test(conn: Queryable, client: WebhookClient, merchant_id: str, now: datetime) -> Outcome:
    """The console's "send test" button: one signed `test` alert to the webhook, now, answered as it went."""
    hook = await store.webhook(conn, merchant_id)
    if hook is None:
        raise Refusal("webhook_not_set", "This merchant has no webhook", 404)
    test_id = f"test-{uuid.uuid4()}"
    body = webhook_body(domain.alert_document(test_id, domain.TEST_ALERT, merchant_id, None,
                                              {"message": "A test from the mall"}, now))
    return await client.send(hook["url"], signing_secrets(hook, now), domain.TEST_ALERT, test_id, body,
                             int(now.timestamp()))


async def deliveries(conn: Queryable, merchant_id: str, limit: int) -> list[dict[str, Any]]:
    return [{**d, "next_attempt_at": d["next_attempt_at"].isoformat(),
             "delivered_at": d["delivered_at"].isoformat() if d["delivered_at"] else None}
            for d in await store.deliveries_of(conn, merchant_id, limit)]
