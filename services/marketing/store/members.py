"""Members per merchant: level, member card, spend in the rolling window; the local copy of stores."""

from __future__ import annotations

from datetime import datetime

from asyncpg import Record

from shared.db import Queryable as Connection  # reads may run on the pool


async def spend_since(conn: Connection, user_id: str, merchant_id: str, since: datetime) -> int:
    return int(await conn.fetchval(
        "SELECT COALESCE(sum(paid_fen - refunded_fen), 0) FROM paid_orders "
        "WHERE user_id = $1 AND merchant_id = $2 AND paid_at > $3", user_id, merchant_id, since))


async def member(conn: Connection, user_id: str, merchant_id: str, *, for_update: bool = False) -> Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetchrow(
        f"SELECT * FROM members WHERE user_id = $1 AND merchant_id = $2{lock}", user_id, merchant_id)


async def ensure_member(conn: Connection, user_id: str, merchant_id: str) -> None:
    await conn.execute("INSERT INTO members (user_id, merchant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                       user_id, merchant_id)


async def set_level(conn: Connection, user_id: str, merchant_id: str, level: int) -> None:
    await conn.execute("UPDATE members SET level = $3 WHERE user_id = $1 AND merchant_id = $2",
                       user_id, merchant_id, level)


async def open_card(conn: Connection, user_id: str, merchant_id: str, now: datetime) -> None:
    await conn.execute(
        """INSERT INTO members (user_id, merchant_id, card_opened_at) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, merchant_id) DO UPDATE
           SET card_opened_at = COALESCE(members.card_opened_at, EXCLUDED.card_opened_at)""",
        user_id, merchant_id, now)


async def cards(conn: Connection, user_id: str) -> list[Record]:
    return await conn.fetch(
        "SELECT * FROM members WHERE user_id = $1 AND card_opened_at IS NOT NULL ORDER BY card_opened_at",
        user_id)


async def merchant_known(conn: Connection, merchant_id: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM stores WHERE merchant_id = $1) "
        "OR EXISTS (SELECT 1 FROM campaigns WHERE merchant_id = $1)", merchant_id))


async def upsert_store(conn: Connection, *, store_id: str, merchant_id: str, name: str, address: str,
                       lat: float, lng: float, active: bool) -> None:
    await conn.execute(
        """INSERT INTO stores (store_id, merchant_id, name, address, lat, lng, active)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (store_id) DO UPDATE SET merchant_id = $2, name = $3, address = $4, lat = $5, lng = $6,
               active = $7""", store_id, merchant_id, name, address, lat, lng, active)


async def get_store(conn: Connection, store_id: str) -> Record | None:
    return await conn.fetchrow("SELECT * FROM stores WHERE store_id = $1", store_id)


async def stores_in_box(conn: Connection, box: tuple[float, float, float, float]) -> list[Record]:
    return await conn.fetch(
        "SELECT * FROM stores WHERE active AND lat BETWEEN $1 AND $2 AND lng BETWEEN $3 AND $4 LIMIT 1000", *box)


async def claim_members_above(conn: Connection, since: datetime, thresholds_fen: list[int],
                              limit: int) -> list[Record]:
    """Members whose stored level is higher than their spend in the window now earns, locked for the caller's
    transaction; rows another transaction holds are skipped (SKIP LOCKED), so replicas share the work."""
    return await conn.fetch(
        """SELECT m.user_id, m.merchant_id FROM members m
           WHERE m.level > 1 + (
               SELECT count(*) FROM unnest($2::bigint[]) AS t(threshold)
               WHERE t.threshold <= (SELECT COALESCE(sum(p.paid_fen - p.refunded_fen), 0) FROM paid_orders p
                                     WHERE p.user_id = m.user_id AND p.merchant_id = m.merchant_id
                                       AND p.paid_at > $1))
           ORDER BY m.user_id, m.merchant_id
           LIMIT $3
           FOR UPDATE OF m SKIP LOCKED""", since, thresholds_fen, limit)


# --- Alipay member cards (卡包) ------------------------------------------------------------------------------


async def card_template(conn: Connection, merchant_id: str) -> Record | None:
    return await conn.fetchrow("SELECT * FROM alipay_card_templates WHERE merchant_id = $1", merchant_id)


async def save_card_template(conn: Connection, merchant_id: str, template_id: str, name: str) -> Record:
    row = await conn.fetchrow(
        "INSERT INTO alipay_card_templates (merchant_id, template_id, name) VALUES ($1, $2, $3) "
        "ON CONFLICT (merchant_id) DO UPDATE SET template_id = $2, name = $3 RETURNING *",
        merchant_id, template_id, name)
    assert row is not None
    return row


async def want_alipay_card(conn: Connection, user_id: str, merchant_id: str, alipay_user_id: str) -> None:
    """The member's card is to be opened in Alipay too (the job does it)."""
    await conn.execute("UPDATE members SET alipay_user_id = $3, card_dirty = true "
                       "WHERE user_id = $1 AND merchant_id = $2 AND alipay_user_id IS NULL",
                       user_id, merchant_id, alipay_user_id)


async def card_changed(conn: Connection, user_id: str, merchant_id: str | None = None) -> None:
    """Alipay's copy of the member's card(s) is behind (level or points moved)."""
    await conn.execute("UPDATE members SET card_dirty = true WHERE user_id = $1 "
                       "AND ($2::text IS NULL OR merchant_id = $2) AND alipay_user_id IS NOT NULL "
                       "AND NOT card_dirty", user_id, merchant_id)


async def claim_dirty_cards(conn: Connection, limit: int) -> list[Record]:
    return await conn.fetch(
        "SELECT m.*, t.template_id FROM members m JOIN alipay_card_templates t USING (merchant_id) "
        "WHERE m.card_dirty ORDER BY m.user_id, m.merchant_id LIMIT $1 FOR UPDATE OF m SKIP LOCKED", limit)


async def card_synced(conn: Connection, user_id: str, merchant_id: str, card_no: str) -> None:
    await conn.execute("UPDATE members SET alipay_card_no = $3, card_dirty = false "
                       "WHERE user_id = $1 AND merchant_id = $2", user_id, merchant_id, card_no)
