"""Home content: a merchant's (or the mall's, merchant_id None) banners and featured collections, checked:
a target that exists (a merchant points only to its own products), a page of the mini-program, a schedule
that ends after it starts."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import asyncpg

from services.catalog.flows.catalogue import known_merchant
from services.catalog.store import catalogue
from services.catalog.store import home as store
from shared.db import Tx
from shared.refusal import Refusal

PAGE = re.compile(r"^/pages/[a-z0-9_/-]+(\?[A-Za-z0-9_=&%.-]*)?$")  # a mini-program page, never a URL
TargetKind = Literal["product", "category", "campaign", "page"]


@dataclass
class HomeDraft:
    kind: Literal["banner", "collection"]
    title: str
    starts_at: datetime
    image: str = ""
    target_kind: TargetKind | None = None
    target: str | None = None
    product_ids: list[str] = field(default_factory=list)
    position: int = 0
    ends_at: datetime | None = None
    id: str = field(default_factory=lambda: f"home_{uuid.uuid4().hex[:16]}")


async def save(tx: Tx, merchant_id: str | None, draft: HomeDraft) -> asyncpg.Record:
    if draft.ends_at is not None and draft.ends_at <= draft.starts_at:
        raise Refusal("schedule_invalid", "ends_at must be after starts_at", 422, field="ends_at")
    if (draft.target_kind is None) != (draft.target is None):
        raise Refusal("target_invalid", "A target needs both target_kind and target", 422, field="target")
    if draft.kind == "banner" and draft.target_kind is None:
        raise Refusal("target_invalid", "A banner points somewhere: give target_kind and target", 422,
                      field="target")
    if draft.kind == "collection" and not draft.product_ids:
        raise Refusal("collection_empty", "A collection needs product_ids", 422, field="product_ids")
    if merchant_id is not None:  # None: the mall's own content
        await known_merchant(tx, merchant_id)
    await _check_target(tx, draft)
    wanted = set(draft.product_ids) | ({draft.target} if draft.target_kind == "product" and draft.target else set())
    found = {r["id"]: r["merchant_id"] for r in await store.products_of(tx.conn, sorted(wanted))}
    for product_id in sorted(wanted):
        if product_id not in found or (merchant_id is not None and found[product_id] != merchant_id):
            raise Refusal("unknown_product", f"No product {product_id} of yours", 422, field="product_ids")
    row = await store.save_item(tx.conn, draft.id, merchant_id, {
        "kind": draft.kind, "title": draft.title, "image": draft.image, "target_kind": draft.target_kind,
        "target": draft.target, "product_ids": draft.product_ids, "position": draft.position,
        "starts_at": draft.starts_at, "ends_at": draft.ends_at})
    if row is None:
        raise Refusal("home_item_not_found", "No such home item", 404)
    return row


async def _check_target(tx: Tx, draft: HomeDraft) -> None:
    """Campaigns belong to marketing: the gateway asks it that a merchant's campaign target is the merchant's."""
    if draft.target_kind == "category" and await catalogue.get_category(tx.conn, draft.target or "") is None:
        raise Refusal("unknown_category", "No such category", 422, field="target")
    if draft.target_kind == "page" and not PAGE.match(draft.target or ""):
        raise Refusal("target_invalid", "A page is a mini-program path such as /pages/store/index?id=1", 422,
                      field="target")
