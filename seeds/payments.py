"""Demo Huabei offers: mch_001 offers 3 instalments interest-free (the merchant pays the fee) on orders from
¥100, and 6 and 12 with the buyer paying the fee; the other demo merchants keep the mall's default (every term,
the buyer pays). Idempotent, and a merchant's own later change is never overwritten by a re-seed."""

from __future__ import annotations

from services.payments import store
from shared.db import Database

# (merchant_id, [(installments, fee_payer, min_amount_fen)])
OFFERS = [("mch_001", [(3, "merchant", 10_000), (6, "buyer", 10_000), (12, "buyer", 10_000)])]


async def seed(db: Database) -> None:
    for merchant_id, offers in OFFERS:
        if await store.huabei_offers(db, merchant_id):
            continue  # the merchant has settings already (seeded before, or its own)
        async with db.transaction() as tx:
            await store.lock_huabei_settings(tx.conn, merchant_id)
            await store.insert_huabei_offers(tx.conn, merchant_id, offers)
