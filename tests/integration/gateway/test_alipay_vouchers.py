"""Coupons as Alipay merchant vouchers (商家券) through the gateway, the real services and the Alipay sandbox
(issue 19): a template published once for a merchant that switched vouchers on, a claimed coupon sent into the
buyer's card package, its redemption reported to Alipay exactly once even when the payment event comes twice,
and a refund that gives the coupon back reported too."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import orjson

from shared.bus import Bus
from shared.events.base import Event
from shared.events.orders import OrderPaid
from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.test_alipay_native import FEATURES, counter
from tests.support import eventually

ALICE_ALIPAY = "2088000000000099"  # every test user token carries this Alipay id


async def voucher(mall: Mall, status: str) -> dict[str, Any] | None:
    assert mall.sandbox is not None
    listed = await (await mall.sandbox.get("/sandbox/vouchers", params={"user_id": ALICE_ALIPAY})).json()
    return next((v for v in listed["items"] if v["status"] == status), None)


async def redeliver_payment(database_url: str, amqp_url: str, bus_prefix: str, order_id: str) -> str:
    """The order's order.paid (what marketing redeems the coupon on) published again as a new event (the same
    facts twice, as a producer's retry would); the id of the copy once marketing has handled it."""
    conn = await asyncpg.connect(database_url)
    try:
        payload = await conn.fetchval(
            "SELECT payload FROM orders.outbox WHERE event_type = 'order.paid' "
            "AND convert_from(payload, 'UTF8')::jsonb -> 'data' ->> 'order_id' = $1", order_id)
        data = OrderPaid.model_validate(orjson.loads(bytes(payload))["data"])
        bus = Bus(amqp_url, prefix=bus_prefix, service="testpub")
        await bus.connect()
        copy = Event.wrap(data, producer="orders")
        try:
            await bus.publish_event(copy)
        finally:
            await bus.close()

        async def handled() -> bool:
            return bool(await conn.fetchval("SELECT 1 FROM marketing.inbox WHERE event_id = $1", copy.id))

        await eventually(handled, timeout=15)
        return str(copy.id)
    finally:
        await conn.close()


async def test_a_voucher_is_sent_on_claim_redeemed_once_and_given_back_on_refund(
        mall: Mall, database_url: str, amqp_url: str, bus_prefix: str) -> None:
    gw, staff, alice = mall.gateway, mall.staff(), mall.user("u_alice")
    await counter(mall, store_checkout=False)
    campaign = await (await gw.post("/api/merchant/campaigns", json={"name": "双11", "kind": "coupon"},
                                    headers=staff)).json()
    resp = await gw.post(f"/api/merchant/campaigns/{campaign['id']}/templates", headers=staff, json={
        "name": "满1000减100", "kind": "fixed", "amount_fen": 10_000, "threshold_fen": 100_000, "valid_days": 7,
        "total_qty": 100, "per_user_limit": 1})
    assert resp.status == 201, await resp.text()
    template = await resp.json()
    publish = f"/api/merchant/coupon-templates/{template['id']}/alipay-voucher"

    off = await gw.post(publish, json={"brand_name": "数码旗舰店"}, headers=staff)
    assert (off.status, (await off.json())["code"]) == (409, "alipay_vouchers_disabled")
    resp = await gw.put(FEATURES, json={"store_checkout": False, "sesame_deposit": False, "alipay_vouchers": True},
                        headers=staff)
    assert (await resp.json())["alipay_vouchers"] is True
    # Left out, the switch stays as it is.
    resp = await gw.put(FEATURES, json={"store_checkout": False, "sesame_deposit": False}, headers=staff)
    assert (await resp.json())["alipay_vouchers"] is True
    other = mall.staff("mch_002")
    resp = await gw.put(FEATURES, json={"store_checkout": False, "sesame_deposit": False, "alipay_vouchers": True},
                        headers=other)
    assert resp.status == 200, await resp.text()
    theirs = await gw.post(publish, json={"brand_name": "别家"}, headers=other)
    assert (theirs.status, (await theirs.json())["code"]) == (404, "template_not_found")
    resp = await gw.post(publish, json={"brand_name": "数码旗舰店"}, headers=staff)
    assert resp.status == 201, await resp.text()
    activity = await resp.json()
    again = await (await gw.post(publish, json={"brand_name": "数码旗舰店"}, headers=staff)).json()
    assert again["activity_id"] == activity["activity_id"]  # created at Alipay once

    # Claimed in the mall: the voucher lands in the buyer's Alipay card package.
    resp = await gw.post(f"/api/coupons/{template['id']}/claim", headers={**alice, "Idempotency-Key": "c1"})
    assert resp.status == 201, await resp.text()
    coupon = await resp.json()
    sent = await eventually(lambda: voucher(mall, "AVAILABLE"), timeout=15)
    assert sent["activity_id"] == activity["activity_id"]

    async def marked() -> bool:
        """The mall learns the voucher code from Alipay's answer, a moment after Alipay has recorded it."""
        mine = await (await gw.get("/api/coupons/mine", headers=alice)).json()
        assert [(c["id"], c["alipay_voucher"]) for c in mine["items"]] == [(coupon["id"], True)]
        return True
    await eventually(marked, timeout=15)  # the client marks it

    # Redeemed in a paid order: reported to Alipay as used.
    resp = await gw.post("/api/orders", json={"items": [{"sku_id": "sku_mate60", "qty": 1}],
                                              "coupon_id": coupon["id"]},
                         headers={**alice, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()
    order = await resp.json()
    assert order["payable_fen"] == 599_900 - 10_000
    payment = await (await gw.post(f"/api/orders/{order['id']}/pay", json={"method": "alipay"},
                                   headers={**alice, "Idempotency-Key": uuid.uuid4().hex})).json()
    assert mall.sandbox is not None
    assert (await mall.sandbox.post(f"/sandbox/trades/{payment['trade_no']}/pay")).status == 200
    used = await eventually(lambda: voucher(mall, "USED"), timeout=15)
    assert used["voucher_code"] == sent["voucher_code"] and len(used["uses"]) == 1

    # The payment event again: nothing more owed, nothing more reported.
    await redeliver_payment(database_url, amqp_url, bus_prefix, order["id"])
    conn = await asyncpg.connect(database_url)
    try:
        reports = await conn.fetch("SELECT action, reported_at FROM marketing.alipay_voucher_reports "
                                   "WHERE coupon_id = $1 ORDER BY created_at", coupon["id"])
    finally:
        await conn.close()
    assert [r["action"] for r in reports] == ["send", "use"]
    assert all(r["reported_at"] is not None for r in reports)
    assert len((await voucher(mall, "USED") or {})["uses"]) == 1

    # The whole order refunded: the coupon is the buyer's again, and so is the voucher in Alipay.
    resp = await gw.post(f"/api/merchant/orders/{order['id']}/refund", json={"reason": "顾客退货"},
                         headers={**staff, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()
    back = await eventually(lambda: voucher(mall, "AVAILABLE"), timeout=15)
    assert back["voucher_code"] == sent["voucher_code"] and (len(back["uses"]), len(back["refunds"])) == (1, 1)


async def test_a_payment_success_coupon_is_offered_after_paying_and_claimed_once_per_order(mall: Mall) -> None:
    gw, staff, alice = mall.gateway, mall.staff(), mall.user("u_alice")
    await counter(mall, store_checkout=False)
    campaign = await (await gw.post("/api/merchant/campaigns", json={"name": "支付有礼", "kind": "pay_gift"},
                                    headers=staff)).json()
    mismatch = await gw.post(f"/api/merchant/campaigns/{campaign['id']}/templates", headers=staff, json={
        "name": "x", "kind": "fixed", "amount_fen": 100, "valid_days": 7, "total_qty": 10})  # channel public
    assert (mismatch.status, (await mismatch.json())["code"]) == (409, "channel_mismatch")
    resp = await gw.post(f"/api/merchant/campaigns/{campaign['id']}/templates", headers=staff, json={
        "name": "下单返20元", "channel": "pay_gift", "kind": "fixed", "amount_fen": 2_000, "valid_days": 30,
        "total_qty": 10, "per_user_limit": 5})
    assert resp.status == 201, await resp.text()
    gift = await resp.json()
    public = await gw.post(f"/api/coupons/{gift['id']}/claim", headers={**alice, "Idempotency-Key": "g0"})
    assert (public.status, (await public.json())["code"]) == (404, "template_not_found")  # only after paying

    order = await (await gw.post("/api/orders", json={"items": [{"sku_id": "sku_mate60", "qty": 1}]},
                                 headers={**alice, "Idempotency-Key": uuid.uuid4().hex})).json()
    page = f"/api/orders/{order['id']}/pay-gift"
    unpaid = await gw.get(page, headers=alice)
    assert (unpaid.status, (await unpaid.json())["code"]) == (404, "paid_order_not_found")
    payment = await (await gw.post(f"/api/orders/{order['id']}/pay", json={"method": "alipay"},
                                   headers={**alice, "Idempotency-Key": uuid.uuid4().hex})).json()
    assert mall.sandbox is not None
    assert (await mall.sandbox.post(f"/sandbox/trades/{payment['trade_no']}/pay")).status == 200

    async def offered() -> dict[str, Any] | None:
        resp = await gw.get(page, headers=alice)
        return dict(await resp.json()) if resp.status == 200 else None

    shown = await eventually(offered, timeout=15)
    assert ([o["id"] for o in shown["offers"]], shown["claimed"]) == ([gift["id"]], None)
    assert (await gw.get(page, headers=mall.user("u_bob"))).status == 404  # not Bob's order

    claim = f"{page}/claim"
    resp = await gw.post(claim, json={"template_id": gift["id"]}, headers={**alice, "Idempotency-Key": "g1"})
    assert resp.status == 201, await resp.text()
    coupon = await resp.json()
    assert coupon["template_id"] == gift["id"]
    again = await gw.post(claim, json={"template_id": gift["id"]}, headers={**alice, "Idempotency-Key": "g2"})
    assert (again.status, (await again.json())["code"]) == (409, "pay_gift_claimed")
    shown = await (await gw.get(page, headers=alice)).json()
    assert (shown["claimed"]["id"], shown["offers"]) == (coupon["id"], [])
    mine = await (await gw.get("/api/coupons/mine", headers=alice)).json()
    assert [c["id"] for c in mine["items"] if c["template_id"] == gift["id"]] == [coupon["id"]]


async def test_a_paid_order_collects_its_jifenbao_once_from_the_merchants_budget(mall: Mall) -> None:
    gw, staff, alice = mall.gateway, mall.staff(), mall.user("u_alice")
    assert mall.sandbox is not None
    await counter(mall, store_checkout=False)
    assert (await mall.sandbox.put("/sandbox/point-budgets", json={"budget_code": "mch001_jfb",
                                                                   "amount": 10_000})).status == 200
    setting = {"budget_code": "mch001_jfb", "points_per_yuan": 1}
    off = await gw.put("/api/merchant/jifenbao", json=setting, headers=staff)
    assert (off.status, (await off.json())["code"]) == (409, "jifenbao_disabled")
    resp = await gw.put(FEATURES, json={"store_checkout": False, "sesame_deposit": False, "jifenbao": True},
                        headers=staff)
    assert (await resp.json())["jifenbao"] is True
    assert (await gw.put("/api/merchant/jifenbao", json=setting, headers=staff)).status == 200

    async def paid_order() -> str:
        order = await (await gw.post("/api/orders", json={"items": [{"sku_id": "sku_mate60", "qty": 1}]},
                                     headers={**alice, "Idempotency-Key": uuid.uuid4().hex})).json()
        payment = await (await gw.post(f"/api/orders/{order['id']}/pay", json={"method": "alipay"},
                                       headers={**alice, "Idempotency-Key": uuid.uuid4().hex})).json()
        assert (await mall.sandbox.post(f"/sandbox/trades/{payment['trade_no']}/pay")).status == 200  # type: ignore

        async def offered() -> bool:
            return (await gw.get(f"/api/orders/{order['id']}/pay-gift", headers=alice)).status == 200

        await eventually(offered, timeout=15)
        return str(order["id"])

    first = await paid_order()
    page = await (await gw.get(f"/api/orders/{first}/pay-gift", headers=alice)).json()
    assert (page["jifenbao"]["points"], page["jifenbao"]["status"]) == (5_999, "offered")  # ¥5999 × 1
    collect = f"/api/orders/{first}/jifenbao"
    assert (await gw.post(collect, headers=mall.user("u_bob"))).status == 404  # not Bob's order
    resp = await gw.post(collect, headers=alice)
    assert resp.status == 201, await resp.text()
    grant = await resp.json()
    assert (grant["points"], grant["status"]) == (5_999, "sent")
    again = await (await gw.post(collect, headers=alice)).json()  # the same grant twice: paid once
    assert again["record_id"] == grant["record_id"]
    sends = await (await mall.sandbox.get("/sandbox/point-sends", params={"user_id": ALICE_ALIPAY})).json()
    assert [s["point_amount"] for s in sends["items"]] == [5_999] and sends["budgets"]["mch001_jfb"] == 4_001
    # The owner's screen shows what is left in the budget library, as Alipay counts it (budgetlib.query).
    budget = await (await gw.get("/api/merchant/jifenbao", headers=staff)).json()
    assert (budget["budget_code"], budget["points_per_yuan"], budget["remaining_points"]) == ("mch001_jfb", 1, 4_001)

    # A second order would earn more than the budget has left: refused, nothing sent.
    second = await paid_order()
    short = await gw.post(f"/api/orders/{second}/jifenbao", headers=alice)
    assert (short.status, (await short.json())["code"]) == (409, "jifenbao_budget_exhausted")
    sends = await (await mall.sandbox.get("/sandbox/point-sends", params={"user_id": ALICE_ALIPAY})).json()
    assert len(sends["items"]) == 1 and sends["budgets"]["mch001_jfb"] == 4_001
