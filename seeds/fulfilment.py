"""Demo fulfilment data: a freight template for each demo merchant and their Hangzhou stores as pickup points,
one of them a tea counter with its own hours that hands over only tea. Idempotent: a template a merchant has
(seeded or its own) is left alone, and so are pickup settings a merchant changed; stores are the ones catalog's
seed creates (their store.changed events would bring the same rows)."""

from __future__ import annotations

from seeds.catalog import STORES, products
from services.fulfilment import flows, store
from shared.db import Database

JZH = ["31", "32", "33", "34"]  # 江浙沪皖: the home region of the Hangzhou merchants
NEAR = ["11", "12", "13", "35", "36", "37", "41", "42", "43", "44", "50", "51"]
FAR = ["14", "15", "21", "22", "23", "45", "46", "52", "53", "61", "62", "63", "64"]
# Xinjiang (65) and Tibet (54) are not delivered to by the demo merchants, nor Hong Kong, Macao, Taiwan.
PIECE_RULES = [
    {"provinces": JZH, "first_units": 1, "first_fen": 600, "extra_units": 1, "extra_fen": 100},
    {"provinces": NEAR, "first_units": 1, "first_fen": 1_000, "extra_units": 1, "extra_fen": 300},
    {"provinces": FAR, "first_units": 1, "first_fen": 1_500, "extra_units": 1, "extra_fen": 500},
]
WEIGHT_RULES = [
    {"provinces": JZH, "first_units": 1, "first_fen": 800, "extra_units": 1, "extra_fen": 200},
    {"provinces": NEAR + FAR, "first_units": 1, "first_fen": 1_200, "extra_units": 1, "extra_fen": 600},
]
# (merchant, basis, free above, rules): digital goods ship free from ¥99; groceries by weight, free from ¥88.
TEMPLATES = [("mch_001", "piece", 9_900, PIECE_RULES), ("mch_002", "weight", 8_800, WEIGHT_RULES),
             ("mch_003", "piece", None, PIECE_RULES)]


# 萧山万象汇店 is a tea counter: open later, and it hands over only the merchant's tea.
TEA_COUNTER = ("mch_002", "sto_007", "10:00-22:00", "cat_tea")
DEFAULT_HOURS = "09:00-21:00"


async def seed(db: Database) -> None:
    async with db.transaction() as tx:
        for s in STORES:
            await store.upsert_store(tx.conn, s["id"], s["merchant_id"], s["name"], s["address"], True)
        for merchant_id, basis, free_above, rules in TEMPLATES:
            if await store.get_template(tx.conn, merchant_id) is None:
                await flows.set_template(tx, merchant_id, basis, free_above, 500, rules)
        merchant_id, store_id, hours, category = TEA_COUNTER
        counter = await store.pickup_store(tx.conn, merchant_id, store_id)
        if counter is not None and (counter["open_hours"], counter["product_ids"]) == (DEFAULT_HOURS, None):
            teas = [p.id for p in products() if p.category_id == category]
            await store.set_pickup_settings(tx.conn, merchant_id, store_id, True, hours, teas)
