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


CALLER_STANDING = """
SELECT NOT EXISTS (SELECT 1 FROM revoked_sessions WHERE sid = $1)
   AND NOT EXISTS (SELECT 1 FROM staff_accounts
                   WHERE $2::text IS NOT NULL AND username = $2 AND (NOT active OR merchant_id <> $3))
   AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM operators WHERE username = $4 AND active)) AS live,
       EXISTS (SELECT 1 FROM merchant_suspensions WHERE $3::text IS NOT NULL AND merchant_id = $3) AS suspended,
       (SELECT role FROM staff_accounts WHERE $2::text IS NOT NULL AND username = $2) AS role
"""


async def caller_standing(db: Database, sid: str, staff_username: str | None, merchant_id: str | None,
                          operator: str | None) -> asyncpg.Record:
    """`live`: False when the session was revoked, or (staff) the account is deactivated or moved to another
    merchant, or (operator) the operator is deactivated; `suspended`: the staff's merchant is suspended;
    `role`: the staff account's role now (None: no such account). Primary-key probes, one round trip."""
    row = await db.fetchrow(CALLER_STANDING, sid, staff_username, merchant_id, operator)
    assert row is not None
    return row


async def forget_revocations(db: Database) -> None:
    await db.execute("DELETE FROM revoked_sessions WHERE forget_after < now()")


async def set_staff_active(db: Database, username: str, active: bool) -> bool:
    """Activate or deactivate a staff account; False when there is no such account."""
    return await db.fetchval(
        "UPDATE staff_accounts SET active = $2 WHERE username = $1 RETURNING true", username, active) is not None


async def find_staff(db: Database, username: str) -> asyncpg.Record | None:
    return await db.fetchrow(
        "SELECT username, merchant_id, password_hash, display_name, role FROM staff_accounts "
        "WHERE username = $1 AND active", username)


async def upsert_staff(db: Database, *, username: str, merchant_id: str, password_hash: str,
                       display_name: str = "") -> None:
    await db.execute(
        "INSERT INTO staff_accounts (username, merchant_id, password_hash, display_name) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (username) DO UPDATE SET merchant_id = EXCLUDED.merchant_id, "
        "password_hash = EXCLUDED.password_hash, display_name = EXCLUDED.display_name, active = true",
        username, merchant_id, password_hash, display_name)


ADD_HITS = """
WITH hit AS (
    INSERT INTO rate_limits (bucket, window_start, hits)
    SELECT b, $2, n FROM unnest($1::text[], $3::int[]) AS u (b, n) ORDER BY b
    ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + EXCLUDED.hits
    RETURNING bucket, hits
)
SELECT bucket, hits, NULL::float8 AS locked_for FROM hit
UNION ALL
SELECT key, 0, EXTRACT(EPOCH FROM locked_until - now())::float8 FROM login_failures
WHERE locked_until > now() AND key LIKE 'ip:%'
"""


async def add_rate_hits(db: Database, window_start: datetime, hits: dict[str, int]) -> tuple[dict[str, int],
                                                                                               dict[str, float]]:
    """Add a replica's hits to their buckets' window (one round trip; rows locked in a fixed order): every
    replica's totals of those buckets, and the seconds left on each address locked out now."""
    buckets = sorted(hits)
    rows = await db.fetch(ADD_HITS, buckets, window_start, [hits[b] for b in buckets])
    totals = {r["bucket"]: r["hits"] for r in rows if r["locked_for"] is None}
    return totals, {r["bucket"]: r["locked_for"] for r in rows if r["locked_for"] is not None}


async def locked_for(db: Database, keys: list[str]) -> float:
    """Seconds left on the longest lock-out among `keys` (0 when none is locked)."""
    return float(await db.fetchval(
        "SELECT COALESCE(max(EXTRACT(EPOCH FROM locked_until - now())), 0)::float8 FROM login_failures "
        "WHERE key = ANY($1::text[]) AND locked_until > now()", keys))


COUNT_FAILURE = """
INSERT INTO login_failures AS f (key, failures) SELECT k, 1 FROM unnest($1::text[]) AS k ORDER BY k
ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN now() > GREATEST(f.locked_until, f.last_failure_at) + make_interval(secs => $2)
                    THEN 1 ELSE f.failures + 1 END,
    last_failure_at = now()
RETURNING key, failures, GREATEST(COALESCE(EXTRACT(EPOCH FROM locked_until - now()), 0), 0)::float8 AS locked_for
"""


async def count_failures(tx: Tx, keys: list[str], window_seconds: float) -> dict[str, tuple[int, float]]:
    """One more failure for each key (a count idle for the window starts again at 1); per key the new count
    and the seconds left on a lock it already had (a parallel request set it since this one checked)."""
    rows = await tx.conn.fetch(COUNT_FAILURE, sorted(keys), window_seconds)
    return {r["key"]: (r["failures"], r["locked_for"]) for r in rows}


async def lock(tx: Tx, key: str, seconds: float) -> None:
    await tx.conn.execute(
        "UPDATE login_failures SET locked_until = now() + make_interval(secs => $2) WHERE key = $1", key, seconds)


async def clear_failures(db: Database, key: str) -> None:
    await db.execute("DELETE FROM login_failures WHERE key = $1", key)


async def forget_old_failures(db: Database, idle_seconds: float) -> None:
    await db.execute(
        "DELETE FROM login_failures WHERE GREATEST(locked_until, last_failure_at) < now() - make_interval(secs => $1)",
        idle_seconds)


async def forget_old_windows(db: Database, before: datetime) -> None:
    await db.execute("DELETE FROM rate_limits WHERE window_start < $1", before)


async def record_visit(tx: Tx, user_id: str, day: date, entry: str, merchant_id: str | None) -> bool:
    """True when this is the user's first visit of the day through this entry (to this merchant, or to the
    mall when `merchant_id` is None)."""
    return bool(await tx.conn.fetchval(
        "INSERT INTO daily_visits (user_id, day, entry, merchant_id) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT DO NOTHING RETURNING 1", user_id, day, entry, merchant_id or ""))


# --- staff admin (owners) --------------------------------------------------------------------------------

STAFF_COLUMNS = "username, merchant_id, display_name, role, active, created_at"


async def merchant_staff(db: Database, merchant_id: str) -> list[asyncpg.Record]:
    return await db.fetch(f"SELECT {STAFF_COLUMNS} FROM staff_accounts WHERE merchant_id = $1 "
                          "ORDER BY created_at, username", merchant_id)


async def staff_account(db: Database | Tx, username: str, *, for_update: bool = False) -> asyncpg.Record | None:
    conn = db.conn if isinstance(db, Tx) else db
    return await conn.fetchrow(f"SELECT {STAFF_COLUMNS} FROM staff_accounts WHERE username = $1"
                               + (" FOR UPDATE" if for_update else ""), username)


async def username_taken(tx: Tx, username: str) -> bool:
    """Staff usernames are one namespace across merchants (they sign in with the username alone)."""
    return bool(await tx.conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM staff_accounts WHERE username = $1)", username))


async def create_staff(tx: Tx, username: str, merchant_id: str, display_name: str, role: str) -> asyncpg.Record:
    """A new account without a password: it signs in once its set-password link was used."""
    row = await tx.conn.fetchrow(
        "INSERT INTO staff_accounts (username, merchant_id, password_hash, display_name, role) "
        f"VALUES ($1, $2, '', $3, $4) ON CONFLICT (username) DO NOTHING RETURNING {STAFF_COLUMNS}",
        username, merchant_id, display_name, role)
    assert row is not None, "username_taken is checked first, in the same transaction"
    return row


async def change_staff(tx: Tx, username: str, role: str | None, active: bool | None) -> asyncpg.Record:
    row = await tx.conn.fetchrow(
        "UPDATE staff_accounts SET role = coalesce($2, role), active = coalesce($3, active) WHERE username = $1 "
        f"RETURNING {STAFF_COLUMNS}", username, role, active)
    assert row is not None
    return row


async def active_owners(tx: Tx, merchant_id: str) -> int:
    return int(await tx.conn.fetchval(
        "SELECT count(*) FROM staff_accounts WHERE merchant_id = $1 AND role = 'owner' AND active", merchant_id))


# --- one-time set-password links --------------------------------------------------------------------------

async def save_password_link(tx: Tx, token_hash: str, kind: str, username: str, expires_at: datetime) -> None:
    """The account's new link; its older unused links stop working."""
    await tx.conn.execute("UPDATE password_links SET used_at = now() WHERE kind = $1 AND username = $2 "
                          "AND used_at IS NULL", kind, username)
    await tx.conn.execute("INSERT INTO password_links (token_hash, kind, username, expires_at) "
                          "VALUES ($1, $2, $3, $4)", token_hash, kind, username, expires_at)


async def spend_password_link(tx: Tx, token_hash: str) -> asyncpg.Record | None:
    """(kind, username) of a live link, which this call spends; None for an unknown, used or expired one."""
    return await tx.conn.fetchrow(
        "UPDATE password_links SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL "
        "AND expires_at > now() RETURNING kind, username", token_hash)


async def set_password(tx: Tx, kind: str, username: str, password_hash: str) -> bool:
    table = "operators" if kind == "operator" else "staff_accounts"
    return await tx.conn.fetchval(f"UPDATE {table} SET password_hash = $2 WHERE username = $1 RETURNING true",
                                  username, password_hash) is not None


# --- platform operators ---------------------------------------------------------------------------------

async def create_operator(tx: Tx, username: str) -> bool:
    """False when the operator exists (its password is then reset through a new link, never here)."""
    return await tx.conn.fetchval("INSERT INTO operators (username) VALUES ($1) ON CONFLICT DO NOTHING "
                                  "RETURNING true", username) is not None


async def find_operator(db: Database, username: str) -> asyncpg.Record | None:
    return await db.fetchrow("SELECT username, password_hash FROM operators WHERE username = $1 AND active",
                             username)


async def operator_exists(tx: Tx, username: str) -> bool:
    return bool(await tx.conn.fetchval("SELECT EXISTS (SELECT 1 FROM operators WHERE username = $1)", username))


# --- merchant applications and suspensions ----------------------------------------------------------------

APPLICATION_COLUMNS = ("id, merchant_name, licence_no, contact_name, contact_phone, contact_email, owner_username, "
                       "status, reason, merchant_id, decided_by, decided_at, created_at")


async def insert_application(tx: Tx, application_id: str, merchant_name: str, licence_no: str, contact_name: str,
                             contact_phone: str, contact_email: str, owner_username: str) -> asyncpg.Record | None:
    """None when the licence already has a pending or approved application."""
    return await tx.conn.fetchrow(
        "INSERT INTO merchant_applications (id, merchant_name, licence_no, contact_name, contact_phone, "
        "contact_email, owner_username) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        f"ON CONFLICT (licence_no) WHERE status <> 'rejected' DO NOTHING RETURNING {APPLICATION_COLUMNS}",
        application_id, merchant_name, licence_no, contact_name, contact_phone, contact_email, owner_username)


async def applications(db: Database, status: str | None, limit: int) -> list[asyncpg.Record]:
    return await db.fetch(f"SELECT {APPLICATION_COLUMNS} FROM merchant_applications "
                          "WHERE $1::text IS NULL OR status = $1 ORDER BY created_at, id LIMIT $2", status, limit)


async def lock_application(tx: Tx, application_id: str) -> asyncpg.Record | None:
    return await tx.conn.fetchrow(f"SELECT {APPLICATION_COLUMNS} FROM merchant_applications WHERE id = $1 "
                                  "FOR UPDATE", application_id)


async def decide_application(tx: Tx, application_id: str, status: str, operator: str, reason: str,
                             merchant_id: str | None) -> asyncpg.Record:
    row = await tx.conn.fetchrow(
        "UPDATE merchant_applications SET status = $2, decided_by = $3, reason = $4, merchant_id = $5, "
        f"decided_at = now() WHERE id = $1 RETURNING {APPLICATION_COLUMNS}",
        application_id, status, operator, reason, merchant_id)
    assert row is not None
    return row


async def suspend_merchant(tx: Tx, merchant_id: str, reason: str, operator: str) -> bool:
    """False when it was already suspended."""
    return await tx.conn.fetchval(
        "INSERT INTO merchant_suspensions (merchant_id, reason, suspended_by) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING RETURNING true", merchant_id, reason, operator) is not None


async def reinstate_merchant(tx: Tx, merchant_id: str) -> bool:
    """False when it was not suspended."""
    return await tx.conn.fetchval("DELETE FROM merchant_suspensions WHERE merchant_id = $1 RETURNING true",
                                  merchant_id) is not None


async def platform_merchants(db: Database, suspended: bool | None, limit: int) -> list[asyncpg.Record]:
    """Every merchant the gateway knows (its staff accounts and approved applications; the demo seed's have no
    application, so no name or licence here), with its suspension, newest application first."""
    return await db.fetch(
        "WITH known AS (SELECT merchant_id FROM staff_accounts "
        "               UNION SELECT merchant_id FROM merchant_applications WHERE merchant_id IS NOT NULL) "
        "SELECT k.merchant_id, a.merchant_name, a.licence_no, a.contact_name, a.contact_phone, a.decided_at, "
        "       s.reason AS suspended_reason, s.suspended_by, s.suspended_at, "
        "       (SELECT count(*) FROM staff_accounts f WHERE f.merchant_id = k.merchant_id AND f.active) AS staff "
        "FROM known k LEFT JOIN merchant_applications a ON a.merchant_id = k.merchant_id "
        "LEFT JOIN merchant_suspensions s ON s.merchant_id = k.merchant_id "
        "WHERE $1::boolean IS NULL OR (s.merchant_id IS NOT NULL) = $1 "
        "ORDER BY a.decided_at DESC NULLS LAST, k.merchant_id LIMIT $2", suspended, limit)


async def merchant_suspended(db: Database, merchant_id: str) -> bool:
    return bool(await db.fetchval("SELECT EXISTS (SELECT 1 FROM merchant_suspensions WHERE merchant_id = $1)",
                                  merchant_id))
