"""Store checkout beyond SKUs, through the gateway, the real services and the Alipay sandbox (issue 19): a clerk
rings up a bare amount (到店消费: no goods, no stock), charged once and refundable; and a payer Alipay names
who signed in to the mall with that Alipay id owns the counter sale and earns its points, while an unknown
payer stays a walk-in."""

from __future__ import annotations

import uuid
from typing import Any

from shared.service import DB
from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.test_alipay_native import counter, merchant_order, sandbox_trade
from tests.support import eventually

SALES = "/api/merchant/store-checkouts"


async def payment_code(mall: Mall, user_id: str | None = None) -> str:
    """A payment code the sandbox charges successfully; `user_id`: the Alipay user whose code it is."""
    assert mall.sandbox is not None
    body: dict[str, Any] = {"scene": "bar_code", "outcome": "success", "then": "paid"}
    if user_id is not None:
        body["user_id"] = user_id
    resp = await mall.sandbox.post("/sandbox/payment-codes", json=body)
    assert resp.status == 201, await resp.text()
    return str((await resp.json())["auth_code"])


async def ring_up(mall: Mall, body: dict[str, Any], key: str | None = None) -> Any:
    return await mall.gateway.post(SALES, json={"store_id": "sto_lake", "scene": "bar_code", **body},
                                   headers={**mall.staff(), "Idempotency-Key": key or uuid.uuid4().hex})


async def phone_stock(mall: Mall) -> tuple[int, int]:
    product = (await (await mall.gateway.get("/api/merchant/products", headers=mall.staff())).json())["items"][0]
    return product["available"], product["sold"]


async def test_a_clerk_rings_up_an_amount_without_goods_charged_once_and_refundable(mall: Mall) -> None:
    await counter(mall)
    stock_before = await phone_stock(mall)
    code = await payment_code(mall)
    # Either SKUs or an amount, and an amount within the bounds: refused before anything is placed.
    for wrong in ({"amount_fen": 0}, {"amount_fen": 5_000_001}, {"amount_fen": "12.30"},
                  {"amount_fen": 100, "items": [{"sku_id": "sku_mate60", "qty": 1}]}, {}):
        resp = await ring_up(mall, {**wrong, "auth_code": code})
        assert resp.status == 422, (wrong, await resp.text())

    resp = await ring_up(mall, {"amount_fen": 12_345, "auth_code": code}, key="amount-1")
    assert resp.status == 201, await resp.text()
    sale = await resp.json()
    charge = sale["charge"]
    assert (sale["payable_fen"], charge["status"], charge["amount_fen"]) == (12_345, "succeeded", 12_345)
    # The terminal retried: the same sale and charge, nothing charged again.
    again = await ring_up(mall, {"amount_fen": 12_345, "auth_code": code}, key="amount-1")
    assert again.status == 201 and (await again.json())["charge"]["payment_id"] == charge["payment_id"]
    trade = await sandbox_trade(mall, charge["trade_no"])
    assert (trade["status"], trade["total_fen"]) == ("TRADE_SUCCESS", 12_345)

    order = await merchant_order(mall, sale["order_id"], "PAID")
    assert order["entry"] == "store_checkout" and order["payable_fen"] == 12_345
    assert [(ln["name"], ln["sku_id"], ln["qty"], ln["line_fen"]) for ln in order["lines"]] == [
        ("到店消费", None, 1, 12_345)]

    # Refunded through the same trade, the whole amount and no more; no goods went anywhere.
    resp = await mall.gateway.post(f"/api/merchant/orders/{sale['order_id']}/refund", json={"reason": "顾客退款"},
                                   headers={**mall.staff(), "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["amount_fen"] == 12_345

    async def refunded() -> bool:
        return (await sandbox_trade(mall, charge["trade_no"]))["status"] == "TRADE_CLOSED"

    await eventually(refunded, timeout=15)
    await merchant_order(mall, sale["order_id"], "REFUNDED")
    assert await phone_stock(mall) == stock_before


async def test_a_payer_known_to_the_mall_owns_the_counter_sale_and_earns_its_points(mall: Mall) -> None:
    gw = mall.gateway
    assert mall.sandbox is not None
    await counter(mall)
    # A buyer signs in to the mini-program with their Alipay account.
    alipay_id = "2088" + str(uuid.uuid4().int)[:12]
    resp = await mall.sandbox.post("/sandbox/auth-codes", json={"user_id": alipay_id, "nickname": "小红"})
    session = await (await gw.post("/api/session", json={"auth_code": (await resp.json())["auth_code"]})).json()
    buyer = {"Authorization": f"Bearer {session['token']}"}
    payments = mall.services["payments"].app[DB].pool

    async def linked() -> bool:  # payments has heard of the sign-in (user.alipay_linked)
        return bool(await payments.fetchval("SELECT count(*) FROM payments.alipay_buyers WHERE alipay_user_id = $1",
                                            alipay_id))

    await eventually(linked, timeout=15)

    # At the counter they pay with their payment code: the sale is theirs, as if they had ordered it.
    resp = await ring_up(mall, {"items": [{"sku_id": "sku_mate60", "qty": 1}],
                                "auth_code": await payment_code(mall, alipay_id)}, key="known-1")
    assert resp.status == 201, await resp.text()
    sale = await resp.json()
    assert sale["charge"]["buyer_alipay_id"] == alipay_id
    await merchant_order(mall, sale["order_id"], "PAID")
    mine = await gw.get(f"/api/orders/{sale['order_id']}", headers=buyer)
    assert mine.status == 200, await mine.text()
    assert (await mine.json())["entry"] == "store_checkout"

    async def earned() -> list[Any]:
        points = await (await gw.get("/api/me/points", headers=buyer)).json()
        return [p for p in points["pending_orders"] if p["order_id"] == sale["order_id"]]

    assert (await eventually(earned, timeout=15))[0]["points"] == 5_999
    # The clerk's retry still finds the same sale and charge.
    again = await ring_up(mall, {"items": [{"sku_id": "sku_mate60", "qty": 1}],
                                 "auth_code": await payment_code(mall, alipay_id)}, key="known-1")
    assert again.status == 201 and (await again.json())["order_id"] == sale["order_id"]

    # A payer the mall does not know stays a walk-in: the order is no buyer's.
    resp = await ring_up(mall, {"amount_fen": 500, "auth_code": await payment_code(mall)})
    stranger = await resp.json()
    assert stranger["charge"]["status"] == "succeeded"
    order = await merchant_order(mall, stranger["order_id"], "PAID")
    assert order["user_id"] == f"walkin:{stranger['order_id']}"
    assert (await gw.get(f"/api/orders/{stranger['order_id']}", headers=buyer)).status == 404
