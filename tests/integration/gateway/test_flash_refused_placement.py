"""A flash-sale buyer admitted by catalog whose placement orders then refuses (too many unpaid orders) gives
the admitted unit back at once, through the gateway: the next buyer gets it now, not after
MALL_FLASH_ADMISSION_HOLD_SECONDS."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.test_flash_sale import PICKUP, place, running_sale


@pytest.fixture(autouse=True)
def one_unpaid_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """orders allows each buyer one unpaid order here (set before the mall starts)."""
    monkeypatch.setenv("MALL_MAX_UNPAID_ORDERS", "1")


async def test_a_refused_placement_releases_its_admission_at_once(mall: Mall) -> None:
    gw = mall.gateway
    sale_id = await running_sale(mall, 1)
    resp = await gw.post("/api/orders", headers={**mall.user("u_alice"), "Idempotency-Key": uuid.uuid4().hex},
                         json={"items": [{"sku_id": "sku_tea", "qty": 1}], "delivery": PICKUP})
    assert resp.status == 201, await resp.text()  # Alice's one unpaid order

    status, alice = await place(mall, sale_id, "u_alice")  # admitted, then refused by orders
    assert (status, alice["code"]) == (409, "too_many_unpaid_orders"), alice
    status, bob = await place(mall, sale_id, "u_bob")  # the sale's one unit is his now
    assert (status, bob["status"]) == (201, "AWAITING_PAYMENT"), bob
    status, carol = await place(mall, sale_id, "u_carol")
    assert (status, carol["code"]) == (409, "flash_sale_sold_out")
