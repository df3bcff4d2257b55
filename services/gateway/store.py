"""All SQL of the gateway (schema `gateway`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

from shared.db import Database, Tx

UPSERT_USER = """
INSERT INTO users (id, app_id, open_id, alipay_user_id, nickname, credit_score)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (app_id, open_id) DO UPDATE SET
    alipay_user_id = COALESCE(EXCLUDED.alipay_user_id, users.alipay_user_id),
    nickname = CASE WHEN EXCLUDED.nickname <> '' THEN EXCLUDED.nickname ELSE users.nickname END,
    credit_score = COALESCE(EXCLUDED.credit_score, users.credit_score),
    last_login_at = now()
RETURNING id, app_id, open_id, alipay_user_id, nickname, credit_score
"""


async def upsert_user(db: Database, *, app_id: str, open_id: str, alipay_user_id: str | None,
                      nickname: str, credit_score: int | None) -> asyncpg.Record:
    row = await db.fetchrow(UPSERT_USER, f"u_{uuid.uuid4().hex}", app_id, open_id, alipay_user_id,
                            nickname, credit_score)
    assert row is not None
    return row


async def find_user(db: Database, user_id: str) -> asyncpg.Record | None:
    return await db.fetchrow(
        "SELECT id, app_id, open_id, alipay_user_id, nickname, credit_score FROM users WHERE id = $1", user_id)


async def save_refresh_token(db: Database | Tx, token_hash: str, user_id: str, family_id: str,
                             expires_at: datetime) -> None:
    conn = db.conn if isinstance(db, Tx) else db
    await conn.execute(
        "INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at) VALUES ($1, $2, $3, $4)",
        token_hash, user_id, family_id, expires_at)


async def lock_refresh_token(tx: Tx, token_hash: str) -> asyncpg.Record | None:
    """The refresh token's row, locked: two refreshes with one token are decided one after the other."""
    return await tx.conn.fetchrow(
        "SELECT user_id, family_id, revoked_at, expires_at > now() AS live FROM refresh_tokens "
        "WHERE token_hash = $1 FOR UPDATE", token_hash)


async def spend_refresh_token(tx: Tx, token_hash: str) -> None:
    await tx.conn.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE token_hash = $1", token_hash)


async def revoke_session(tx: Tx, sid: str, reason: str, forget_after: datetime) -> None:
    """Refuse the session's access tokens and end every refresh token of its family."""
    await tx.conn.execute(
        "INSERT INTO revoked_sessions (sid, reason, forget_after) VALUES ($1, $2, $3) ON CONFLICT (sid) DO NOTHING",
        sid, reason, forget_after)
    await tx.conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL", sid)


SESSION_LIVE = """
SELECT NOT EXISTS (SELECT 1 FROM revoked_sessions WHERE sid = $1)
   AND NOT EXISTS (SELECT 1 FROM staff_accounts
                   WHERE $2::text IS NOT NULL AND username = $2 AND (NOT active OR merchant_id <> $3))
"""


async def session_live(db: Database, sid: str, staff_username: str | None, merchant_id: str | None) -> bool:
    """False when the session was revoked, or (staff) the account is deactivated or moved to another merchant.
    One primary-key probe per table, one round trip."""
    return bool(await db.fetchval(SESSION_LIVE, sid, staff_username, merchant_id))


async def forget_revocations(db: Database) -> None:
    await db.execute("DELETE FROM revoked_sessions WHERE forget_after < now()")


async def set_staff_active(db: Database, username: str, active: bool) -> bool:
    """Activate or deactivate a staff account; False when there is no such account."""
    return await db.fetchval(
        "UPDATE staff_accounts SET active = $2 WHERE username = $1 RETURNING true", username, active) is not None


async def find_staff(db: Database, username: str) -> asyncpg.Record | None:
    return await db.fetchrow(
        "SELECT username, merchant_id, password_hash, display_name FROM staff_accounts "
        "WHERE username = $1 AND active", username)


async def upsert_staff(db: Database, *, username: str, merchant_id: str, password_hash: str,
                       display_name: str = "") -> None:
    await db.execute(
        "INSERT INTO staff_accounts (username, merchant_id, password_hash, display_name) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (username) DO UPDATE SET merchant_id = EXCLUDED.merchant_id, "
        "password_hash = EXCLUDED.password_hash, display_name = EXCLUDED.display_name, active = true",
        username, merchant_id, password_hash, display_name)


HIT = """
INSERT INTO rate_limits (bucket, window_start, hits)
SELECT b, $2, 1 FROM unnest($1::text[]) AS b ORDER BY b
ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
RETURNING bucket, hits
"""


async def hit_rate_buckets(db: Database, buckets: list[str], window_start: datetime) -> dict[str, int]:
    """Count one request in each bucket's current window (one round trip; rows locked in a fixed order)."""
    rows = await db.fetch(HIT, sorted(buckets), window_start)
    return {r["bucket"]: r["hits"] for r in rows}


async def forget_old_windows(db: Database, before: datetime) -> None:
    await db.execute("DELETE FROM rate_limits WHERE window_start < $1", before)


async def record_visit(tx: Tx, user_id: str, day: date, entry: str, merchant_id: str | None) -> bool:
    """True when this is the user's first visit of the day through this entry (to this merchant, or to the
    mall when `merchant_id` is None)."""
    return bool(await tx.conn.fetchval(
        "INSERT INTO daily_visits (user_id, day, entry, merchant_id) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT DO NOTHING RETURNING 1", user_id, day, entry, merchant_id or ""))
