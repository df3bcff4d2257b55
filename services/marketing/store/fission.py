"""Fission share groups and their joins."""

from __future__ import annotations

from datetime import datetime

from asyncpg import Record

from shared.db import Queryable as Connection  # reads may run on the pool
from shared.db import returned


async def open_group(conn: Connection, *, group_id: str, campaign_id: str, sharer_id: str, needed: int,
                     now: datetime, nickname: str = "") -> Record:
    """The sharer's group for a campaign, created once (a second open answers the same group, with the
    sharer's newest nickname when one is known)."""
    return returned(await conn.fetchrow(
        """INSERT INTO fission_groups (id, campaign_id, sharer_id, needed, created_at, sharer_nickname)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (campaign_id, sharer_id) DO UPDATE SET sharer_nickname = CASE
               WHEN EXCLUDED.sharer_nickname <> '' THEN EXCLUDED.sharer_nickname
               ELSE fission_groups.sharer_nickname END
           RETURNING *""",
        group_id, campaign_id, sharer_id, needed, now, nickname))


async def get_group(conn: Connection, group_id: str) -> Record | None:
    return await conn.fetchrow("SELECT * FROM fission_groups WHERE id = $1", group_id)


async def add_join(conn: Connection, group_id: str, user_id: str, now: datetime) -> bool:
    """One join per user per group: the primary key refuses a second."""
    return bool(await conn.fetchval(
        "INSERT INTO fission_joins (group_id, user_id, joined_at) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING RETURNING 1", group_id, user_id, now))


async def count_join(conn: Connection, group_id: str) -> Record | None:
    """One more friend, only while the group still needs some: the row lock orders concurrent joins."""
    return await conn.fetchrow(
        "UPDATE fission_groups SET joined = joined + 1 WHERE id = $1 AND joined < needed RETURNING *", group_id)


async def unlock(conn: Connection, group_id: str, now: datetime) -> Record | None:
    """Full group → unlocked, exactly once."""
    return await conn.fetchrow(
        "UPDATE fission_groups SET unlocked_at = $2 WHERE id = $1 AND joined >= needed AND unlocked_at IS NULL "
        "RETURNING *", group_id, now)


async def set_reward(conn: Connection, group_id: str, coupon_id: str) -> None:
    await conn.execute("UPDATE fission_groups SET reward_coupon_id = $2 WHERE id = $1", group_id, coupon_id)


async def set_friend_coupon(conn: Connection, group_id: str, user_id: str, coupon_id: str) -> None:
    await conn.execute("UPDATE fission_joins SET friend_coupon_id = $3 WHERE group_id = $1 AND user_id = $2",
                       group_id, user_id, coupon_id)


async def joined_by(conn: Connection, group_id: str, user_id: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT 1 FROM fission_joins WHERE group_id = $1 AND user_id = $2", group_id, user_id))
