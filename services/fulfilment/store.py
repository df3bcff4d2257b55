"""All SQL of fulfilment, one function per query; parameters only."""

from __future__ import annotations

from typing import Any

import asyncpg

from shared.db import Queryable

ADDRESS_COLUMNS = "id, name, phone, province, city, district, detail, region_code, is_default"


def _address(row: asyncpg.Record | None) -> dict[str, Any] | None:
    return dict(row) if row is not None else None


# --- addresses ---------------------------------------------------------------------------------------------

async def lock_address_book(conn: Queryable, user_id: str) -> None:
    """Serialise one buyer's address-book writes (the default flag moves between rows)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('fulfilment.addresses'), hashtext($1))", user_id)


async def list_addresses(conn: Queryable, user_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(f"SELECT {ADDRESS_COLUMNS} FROM addresses WHERE user_id = $1 "
                            "ORDER BY is_default DESC, created_at DESC, id", user_id)
    return [dict(r) for r in rows]


async def count_addresses(conn: Queryable, user_id: str) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM addresses WHERE user_id = $1", user_id))


async def get_address(conn: Queryable, user_id: str, address_id: str) -> dict[str, Any] | None:
    return _address(await conn.fetchrow(f"SELECT {ADDRESS_COLUMNS} FROM addresses WHERE id = $1 AND user_id = $2",
                                        address_id, user_id))


async def clear_default(conn: Queryable, user_id: str) -> None:
    await conn.execute("UPDATE addresses SET is_default = false WHERE user_id = $1 AND is_default", user_id)


async def insert_address(conn: Queryable, address_id: str, user_id: str, fields: dict[str, Any],
                         is_default: bool) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"""INSERT INTO addresses (id, user_id, name, phone, province, city, district, detail, region_code, is_default)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {ADDRESS_COLUMNS}""",
        address_id, user_id, fields["name"], fields["phone"], fields["province"], fields["city"],
        fields["district"], fields["detail"], fields["region_code"], is_default)
    assert row is not None
    return dict(row)


async def update_address(conn: Queryable, user_id: str, address_id: str, fields: dict[str, Any],
                         is_default: bool) -> dict[str, Any] | None:
    return _address(await conn.fetchrow(
        f"""UPDATE addresses SET name = $3, phone = $4, province = $5, city = $6, district = $7, detail = $8,
                   region_code = $9, is_default = $10, updated_at = now()
            WHERE id = $1 AND user_id = $2 RETURNING {ADDRESS_COLUMNS}""",
        address_id, user_id, fields["name"], fields["phone"], fields["province"], fields["city"],
        fields["district"], fields["detail"], fields["region_code"], is_default))


async def delete_address(conn: Queryable, user_id: str, address_id: str) -> bool | None:
    """Whether the deleted row was the default; None when there was no such address of this buyer."""
    return await conn.fetchval("DELETE FROM addresses WHERE id = $1 AND user_id = $2 RETURNING is_default",
                               address_id, user_id)


async def promote_newest(conn: Queryable, user_id: str) -> None:
    await conn.execute(
        """UPDATE addresses SET is_default = true WHERE id = (
               SELECT id FROM addresses WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT 1)""", user_id)


# --- freight templates -------------------------------------------------------------------------------------

async def get_template(conn: Queryable, merchant_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT basis, free_above_fen, default_item_weight_g FROM freight_templates "
                              "WHERE merchant_id = $1", merchant_id)
    if row is None:
        return None
    rules = await conn.fetch("SELECT provinces, first_units, first_fen, extra_units, extra_fen FROM freight_rules "
                             "WHERE merchant_id = $1 ORDER BY position", merchant_id)
    return {**dict(row), "rules": [dict(r) for r in rules]}


async def upsert_template(conn: Queryable, merchant_id: str, basis: str, free_above_fen: int | None,
                          default_item_weight_g: int) -> None:
    await conn.execute(
        """INSERT INTO freight_templates (merchant_id, basis, free_above_fen, default_item_weight_g)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (merchant_id) DO UPDATE SET basis = $2, free_above_fen = $3, default_item_weight_g = $4,
                                                   updated_at = now()""",
        merchant_id, basis, free_above_fen, default_item_weight_g)


async def replace_rules(conn: Queryable, merchant_id: str, rules: list[dict[str, Any]]) -> None:
    await conn.execute("DELETE FROM freight_rules WHERE merchant_id = $1", merchant_id)
    await conn.executemany(
        """INSERT INTO freight_rules (merchant_id, position, provinces, first_units, first_fen, extra_units, extra_fen)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        [(merchant_id, i, list(r["provinces"]), r["first_units"], r["first_fen"], r["extra_units"], r["extra_fen"])
         for i, r in enumerate(rules)])


# --- stores (copy of catalog's) ----------------------------------------------------------------------------

async def upsert_store(conn: Queryable, store_id: str, merchant_id: str, name: str, address: str,
                       active: bool) -> None:
    await conn.execute(
        """INSERT INTO stores (store_id, merchant_id, name, address, active) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (store_id) DO UPDATE SET merchant_id = $2, name = $3, address = $4, active = $5""",
        store_id, merchant_id, name, address, active)


STORE_COLUMNS = "store_id, name, address, pickup_enabled, open_hours, product_ids"


def _store(row: asyncpg.Record | None) -> dict[str, Any] | None:
    return None if row is None else {**dict(row), "product_ids": _list(row["product_ids"])}


def _list(value: list[str] | None) -> list[str] | None:
    return None if value is None else list(value)


async def merchant_stores(conn: Queryable, merchant_id: str) -> list[dict[str, Any]]:
    """The merchant's active stores with their pickup settings, whether they offer pickup or not."""
    rows = await conn.fetch(f"SELECT {STORE_COLUMNS} FROM stores WHERE merchant_id = $1 AND active "
                            "ORDER BY store_id", merchant_id)
    return [s for s in map(_store, rows) if s is not None]


async def pickup_stores(conn: Queryable, merchant_id: str) -> list[dict[str, Any]]:
    return [s for s in await merchant_stores(conn, merchant_id) if s["pickup_enabled"]]


async def pickup_store(conn: Queryable, merchant_id: str, store_id: str) -> dict[str, Any] | None:
    return _store(await conn.fetchrow(f"SELECT {STORE_COLUMNS} FROM stores WHERE store_id = $1 "
                                      "AND merchant_id = $2 AND active AND pickup_enabled", store_id, merchant_id))


async def set_pickup_settings(conn: Queryable, merchant_id: str, store_id: str, enabled: bool, open_hours: str,
                              product_ids: list[str] | None) -> dict[str, Any] | None:
    """None when the store is not this merchant's active store."""
    return _store(await conn.fetchrow(
        f"""UPDATE stores SET pickup_enabled = $3, open_hours = $4, product_ids = $5
            WHERE store_id = $1 AND merchant_id = $2 AND active RETURNING {STORE_COLUMNS}""",
        store_id, merchant_id, enabled, open_hours, product_ids))


# --- SKUs (copy of catalog's) --------------------------------------------------------------------------------

async def upsert_sku(conn: Queryable, sku_id: str, product_id: str, merchant_id: str, weight_g: int | None,
                     revision: int) -> None:
    """Keep the highest revision: sku.changed events may arrive out of order."""
    await conn.execute(
        """INSERT INTO skus (sku_id, product_id, merchant_id, weight_g, revision) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (sku_id) DO UPDATE SET product_id = $2, merchant_id = $3, weight_g = $4, revision = $5
           WHERE skus.revision < $5""", sku_id, product_id, merchant_id, weight_g, revision)


async def skus_of(conn: Queryable, merchant_id: str, sku_ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = await conn.fetch("SELECT sku_id, product_id, weight_g FROM skus WHERE merchant_id = $1 "
                            "AND sku_id = ANY($2::text[])", merchant_id, sku_ids)
    return {r["sku_id"]: dict(r) for r in rows}


async def known_products(conn: Queryable, merchant_id: str, product_ids: list[str]) -> set[str]:
    rows = await conn.fetch("SELECT DISTINCT product_id FROM skus WHERE merchant_id = $1 "
                            "AND product_id = ANY($2::text[])", merchant_id, product_ids)
    return {r["product_id"] for r in rows}


# --- deliveries --------------------------------------------------------------------------------------------

DELIVERY_COLUMNS = ("order_id, user_id, merchant_id, method, store_id, address, freight_fen, state, pickup_code, "
                    "ready_at, picked_up_at, carrier, tracking_no, shipped_at, group_held")


def _delivery(row: asyncpg.Record | None) -> dict[str, Any] | None:
    return dict(row) if row is not None else None


async def lock_order(conn: Queryable, order_id: str) -> None:
    """Serialise the handlers of one order's events: order.paid may arrive while order.placed is being handled."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('fulfilment.order'), hashtext($1))", order_id)


async def insert_delivery(conn: Queryable, order_id: str, user_id: str, merchant_id: str, method: str,
                          store_id: str | None, address: dict[str, Any] | None, freight_fen: int) -> bool:
    """False when the order's delivery is already known (a redelivered order.placed)."""
    return bool(await conn.fetchval(
        """INSERT INTO deliveries (order_id, user_id, merchant_id, method, store_id, address, freight_fen)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (order_id) DO NOTHING RETURNING true""",
        order_id, user_id, merchant_id, method, store_id, address, freight_fen))


async def delivery_for_update(conn: Queryable, order_id: str) -> dict[str, Any] | None:
    return _delivery(await conn.fetchrow(f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE order_id = $1 FOR UPDATE",
                                         order_id))


async def user_delivery(conn: Queryable, user_id: str, order_id: str) -> dict[str, Any] | None:
    return _delivery(await conn.fetchrow(f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE order_id = $1 "
                                         "AND user_id = $2", order_id, user_id))


async def merchant_delivery_for_update(conn: Queryable, merchant_id: str, order_id: str) -> dict[str, Any] | None:
    return _delivery(await conn.fetchrow(f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE order_id = $1 "
                                         "AND merchant_id = $2 FOR UPDATE", order_id, merchant_id))


async def code_is_live(conn: Queryable, merchant_id: str, code: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM deliveries WHERE merchant_id = $1 AND pickup_code = $2 "
                                    "AND state IN ('paid', 'ready')", merchant_id, code))


async def set_paid(conn: Queryable, order_id: str, code: str | None, group_held: bool = False) -> None:
    await conn.execute("UPDATE deliveries SET state = 'paid', pickup_code = $2, group_held = $3 WHERE order_id = $1",
                       order_id, code, group_held)


async def release_group_hold(conn: Queryable, order_id: str, code: str | None) -> None:
    await conn.execute("UPDATE deliveries SET group_held = false, pickup_code = $2 WHERE order_id = $1",
                       order_id, code)


async def note_group_release(conn: Queryable, order_id: str) -> None:
    await conn.execute("INSERT INTO group_releases (order_id) VALUES ($1) ON CONFLICT DO NOTHING", order_id)


async def take_group_release(conn: Queryable, order_id: str) -> bool:
    return bool(await conn.fetchval("DELETE FROM group_releases WHERE order_id = $1 RETURNING true", order_id))


async def note_early_payment(conn: Queryable, order_id: str, group_held: bool) -> None:
    await conn.execute("INSERT INTO early_payments (order_id, group_held) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                       order_id, group_held)


async def note_early_shipment(conn: Queryable, order_id: str, carrier: str, tracking_no: str, at: Any) -> None:
    await conn.execute("INSERT INTO early_shipments (order_id, carrier, tracking_no, shipped_at) "
                       "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", order_id, carrier, tracking_no, at)


async def take_early_shipment(conn: Queryable, order_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("DELETE FROM early_shipments WHERE order_id = $1 RETURNING carrier, tracking_no, "
                               "shipped_at", order_id)


async def take_early_payment(conn: Queryable, order_id: str) -> bool | None:
    """None: no payment noted; else whether the order was held for its group when paid."""
    held = await conn.fetchval("DELETE FROM early_payments WHERE order_id = $1 RETURNING group_held", order_id)
    return None if held is None else bool(held)


async def set_state(conn: Queryable, order_id: str, state: str) -> None:
    stamp = {"ready": ", ready_at = now()", "picked_up": ", picked_up_at = now()"}.get(state, "")
    await conn.execute(f"UPDATE deliveries SET state = $2{stamp} WHERE order_id = $1", order_id, state)


async def code_at_merchant_for_update(conn: Queryable, merchant_id: str, code: str) -> dict[str, Any] | None:
    """The order this merchant's code names: the live one first, else the latest that used it (picked up,
    or closed by a refund of the whole order)."""
    return _delivery(await conn.fetchrow(
        f"""SELECT {DELIVERY_COLUMNS} FROM deliveries
            WHERE merchant_id = $1 AND pickup_code = $2 AND state IN ('paid', 'ready', 'picked_up', 'cancelled')
            ORDER BY state IN ('paid', 'ready') DESC, created_at DESC LIMIT 1 FOR UPDATE""",
        merchant_id, code))


# --- shipments -----------------------------------------------------------------------------------------------

async def merchant_delivery(conn: Queryable, merchant_id: str, order_id: str) -> dict[str, Any] | None:
    return _delivery(await conn.fetchrow(f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE order_id = $1 "
                                         "AND merchant_id = $2", order_id, merchant_id))


async def set_shipped(conn: Queryable, order_id: str, carrier: str, tracking_no: str, at: Any) -> None:
    await conn.execute("UPDATE deliveries SET state = 'shipped', carrier = $2, tracking_no = $3, shipped_at = $4 "
                       "WHERE order_id = $1", order_id, carrier, tracking_no, at)


async def add_tracking_event(conn: Queryable, order_id: str, at: Any, state: str, text: str) -> None:
    await conn.execute("INSERT INTO tracking_events (order_id, at, state, text) VALUES ($1, $2, $3, $4)",
                       order_id, at, state, text)


async def tracking_events(conn: Queryable, order_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT at, state, text FROM tracking_events WHERE order_id = $1 "
                            "ORDER BY at DESC, seq DESC", order_id)
    return [dict(r) for r in rows]


# --- wrong pickup codes ----------------------------------------------------------------------------------------

WINDOW = "to_timestamp(floor(extract(epoch FROM now()) / $2) * $2)"


async def pickup_misses(conn: Queryable, counter: str, window_seconds: int) -> int:
    return int(await conn.fetchval(f"SELECT coalesce(max(misses), 0) FROM pickup_misses WHERE counter = $1 "
                                   f"AND window_start = {WINDOW}", counter, window_seconds))


async def add_pickup_miss(conn: Queryable, counter: str, window_seconds: int) -> None:
    await conn.execute(f"""INSERT INTO pickup_misses (counter, window_start, misses) VALUES ($1, {WINDOW}, 1)
                           ON CONFLICT (counter, window_start) DO UPDATE SET misses = pickup_misses.misses + 1""",
                       counter, window_seconds)


# --- tracking (快递100) ----------------------------------------------------------------------------------------

async def add_subscription(conn: Queryable, order_id: str, carrier: str, tracking_no: str, at: Any) -> None:
    await conn.execute("INSERT INTO subscriptions (order_id, carrier, tracking_no, next_at) VALUES ($1, $2, $3, $4) "
                       "ON CONFLICT (order_id) DO NOTHING", order_id, carrier, tracking_no, at)


async def claim_due_subscriptions(conn: Queryable, now: Any, limit: int) -> list[dict[str, Any]]:
    """Waybills still to subscribe whose turn has come, that no other replica is subscribing right now."""
    rows = await conn.fetch(
        """SELECT s.order_id, s.carrier, s.tracking_no, s.attempts, d.address->>'phone' AS phone
           FROM subscriptions s JOIN deliveries d USING (order_id)
           WHERE s.state = 'pending' AND s.next_at <= $1 ORDER BY s.next_at LIMIT $2
           FOR UPDATE OF s SKIP LOCKED""", now, limit)
    return [dict(r) for r in rows]


async def set_subscription(conn: Queryable, order_id: str, state: str, attempts: int, next_at: Any, code: str,
                           message: str) -> None:
    await conn.execute("UPDATE subscriptions SET state = $2, attempts = $3, next_at = $4, last_code = $5, "
                       "last_message = $6 WHERE order_id = $1", order_id, state, attempts, next_at, code, message)


async def subscription(conn: Queryable, order_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT order_id, carrier, tracking_no, state, attempts, last_code FROM subscriptions "
                              "WHERE order_id = $1", order_id)
    return dict(row) if row is not None else None


async def shipments_by_waybill_for_update(conn: Queryable, carrier: str, tracking_no: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(f"SELECT {DELIVERY_COLUMNS}, tracking_state, delivered_at FROM deliveries "
                            "WHERE carrier = $1 AND tracking_no = $2 AND state = 'shipped' ORDER BY order_id "
                            "FOR UPDATE", carrier, tracking_no)
    return [dict(r) for r in rows]


async def add_tracking_event_once(conn: Queryable, order_id: str, at: Any, state: str, text: str) -> bool:
    return bool(await conn.fetchval(
        "INSERT INTO tracking_events (order_id, at, state, text) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (order_id, at, text) DO NOTHING RETURNING true", order_id, at, state, text))


async def set_tracking_state(conn: Queryable, order_id: str, state: str, delivered_at: Any) -> None:
    await conn.execute("UPDATE deliveries SET tracking_state = $2, delivered_at = coalesce(delivered_at, $3) "
                       "WHERE order_id = $1", order_id, state, delivered_at)


async def tracking_state(conn: Queryable, order_id: str) -> str | None:
    return await conn.fetchval("SELECT tracking_state FROM deliveries WHERE order_id = $1", order_id)
