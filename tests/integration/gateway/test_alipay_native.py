"""Alipay-native money through the gateway, the real services and the Alipay sandbox (issue 19): a clerk's store
checkout charged by payment code or face token, with outcomes Alipay could not tell at once resolved by query
or by cancel and never charged twice; and a Sesame deposit-free rental as a fund authorisation, frozen before its
rent is paid, part of it turned into payment and the rest unfrozen."""

from __future__ import annotations

import uuid
from typing import Any

from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.test_routing import PRODUCT, create_product
from tests.integration.gateway.test_staff_roles import join
from tests.support import eventually

FEATURES = "/api/merchant/alipay-features"


async def counter(mall: Mall, *, store_checkout: bool = True, sesame_deposit: bool = False,
                  product: dict[str, Any] = PRODUCT) -> None:
    """mch_001 with its phone on sale, a store, the Alipay products switched as asked, and orders knowing the
    price (it learns it from sku.changed)."""
    gw = mall.gateway
    await create_product(mall, product)
    resp = await gw.put("/api/merchant/stores/sto_lake", headers=mall.staff(), json={
        "name": "湖滨店", "address": "上城区延安路1号", "lat": 30.2577, "lng": 120.1664})
    assert resp.status == 200, await resp.text()
    resp = await gw.put(FEATURES, json={"store_checkout": store_checkout, "sesame_deposit": sesame_deposit},
                        headers=mall.staff())
    assert resp.status == 200, await resp.text()
    sku = product["skus"][0]["id"]

    async def priced() -> bool:
        resp = await gw.post("/api/checkout/preview", json={"items": [{"sku_id": sku, "qty": 1}]},
                             headers=mall.user())
        return resp.status == 200

    await eventually(priced, timeout=15)


async def payment_code(mall: Mall, outcome: str = "success", then: str = "paid", scene: str = "bar_code") -> str:
    assert mall.sandbox is not None
    resp = await mall.sandbox.post("/sandbox/payment-codes", json={"scene": scene, "outcome": outcome, "then": then})
    assert resp.status == 201, await resp.text()
    return str((await resp.json())["auth_code"])


async def checkout(mall: Mall, who: dict[str, str], auth_code: str, *, key: str | None = None,
                   scene: str = "bar_code", qty: int = 1) -> Any:
    return await mall.gateway.post("/api/merchant/store-checkouts", json={
        "store_id": "sto_lake", "items": [{"sku_id": "sku_mate60", "qty": qty}], "scene": scene,
        "auth_code": auth_code}, headers={**who, "Idempotency-Key": key or uuid.uuid4().hex})


async def sandbox_trade(mall: Mall, trade_no: str) -> dict[str, Any]:
    """The trade as the sandbox (Alipay) has it."""
    assert mall.sandbox is not None
    return dict(await (await mall.sandbox.get(f"/sandbox/trades/{trade_no}")).json())


async def merchant_order(mall: Mall, order_id: str, status: str) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        listed = await (await mall.gateway.get("/api/merchant/orders", headers=mall.staff())).json()
        return next((o for o in listed["items"] if o["id"] == order_id and o["status"] == status), None)

    return dict(await eventually(found, timeout=15))


async def test_a_clerk_charges_a_payment_code_once_and_the_sale_is_an_order_like_any_other(mall: Mall) -> None:
    gw = mall.gateway
    await counter(mall, store_checkout=False)
    clerk = await join(mall, "cashier1", "clerk")
    code = await payment_code(mall)
    off = await checkout(mall, clerk, code)
    assert (off.status, (await off.json())["code"]) == (409, "store_checkout_disabled")
    refused = await gw.put(FEATURES, json={"store_checkout": True, "sesame_deposit": False}, headers=clerk)
    assert (refused.status, (await refused.json())["code"]) == (403, "role_forbidden")
    assert (await gw.put(FEATURES, json={"store_checkout": True, "sesame_deposit": False},
                         headers=mall.staff())).status == 200

    resp = await checkout(mall, clerk, code, key="sale-1")
    assert resp.status == 201, await resp.text()
    sale = await resp.json()
    charge = sale["charge"]
    assert (sale["payable_fen"], charge["status"], charge["amount_fen"], charge["scene"]) == (
        599_900, "succeeded", 599_900, "bar_code")
    assert charge["buyer_alipay_id"].startswith("2088")
    # The same request again (the clerk's terminal retried): the same order and charge, nothing charged again.
    again = await checkout(mall, clerk, code, key="sale-1")
    assert again.status == 201 and (await again.json())["charge"]["payment_id"] == charge["payment_id"]
    trade = await sandbox_trade(mall, charge["trade_no"])
    assert (trade["status"], trade["total_fen"]) == ("TRADE_SUCCESS", 599_900)

    order = await merchant_order(mall, sale["order_id"], "PAID")
    assert order["entry"] == "store_checkout" and order["payment"]["amount_fen"] == 599_900

    async def sold() -> bool:  # the reservation became a sale, as for any order
        listed = await (await gw.get("/api/merchant/products", headers=mall.staff())).json()
        return bool(listed["items"][0]["sold"] == 1)

    await eventually(sold, timeout=15)

    # Another merchant's staff cannot charge at this store; a used payment code is declined, not charged.
    theirs = await checkout(mall, mall.staff("mch_002"), await payment_code(mall))
    assert (theirs.status, (await theirs.json())["code"]) == (404, "store_not_found")
    reused = await (await checkout(mall, clerk, code)).json()
    assert (reused["charge"]["status"], reused["charge"]["reason"]) == ("failed", "ACQ.PAYMENT_AUTH_CODE_INVALID")

    # Refunds go back through the same trade.
    resp = await gw.post(f"/api/merchant/orders/{sale['order_id']}/refund", json={"reason": "顾客退货"},
                         headers={**mall.staff(), "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()

    async def refunded() -> bool:
        return (await sandbox_trade(mall, charge["trade_no"]))["status"] == "TRADE_CLOSED"

    await eventually(refunded, timeout=15)


async def test_an_unknown_outcome_is_resolved_by_query(mall: Mall) -> None:
    await counter(mall)
    # 10003: the buyer confirms on the phone; ACQ.SYSTEM_ERROR: Alipay took the money but could not say so.
    for outcome, scene in (("paying", "bar_code"), ("error", "security_code")):
        resp = await checkout(mall, mall.staff(), await payment_code(mall, outcome, "paid", scene), scene=scene)
        assert resp.status == 201, await resp.text()
        charge = (await resp.json())["charge"]
        assert (charge["status"], charge["scene"]) == ("succeeded", scene), charge
        assert (await sandbox_trade(mall, charge["trade_no"]))["status"] == "TRADE_SUCCESS"
        await merchant_order(mall, charge["order_id"], "PAID")


async def test_an_outcome_still_unknown_at_the_deadline_is_cancelled_and_the_order_can_be_charged_again(
        mall: Mall) -> None:
    await counter(mall)
    resp = await checkout(mall, mall.staff(), await payment_code(mall, "paying", "unpaid"))
    assert resp.status == 201, await resp.text()
    sale = await resp.json()
    charge = sale["charge"]
    assert (charge["status"], charge["reason"]) == ("failed", "cancelled")
    assert (await sandbox_trade(mall, charge["trade_no"]))["status"] == "TRADE_CLOSED"
    declined = await mall.gateway.post(
        f"/api/merchant/orders/{sale['order_id']}/store-charge",
        json={"store_id": "sto_lake", "scene": "bar_code", "auth_code": await payment_code(mall, "fail")},
        headers={**mall.staff(), "Idempotency-Key": uuid.uuid4().hex})
    assert (await declined.json())["reason"] == "ACQ.BUYER_BALANCE_NOT_ENOUGH"
    # The buyer shows another code: the same order is paid, once.
    resp = await mall.gateway.post(
        f"/api/merchant/orders/{sale['order_id']}/store-charge",
        json={"store_id": "sto_lake", "scene": "bar_code", "auth_code": await payment_code(mall)},
        headers={**mall.staff(), "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["status"] == "succeeded"
    order = await merchant_order(mall, sale["order_id"], "PAID")
    assert order["payment"]["amount_fen"] == 599_900
    paid_again = await mall.gateway.post(
        f"/api/merchant/orders/{sale['order_id']}/store-charge",
        json={"store_id": "sto_lake", "scene": "bar_code", "auth_code": await payment_code(mall)},
        headers={**mall.staff(), "Idempotency-Key": uuid.uuid4().hex})
    assert (paid_again.status, (await paid_again.json())["code"]) == (409, "order_already_paid")


RENTAL = {"name": "相机租赁 Sony A7", "brand": "Sony", "store_ids": [],
          "skus": [{"id": "sku_a7_rent", "specs": {"days": "7"}, "price_fen": 20_000, "deposit_fen": 800_000,
                    "stock": 3}]}


async def test_a_sesame_deposit_free_rental_is_frozen_then_partly_charged_and_the_rest_unfrozen(
        mall: Mall) -> None:
    gw, alice = mall.gateway, mall.user("u_alice", score=700)
    assert mall.sandbox is not None
    await counter(mall, store_checkout=False, sesame_deposit=False, product=RENTAL)
    # Switched off (the fallback): a buyer below the waiver score has the deposit added to the trade.
    carol = mall.user("u_carol", score=600)
    older = await (await gw.post("/api/orders", json={"items": [{"sku_id": "sku_a7_rent", "qty": 1}]},
                                 headers={**carol, "Idempotency-Key": uuid.uuid4().hex})).json()
    held = await (await gw.post(f"/api/orders/{older['id']}/pay", json={"method": "alipay"},
                                headers={**carol, "Idempotency-Key": uuid.uuid4().hex})).json()
    assert (held["deposit_fen"], "deposit_auth" in held) == (800_000, False)
    assert (await (await mall.sandbox.get(f"/sandbox/trades/{held['trade_no']}")).json())["total_fen"] == 820_000
    assert (await gw.put(FEATURES, json={"store_checkout": False, "sesame_deposit": True},
                         headers=mall.staff())).status == 200

    resp = await gw.post("/api/orders", json={"items": [{"sku_id": "sku_a7_rent", "qty": 1}]},
                         headers={**alice, "Idempotency-Key": uuid.uuid4().hex})
    order = await resp.json()
    assert order["status"] == "AWAITING_PAYMENT", order
    # The deposit is not in the trade: the buyer confirms a freeze for it first, then pays the rent only.
    resp = await gw.post(f"/api/orders/{order['id']}/deposit-auth", headers=alice)
    assert resp.status == 200, await resp.text()
    auth = (await resp.json())["deposit_auth"]
    assert auth["amount_fen"] == 800_000
    early = await (await gw.post(f"/api/orders/{order['id']}/deposit-check", headers=alice)).json()
    assert early["status"] == "authorising"

    confirmed = await mall.sandbox.post("/sandbox/fund-auths/confirm",
                                        json={"order_str": auth["order_str"], "user_id": "2088000000000099"})
    assert confirmed.status == 201, await confirmed.text()
    auth_no = (await confirmed.json())["auth_no"]
    bob = mall.user("u_bob")
    assert (await gw.post(f"/api/orders/{order['id']}/deposit-check", headers=bob)).status == 404
    deposit = await (await gw.post(f"/api/orders/{order['id']}/deposit-check", headers=alice)).json()
    assert (deposit["status"], deposit["auth_no"], deposit["credit_fen"]) == ("frozen", auth_no, 800_000)
    resp = await gw.post(f"/api/orders/{order['id']}/pay", json={"method": "alipay"},
                         headers={**alice, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 200, await resp.text()
    payment = await resp.json()
    assert (payment["amount_fen"], payment["deposit_fen"], "deposit_auth" in payment) == (20_000, 0, False)
    trade = await (await mall.sandbox.get(f"/sandbox/trades/{payment['trade_no']}")).json()
    assert trade["total_fen"] == 20_000
    assert (await mall.sandbox.post(f"/sandbox/trades/{payment['trade_no']}/pay")).status == 200
    await merchant_order(mall, order["id"], "PAID")

    # The camera came back scratched: ¥300 of the deposit becomes payment, the rest is unfrozen.
    settle = f"/api/merchant/orders/{order['id']}/deposit/settle"
    too_much = await gw.post(settle, json={"charge_fen": 800_001}, headers=mall.staff())
    assert (too_much.status, (await too_much.json())["code"]) == (409, "charge_exceeds_deposit")
    resp = await gw.post(settle, json={"charge_fen": 30_000, "reason": "镜头划痕"}, headers=mall.staff())
    assert resp.status == 200, await resp.text()
    settled = await resp.json()
    assert (settled["status"], settled["charged_fen"]) == ("released", 30_000)
    again = await gw.post(settle, json={"charge_fen": 30_000, "reason": "镜头划痕"}, headers=mall.staff())
    assert (await again.json()) == settled
    frozen = await (await mall.sandbox.get(f"/sandbox/fund-auths/{auth_no}")).json()
    assert (frozen["paid_fen"], sum(frozen["unfrozen"].values()), frozen["rest_fen"], frozen["status"]) == (
        30_000, 770_000, 0, "FINISH")
    listed = await (await gw.get("/api/me/deposits", headers=alice)).json()
    assert [(d["mode"], d["status"], d["charged_fen"]) for d in listed["items"]] == [("fund_auth", "released", 30_000)]


async def test_a_claimed_member_card_sits_in_the_alipay_card_package_and_follows_a_purchase(mall: Mall) -> None:
    gw, alice = mall.gateway, mall.user("u_alice")
    assert mall.sandbox is not None
    await counter(mall, store_checkout=False)
    assert (await gw.put("/api/merchant/alipay-card", json={"name": "数码会员卡"}, headers=mall.staff())).status == 200
    clerk_may_not = await gw.put("/api/merchant/alipay-card", json={"name": "x"},
                                 headers=await join(mall, "cashier2", "clerk"))
    assert clerk_may_not.status == 403
    template = await (await gw.get("/api/merchant/alipay-card", headers=mall.staff())).json()

    async def store_known() -> bool:  # marketing learns the merchant from its store (store.changed)
        return (await gw.post("/api/merchants/mch_001/card", headers=alice)).status == 200

    await eventually(store_known, timeout=15)

    async def card(level: str) -> dict[str, Any] | None:
        listed = await (await mall.sandbox.get("/sandbox/cards", params={"user_id": "2088000000000099"})).json()
        return next((c for c in listed["items"] if c["level"] == level), None)

    opened = await eventually(lambda: card("VIP1"), timeout=15)
    assert opened["template_id"] == template["template_id"]

    # A ¥5999 purchase lifts the member to level 3: the card in Alipay follows.
    order = await (await gw.post("/api/orders", json={"items": [{"sku_id": "sku_mate60", "qty": 1}]},
                                 headers={**alice, "Idempotency-Key": uuid.uuid4().hex})).json()
    # (A buyer's own order is never charged at the counter.)
    counter_charge = await gw.post(f"/api/merchant/orders/{order['id']}/store-charge", json={
        "store_id": "sto_lake", "scene": "bar_code", "auth_code": await payment_code(mall)},
        headers={**mall.staff(), "Idempotency-Key": uuid.uuid4().hex})
    assert (counter_charge.status, (await counter_charge.json())["code"]) == (409, "not_a_counter_sale")
    payment = await (await gw.post(f"/api/orders/{order['id']}/pay", json={"method": "alipay"},
                                   headers={**alice, "Idempotency-Key": uuid.uuid4().hex})).json()
    assert (await mall.sandbox.post(f"/sandbox/trades/{payment['trade_no']}/pay")).status == 200
    updated = await eventually(lambda: card("VIP3"), timeout=15)
    assert updated["biz_card_no"] == opened["biz_card_no"] and updated["updates"] >= 2


async def test_the_sandbox_freeze_page_confirms_the_freeze_as_the_signed_in_buyer_and_alipay_notifies_payments(
        mall: Mall) -> None:
    """The H5 build's way through Sesame deposit-free: the buyer confirms the freeze on the sandbox's page (what
    `my.tradePay({orderStr})` shows in Alipay); its fund_auth_freeze notify alone tells payments it is frozen."""
    gw, alice, sandbox = mall.gateway, mall.user("u_alice", score=700), mall.sandbox
    assert sandbox is not None
    await counter(mall, store_checkout=False, sesame_deposit=True, product=RENTAL)
    order = await (await gw.post("/api/orders", json={"items": [{"sku_id": "sku_a7_rent", "qty": 1}]},
                                 headers={**alice, "Idempotency-Key": uuid.uuid4().hex})).json()
    asked = await (await gw.post(f"/api/orders/{order['id']}/deposit-auth", headers=alice)).json()
    order_str = asked["deposit_auth"]["order_str"]
    back = f"http://127.0.0.1:8080/m/#/pages/deposits/index?order_id={order['id']}"
    page = {"order_str": order_str, "return_url": back}

    # Nobody signed in to Alipay in this browser: the sheet asks for a sign-in and confirms nothing.
    anonymous = await sandbox.get("/sandbox/fund-auth", params=page)
    assert anonymous.status == 200 and "请先登录支付宝" in await anonymous.text()
    refused = await sandbox.post("/sandbox/fund-auth", data=page, allow_redirects=False)
    assert (refused.status, (await refused.json())["code"]) == (401, "not_signed_in")

    signed_in = await sandbox.post("/sandbox/authorize", data={"redirect_uri": back}, allow_redirects=False)
    assert signed_in.status == 303 and "sandbox_session" in signed_in.cookies  # the client keeps the cookie
    # An order string changed after the app signed it (a smaller deposit) is neither shown nor confirmed.
    forged = order_str.replace("8000.00", "1.00")
    assert forged != order_str
    for attempt in (await sandbox.get("/sandbox/fund-auth", params={**page, "order_str": forged}),
                    await sandbox.post("/sandbox/fund-auth", data={**page, "order_str": forged},
                                       allow_redirects=False)):
        assert (attempt.status, (await attempt.json())["code"]) == (409, "invalid_signature")

    shown = await (await sandbox.get("/sandbox/fund-auth", params=page)).text()
    assert "¥8000.00" in shown and "芝麻信用免押" in shown and "芝麻信用担保 ¥8000.00，冻结余额 ¥0.00" in shown
    assert "2088000000000001" in shown and "确认免押" in shown  # the merchant (seller) the deposit is for
    confirmed = await sandbox.post("/sandbox/fund-auth", data=page, allow_redirects=False)
    assert confirmed.status == 303 and confirmed.headers["Location"] == back

    async def frozen() -> bool:  # no deposit-check: payments learns it from the notify
        listed = await (await gw.get("/api/me/deposits", headers=alice)).json()
        return [d["status"] for d in listed["items"]] == ["frozen"]

    await eventually(frozen, timeout=10)
    deposit = await (await gw.post(f"/api/orders/{order['id']}/deposit-check", headers=alice)).json()
    assert (deposit["status"], deposit["credit_fen"], deposit["amount_fen"]) == ("frozen", 800_000, 800_000)
    notifies = (await (await sandbox.get("/sandbox/notifies", params={"auth_no": deposit["auth_no"]})).json())["items"]
    assert [(n["form"]["notify_type"], n["delivered"]) for n in notifies] == [("fund_auth_freeze", True)]
    again = await sandbox.post("/sandbox/fund-auth", data=page, allow_redirects=False)
    assert again.status == 303  # confirmed before: nothing new is frozen or notified
    assert len((await (await sandbox.get("/sandbox/notifies", params={"auth_no": deposit["auth_no"]})).json())[
        "items"]) == 1
