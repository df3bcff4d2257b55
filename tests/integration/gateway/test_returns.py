"""A return with goods through the gateway on the real services and the Alipay sandbox: the buyer asks for one
unit back, the merchant approves, the buyer sends the parcel, the merchant receives it, and only then does
the money go back through the Alipay trade; the last unit follows, and the freight of a shipped order stays."""

from __future__ import annotations

import uuid
from typing import Any

from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.test_delivery import setup
from tests.integration.gateway.test_pickup import place
from tests.support import eventually


async def post(mall: Mall, path: str, who: dict[str, str], body: Any = None) -> tuple[int, Any]:
    resp = await mall.gateway.post(path, json=body, headers={**who, "Idempotency-Key": uuid.uuid4().hex})
    return resp.status, await resp.json()


async def stock_is(mall: Mall, available: int) -> bool:
    """sku_tea's stock as its merchant sees it."""
    listed = await (await mall.gateway.get("/api/merchant/products", headers=mall.staff())).json()
    [tea] = [p for p in listed["items"] if p["name"] == "龙井茶 250g"]
    product = await (await mall.gateway.get(f"/api/merchant/products/{tea['id']}", headers=mall.staff())).json()
    return bool(product["skus"][0]["available"] == available)


async def test_a_return_with_goods_end_to_end(mall: Mall) -> None:
    home = (await setup(mall))["home"]
    gw, alice, staff = mall.gateway, mall.user(), mall.staff()
    placed = await place(mall, {"method": "express", "address_id": home["id"]})  # 2 × ¥50 + ¥10 freight
    assert placed["payable_fen"] == 11_000
    status, trade = await post(mall, f"/api/orders/{placed['id']}/pay", alice, {"method": "alipay"})
    assert status in (200, 201), trade
    assert (await mall.sandbox.post(f"/sandbox/trades/{trade['trade_no']}/pay", json={})).status == 200

    async def order_is(status: str) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            found = await (await gw.get(f"/api/orders/{placed['id']}", headers=alice)).json()
            return found if found["status"] == status else None
        return await eventually(probe, timeout=20)

    order = await order_is("PAID")
    oid, line = order["id"], order["lines"][0]
    status, shipped = await post(mall, f"/api/merchant/orders/{oid}/ship", staff,
                                 {"carrier": "shunfeng", "tracking_no": "SF1234567890123"})
    assert (status, shipped["status"]) == (200, "SHIPPED")

    status, problem = await post(mall, f"/api/orders/{oid}/refund", alice,
                                 {"reason": "尺寸不合适", "lines": [{"line_id": line["id"], "qty": 3}]})
    assert (status, problem["code"]) == (409, "refund_exceeds_units")
    status, refund = await post(mall, f"/api/orders/{oid}/refund", alice, {
        "reason": "尺寸不合适", "lines": [{"line_id": line["id"], "qty": 1}], "with_return": True})
    assert (status, refund["status"], refund["amount_fen"]) == (201, "requested", 5_000)
    rid = refund["id"]
    assert (await gw.get(f"/api/orders/{oid}/refunds", headers=mall.user("u_bob"))).status == 404
    assert (await post(mall, f"/api/merchant/refunds/{rid}/approve", mall.staff("mch_002")))[0] == 404

    status, refund = await post(mall, f"/api/merchant/refunds/{rid}/approve", staff)
    assert (status, refund["status"]) == (200, "awaiting_return")
    waybill = {"carrier": "yuantong", "tracking_no": "YT1234567890123"}
    assert (await post(mall, f"/api/refunds/{rid}/return-shipment", mall.user("u_bob"), waybill))[0] == 404
    status, refund = await post(mall, f"/api/refunds/{rid}/return-shipment", alice, waybill)
    assert (status, refund["status"], refund["return_shipment"]["carrier"]) == (200, "returning", "yuantong")
    sandbox_trade = f"/sandbox/trades/{trade['trade_no']}"
    assert (await (await mall.sandbox.get(sandbox_trade)).json())["refunds"] == {}  # no money before the goods

    status, refund = await post(mall, f"/api/merchant/refunds/{rid}/receive-return", staff)
    assert (status, refund["status"]) == (200, "approved")
    # the returned unit is back on sale once received: 50 − 2 sold + 1 back, and not again with the money
    await eventually(lambda: stock_is(mall, 49), timeout=20)

    async def refunds() -> list[dict[str, Any]]:
        return list((await (await gw.get(f"/api/orders/{oid}/refunds", headers=alice)).json())["items"])

    async def all_refunded() -> list[dict[str, Any]] | None:
        found = await refunds()
        return found if all(r["status"] == "refunded" for r in found) else None

    await eventually(all_refunded, timeout=20)
    assert list((await (await mall.sandbox.get(sandbox_trade)).json())["refunds"].values()) == [5_000]
    assert await stock_is(mall, 49)
    assert (await order_is("SHIPPED"))["refund"]["status"] == "refunded"  # partly refunded: still on its way

    # The other unit, money only: the merchant approves, the freight of a shipped order stays paid.
    status, rest = await post(mall, f"/api/orders/{oid}/refund", alice, {"reason": "不要了"})
    assert (status, rest["amount_fen"], rest["freight_fen"]) == (201, 5_000, 0)
    await order_is("REFUND_REQUESTED")
    status, rest = await post(mall, f"/api/merchant/refunds/{rest['id']}/approve", staff)
    assert (status, rest["status"]) == (200, "approved")
    await order_is("REFUNDED")
    await eventually(all_refunded, timeout=20)
    money = (await (await mall.sandbox.get(sandbox_trade)).json())["refunds"]
    assert sorted(money.values()) == [5_000, 5_000]
    assert await stock_is(mall, 49)  # the unit refunded without coming back stays sold
