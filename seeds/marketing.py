"""Demo marketing data for the demo merchants mch_001..mch_003: idempotent (fixed ids, inserts that skip
what exists). Per merchant: a 满减 coupon (¥20 off ¥100), a percent coupon with a cap, a no-threshold
coupon, a credit-gated coupon (Sesame ≥ 650), a fission campaign (3 friends) and a coupon per store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.marketing.store import campaigns as campaigns_db
from services.marketing.store import members as members_db
from shared.db import Database

MERCHANT_IDS = ["mch_001", "mch_002", "mch_003"]
# Used when seeds/catalog.py does not say which store belongs to whom.
FALLBACK_STORES = {f"sto_{i:03d}": MERCHANT_IDS[0 if i <= 4 else 1 if i <= 7 else 2] for i in range(1, 11)}
SINCE = datetime(2025, 1, 1, tzinfo=UTC)


def _field(item: Any, *names: str) -> Any:
    for name in names:
        value = item.get(name) if isinstance(item, dict) else getattr(item, name, None)
        if value is not None:
            return value
    return None


def catalog_stores() -> list[dict[str, Any]]:
    """Stores as seeds/catalog.py defines them (if it does), else the agreed ids without coordinates."""
    try:
        from seeds import catalog  # type: ignore[attr-defined]

        found = []
        for item in getattr(catalog, "STORES", []):
            item = item if not isinstance(item, tuple) else dict(zip(("id", "merchant_id", "name", "address", "lat",
                                                                       "lng"), item, strict=False))
            store_id, merchant_id = _field(item, "store_id", "id"), _field(item, "merchant_id")
            if store_id and merchant_id:
                found.append({"store_id": store_id, "merchant_id": merchant_id,
                              "name": _field(item, "name") or store_id, "address": _field(item, "address") or "",
                              "lat": _field(item, "lat"), "lng": _field(item, "lng")})
        if found:
            return found
    except ImportError:
        pass
    return [{"store_id": s, "merchant_id": m, "name": s, "address": "", "lat": None, "lng": None}
            for s, m in FALLBACK_STORES.items()]


def templates_for(merchant_id: str, stores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    main, fission = f"cmp_{merchant_id}_main", f"cmp_{merchant_id}_fission"
    base = {"merchant_id": merchant_id, "total_qty": 10_000, "per_user_limit": 1, "kind": "fixed"}
    items = [
        {**base, "id": f"tpl_{merchant_id}_manjian", "campaign_id": main, "name": "满100减20", "channel": "public",
         "amount_fen": 2_000, "threshold_fen": 10_000, "valid_days": 30},
        {**base, "id": f"tpl_{merchant_id}_percent", "campaign_id": main, "name": "85折 最高减30", "channel": "public",
         "kind": "percent", "percent_off_bp": 1_500, "cap_fen": 3_000, "valid_days": 14},
        {**base, "id": f"tpl_{merchant_id}_nothreshold", "campaign_id": main, "name": "无门槛5元", "channel": "public",
         "amount_fen": 500, "valid_days": 7},
        {**base, "id": f"tpl_{merchant_id}_credit", "campaign_id": main, "name": "芝麻分650专享 满50减15",
         "channel": "public", "amount_fen": 1_500, "threshold_fen": 5_000, "valid_days": 30, "min_credit_score": 650},
        {**base, "id": f"tpl_{merchant_id}_fission_sharer", "campaign_id": fission, "name": "邀3位好友得15元",
         "channel": "fission_sharer", "amount_fen": 1_500, "valid_days": 30, "per_user_limit": 5},
        {**base, "id": f"tpl_{merchant_id}_fission_friend", "campaign_id": fission, "name": "助力好友得3元",
         "channel": "fission_friend", "amount_fen": 300, "valid_days": 7, "per_user_limit": 3},
    ]
    for store in stores:
        if store["merchant_id"] == merchant_id:
            items.append({**base, "id": f"tpl_{store['store_id']}_store", "campaign_id": main,
                          "name": f"{store['name']} 到店满50减10", "channel": "public", "amount_fen": 1_000,
                          "threshold_fen": 5_000, "valid_days": 7, "store_id": store["store_id"]})
    return items


async def seed(db: Database) -> None:
    stores = catalog_stores()
    async with db.transaction() as tx:
        for store in stores:
            if store["lat"] is not None and store["lng"] is not None:  # as store.changed would (it wins later)
                if await members_db.get_store(tx.conn, store["store_id"]) is None:
                    await members_db.upsert_store(tx.conn, active=True, **store)
        for merchant_id in MERCHANT_IDS:
            await campaigns_db.insert_campaign(tx.conn, {
                "id": f"cmp_{merchant_id}_main", "merchant_id": merchant_id, "name": "开业优惠", "kind": "coupon",
                "budget_fen": 5_000_000, "starts_at": SINCE})
            await campaigns_db.insert_campaign(tx.conn, {
                "id": f"cmp_{merchant_id}_fission", "merchant_id": merchant_id, "name": "好友助力", "kind": "fission",
                "fission_needed": 3, "budget_fen": 2_000_000, "starts_at": SINCE})
            for template in templates_for(merchant_id, stores):
                await campaigns_db.insert_template(tx.conn, template)
