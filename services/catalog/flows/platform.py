"""What the platform decides about merchants (from the gateway's events) and the category tree it keeps."""

from __future__ import annotations

import uuid

import asyncpg

from services.catalog.flows.catalogue import announce_category_move
from services.catalog.store import platform as store
from shared.db import Tx
from shared.logging import get_logger
from shared.refusal import Refusal

log = get_logger("catalog")


async def add_merchant(tx: Tx, merchant_id: str, name: str, licence_no: str) -> None:
    await store.add_approved_merchant(tx.conn, merchant_id, name, licence_no)


async def suspend_merchant(tx: Tx, merchant_id: str) -> None:
    """Its products leave search, categories and product pages; orders for them are refused (not active)."""
    taken_off = await store.suspend_merchant(tx.conn, merchant_id)
    log.info("merchant suspended", merchant_id=merchant_id, products_off_sale=len(taken_off))


async def reinstate_merchant(tx: Tx, merchant_id: str) -> None:
    back = await store.reinstate_merchant(tx.conn, merchant_id)
    log.info("merchant reinstated", merchant_id=merchant_id, products_back_on_sale=len(back))


async def create_category(tx: Tx, name: str, parent_id: str | None, position: int) -> asyncpg.Record:
    if parent_id is not None and await store.lock_category(tx.conn, parent_id) is None:
        raise Refusal("parent_not_found", "No such parent category", 422, field="parent_id")
    return await store.insert_category(tx.conn, f"cat_{uuid.uuid4().hex[:12]}", name, parent_id, position)


async def change_category(tx: Tx, category_id: str, name: str | None, parent_id: str | None, to_top: bool,
                          position: int | None) -> asyncpg.Record:
    current = await store.lock_category(tx.conn, category_id)
    if current is None:
        raise Refusal("category_not_found", "No such category", 404)
    new_parent = None if to_top else (parent_id if parent_id is not None else current["parent_id"])
    if new_parent is not None:
        above = await store.ancestors(tx.conn, new_parent)
        if not above:
            raise Refusal("parent_not_found", "No such parent category", 422, field="parent_id")
        if category_id in above:
            raise Refusal("category_cycle", "A category cannot move under itself or its own subcategory", 422,
                          field="parent_id")
    changed = await store.update_category(tx.conn, category_id, name if name is not None else current["name"],
                                          new_parent, position if position is not None else current["position"])
    if new_parent != current["parent_id"]:  # orders' member prices go by the SKUs' ancestors
        await announce_category_move(tx, category_id)
    return changed


async def delete_category(tx: Tx, category_id: str) -> None:
    if await store.lock_category(tx.conn, category_id) is None:
        raise Refusal("category_not_found", "No such category", 404)
    if await store.category_in_use(tx.conn, category_id):
        raise Refusal("category_not_empty", "Only a category without subcategories and products can be deleted")
    await store.delete_category(tx.conn, category_id)
