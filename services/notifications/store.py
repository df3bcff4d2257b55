"""All SQL of notifications, one function per query; parameters only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from shared.db import Queryable, returned


def _dict(row: asyncpg.Record | None) -> dict[str, Any] | None:
    return dict(row) if row is not None else None


# --- grants -------------------------------------------------------------------------------------------------

async def lock_buyer(conn: Queryable, user_id: str) -> None:
    """Serialise one buyer's grant writes (the cap on unused grants counts them)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('notifications.grants'), hashtext($1))", user_id)


async def count_unused_grants(conn: Queryable, user_id: str, template_id: str) -> int:
    return int(await conn.fetchval(
        "SELECT count(*) FROM grants WHERE user_id = $1 AND template_id = $2 AND used_by IS NULL",
        user_id, template_id))


async def insert_grant(conn: Queryable, grant_id: str, user_id: str, alipay_user_id: str, template_id: str,
                       now: datetime) -> None:
    await conn.execute("INSERT INTO grants (grant_id, user_id, alipay_user_id, template_id, granted_at) "
                       "VALUES ($1, $2, $3, $4, $5)", grant_id, user_id, alipay_user_id, template_id, now)


async def unused_grants(conn: Queryable, user_id: str) -> dict[str, int]:
    rows = await conn.fetch("SELECT template_id, count(*) AS n FROM grants WHERE user_id = $1 AND used_by IS NULL "
                            "GROUP BY template_id", user_id)
    return {r["template_id"]: int(r["n"]) for r in rows}


async def spend_grant(conn: Queryable, user_id: str, template_id: str, message_id: str) -> str | None:
    """The buyer's oldest unused grant of this template, now spent on `message_id`; its Alipay user id."""
    return await conn.fetchval(
        "UPDATE grants SET used_by = $3 WHERE grant_id = (SELECT grant_id FROM grants WHERE user_id = $1 "
        "AND template_id = $2 AND used_by IS NULL ORDER BY granted_at, grant_id LIMIT 1 FOR UPDATE) "
        "RETURNING alipay_user_id", user_id, template_id, message_id)


# --- messages -----------------------------------------------------------------------------------------------

async def message_exists(conn: Queryable, dedupe_key: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM messages WHERE dedupe_key = $1", dedupe_key))


async def insert_message(conn: Queryable, *, message_id: str, dedupe_key: str, kind: str, user_id: str,
                         alipay_user_id: str, template_id: str, page: str, data: dict[str, Any],
                         now: datetime) -> None:
    await conn.execute(
        "INSERT INTO messages (message_id, dedupe_key, kind, user_id, alipay_user_id, template_id, page, data, "
        "next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        message_id, dedupe_key, kind, user_id, alipay_user_id, template_id, page, data, now)


async def claim_due_message(conn: Queryable, now: datetime) -> dict[str, Any] | None:
    """One pending message whose time has come, locked for this transaction (other replicas skip it)."""
    return _dict(await conn.fetchrow(
        "SELECT * FROM messages WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at "
        "LIMIT 1 FOR UPDATE SKIP LOCKED", now))


async def finish_message(conn: Queryable, message_id: str, status: str, now: datetime,
                         error: str | None) -> None:
    await conn.execute("UPDATE messages SET status = $2::text, attempts = attempts + 1, last_error = $4, "
                       "sent_at = CASE WHEN $2::text = 'sent' THEN $3::timestamptz END WHERE message_id = $1",
                       message_id, status, now, error)


async def retry_message(conn: Queryable, message_id: str, at: datetime, error: str) -> None:
    await conn.execute("UPDATE messages SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3 "
                       "WHERE message_id = $1", message_id, at, error)


async def messages_of(conn: Queryable, user_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT message_id, kind, template_id, status, attempts, created_at, sent_at "
                            "FROM messages WHERE user_id = $1 ORDER BY created_at DESC LIMIT 50", user_id)
    return [dict(r) for r in rows]


# --- alerts -------------------------------------------------------------------------------------------------

async def take_alert_numbering(conn: Queryable) -> None:
    """Alerts are numbered in the order they commit: a stream goes on from the last `seq` it showed, so one numbered
    before it and committed after it would never be shown. This lock, held until the commit, makes a second writer
    take its number after the first commits. One lock for all merchants: per merchant, two batches alerting
    several merchants in opposite orders would deadlock."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('notifications.alerts'))")


async def insert_alert(conn: Queryable, *, alert_id: str, dedupe_key: str, merchant_id: str, kind: str,
                       order_id: str | None, data: dict[str, Any], now: datetime) -> bool:
    """False when this fact was alerted before."""
    await take_alert_numbering(conn)
    return await conn.fetchval(
        "INSERT INTO alerts (alert_id, dedupe_key, merchant_id, kind, order_id, data, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING RETURNING true",
        alert_id, dedupe_key, merchant_id, kind, order_id, data, now) or False


async def alerts_after(conn: Queryable, merchant_id: str, after_seq: int, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM alerts WHERE merchant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                            merchant_id, after_seq, limit)
    return [dict(r) for r in rows]


async def latest_alerts(conn: Queryable, merchant_id: str, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM alerts WHERE merchant_id = $1 ORDER BY seq DESC LIMIT $2",
                            merchant_id, limit)
    return [dict(r) for r in rows]


async def last_alert_seq(conn: Queryable, merchant_id: str) -> int:
    return int(await conn.fetchval("SELECT coalesce(max(seq), 0) FROM alerts WHERE merchant_id = $1", merchant_id))


async def alert(conn: Queryable, alert_id: str) -> dict[str, Any] | None:
    return _dict(await conn.fetchrow("SELECT * FROM alerts WHERE alert_id = $1", alert_id))


# --- webhooks -----------------------------------------------------------------------------------------------

async def webhook(conn: Queryable, merchant_id: str) -> dict[str, Any] | None:
    return _dict(await conn.fetchrow(
        "SELECT url, secret, previous_secret, previous_until, updated_at FROM webhooks WHERE merchant_id = $1",
        merchant_id))


async def upsert_webhook(conn: Queryable, merchant_id: str, url: str, new_secret: str,
                         now: datetime) -> dict[str, Any]:
    """Set the URL; the secret is made once and kept when only the URL changes."""
    row = await conn.fetchrow(
        "INSERT INTO webhooks (merchant_id, url, secret, updated_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (merchant_id) DO UPDATE SET url = EXCLUDED.url, updated_at = EXCLUDED.updated_at "
        "RETURNING url, secret, previous_secret, previous_until, updated_at", merchant_id, url, new_secret, now)
    return dict(returned(row))


async def rotate_webhook_secret(conn: Queryable, merchant_id: str, new_secret: str, now: datetime,
                                previous_until: datetime) -> dict[str, Any] | None:
    """A new secret; the current one keeps signing until `previous_until` (a rotation within the overlap
    drops the oldest: at most two secrets sign)."""
    return _dict(await conn.fetchrow(
        "UPDATE webhooks SET previous_secret = secret, previous_until = $4, secret = $2, updated_at = $3 "
        "WHERE merchant_id = $1 RETURNING url, secret, previous_secret, previous_until, updated_at",
        merchant_id, new_secret, now, previous_until))


async def delete_webhook(conn: Queryable, merchant_id: str) -> None:
    await conn.execute("DELETE FROM webhooks WHERE merchant_id = $1", merchant_id)


async def insert_delivery(conn: Queryable, delivery_id: str, alert_id: str, merchant_id: str,
                          now: datetime) -> None:
    await conn.execute("INSERT INTO webhook_deliveries (delivery_id, alert_id, merchant_id, next_attempt_at) "
                       "VALUES ($1, $2, $3, $4)", delivery_id, alert_id, merchant_id, now)


async def claim_due_delivery(conn: Queryable, now: datetime) -> dict[str, Any] | None:
    return _dict(await conn.fetchrow(
        "SELECT * FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 "
        "ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED", now))


async def finish_delivery(conn: Queryable, delivery_id: str, status: str, last_status: int | None,
                          error: str | None, now: datetime) -> None:
    await conn.execute(
        "UPDATE webhook_deliveries SET status = $2::text, attempts = attempts + 1, last_status = $3, "
        "last_error = $4, delivered_at = CASE WHEN $2::text = 'delivered' THEN $5::timestamptz END "
        "WHERE delivery_id = $1",
        delivery_id, status, last_status, error, now)


async def retry_delivery(conn: Queryable, delivery_id: str, at: datetime, last_status: int | None,
                         error: str | None) -> None:
    await conn.execute("UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $2, "
                       "last_status = $3, last_error = $4 WHERE delivery_id = $1",
                       delivery_id, at, last_status, error)


async def deliveries_of(conn: Queryable, merchant_id: str, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT d.delivery_id, d.alert_id, a.kind, d.status, d.attempts, d.last_status, d.last_error, "
        "d.next_attempt_at, d.delivered_at FROM webhook_deliveries d JOIN alerts a USING (alert_id) "
        "WHERE d.merchant_id = $1 ORDER BY a.seq DESC LIMIT $2", merchant_id, limit)
    return [dict(r) for r in rows]


# --- pickup watches -----------------------------------------------------------------------------------------

async def watch_placed(conn: Queryable, order_id: str, merchant_id: str, store_id: str | None,
                       ready_after_s: float) -> None:
    """order.placed of a pickup order (no other reaches here); arms the watch if order.paid came first."""
    await conn.execute(
        "INSERT INTO pickup_watches (order_id, pickup, merchant_id, store_id) VALUES ($1, true, $2, $3) "
        "ON CONFLICT (order_id) DO UPDATE SET pickup = true, store_id = EXCLUDED.store_id, "
        "due_at = pickup_watches.paid_at + make_interval(secs => $4)", order_id, merchant_id, store_id,
        ready_after_s)


async def watch_paid(conn: Queryable, order_id: str, merchant_id: str, paid_at: datetime,
                     ready_after_s: float) -> None:
    """order.paid: arms the watch of a pickup order (or remembers the payment until order.placed says)."""
    await conn.execute(
        "INSERT INTO pickup_watches (order_id, merchant_id, paid_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (order_id) DO UPDATE SET paid_at = EXCLUDED.paid_at, "
        "due_at = CASE WHEN pickup_watches.pickup THEN EXCLUDED.paid_at + make_interval(secs => $4) END "
        "WHERE pickup_watches.paid_at IS NULL", order_id, merchant_id, paid_at, ready_after_s)


async def close_watch(conn: Queryable, order_id: str, merchant_id: str) -> None:
    """Ready, cancelled or refunded: nothing to alert (a row is kept so a late order.paid cannot arm it)."""
    await conn.execute(
        "INSERT INTO pickup_watches (order_id, merchant_id, state) VALUES ($1, $2, 'closed') "
        "ON CONFLICT (order_id) DO UPDATE SET state = 'closed' WHERE pickup_watches.state = 'waiting'",
        order_id, merchant_id)


async def claim_overdue_watches(conn: Queryable, now: datetime, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "UPDATE pickup_watches SET state = 'alerted' WHERE order_id IN (SELECT order_id FROM pickup_watches "
        "WHERE state = 'waiting' AND due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED) "
        "RETURNING order_id, merchant_id, store_id, paid_at, due_at", now, limit)
    return [dict(r) for r in rows]
