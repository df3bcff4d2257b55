"""Demo merchant staff accounts, one per demo merchant. FOR LOCAL DEVELOPMENT ONLY:
username `staff1` / password `mall-demo-1` for mch_001, `staff2` / `mall-demo-2` for mch_002,
`staff3` / `mall-demo-3` for mch_003."""

from __future__ import annotations

import asyncio

from services.gateway import store
from services.gateway.auth import hash_password
from shared.db import Database

STAFF = [("staff1", "mall-demo-1", "mch_001", "Demo staff of mch_001"),
         ("staff2", "mall-demo-2", "mch_002", "Demo staff of mch_002"),
         ("staff3", "mall-demo-3", "mch_003", "Demo staff of mch_003")]


async def seed(db: Database) -> None:
    for username, password, merchant_id, name in STAFF:
        password_hash = await asyncio.to_thread(hash_password, password)
        await store.upsert_staff(db, username=username, merchant_id=merchant_id, password_hash=password_hash,
                                 display_name=name)
