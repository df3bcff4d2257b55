"""An order confirmed at 0 fen (a free SKU from before catalog refused them) is refused clearly, never a 500."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("method", ["balance", "alipay", "pay_later"])
async def test_paying_a_zero_fen_order_is_a_clear_refusal(mall, method):
    order_id = await mall.confirm_order("u1", 0)
    resp = await mall.pay(order_id, "u1", method=method)
    assert resp.status == 409, await resp.text()
    assert (await resp.json())["code"] == "nothing_to_pay"
    assert await mall.db.fetchval("SELECT count(*) FROM payments") == 0
    assert await mall.db.fetchval("SELECT count(*) FROM ledger_entries") == 0
