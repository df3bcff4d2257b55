"""The whole mall, every service its own process on real PostgreSQL and RabbitMQ, driven through the gateway
only, as the mini-program would: log in, search in pinyin, claim a coupon, preview, order with the coupon and
points, pay with Huabei in 3 instalments, the sandbox buyer pays, the notify arrives, the order is PAID, points
are earned, the coupon is used, recommendations answer; a second order left unpaid is cancelled at its
deadline and its stock comes back. Carol follows the local run's pickup walk-through (pay, ready, the staff
verify her code, a second verification is refused). Then the edges: ownership, 401, 400, 413, 429; and the
merchant console in Chromium against the real gateway."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from deploy.local import PICKUP_DEMO, LocalMall
from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium, require_console_build
from tests.e2e.conftest import PAY_TIMEOUT_SECONDS, USER_LIMIT
from tests.support import eventually

pytestmark = pytest.mark.e2e


class Client:
    """A mini-program's view of the mall: the gateway, and the sandbox standing in for the Alipay app."""

    def __init__(self, session: aiohttp.ClientSession, gateway: str, sandbox: str):
        self.session, self.gateway, self.sandbox = session, gateway, sandbox
        self.token: str | None = None

    def headers(self, key: bool = False, **extra: str) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if key:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        return {**headers, **extra}

    async def call(self, method: str, path: str, *, expect: int | None = 200, key: bool = False,
                   **kwargs: Any) -> Any:
        headers = {**self.headers(key), **kwargs.pop("headers", {})}
        async with self.session.request(method, self.gateway + path, headers=headers, **kwargs) as resp:
            body = await resp.json(content_type=None) if resp.status != 204 else None
            if expect is not None:
                assert resp.status == expect, f"{method} {path}: {resp.status} {body}"
            return body

    async def login(self, nickname: str, score: int) -> dict[str, Any]:
        async with self.session.post(f"{self.sandbox}/sandbox/auth-codes",
                                     json={"nickname": nickname, "credit_score": score}) as resp:
            code = (await resp.json())["auth_code"]
        session = await self.call("POST", "/api/session", json={"auth_code": code})
        self.token = session["token"]
        return session

    async def buyer_pays(self, trade_no: str) -> None:
        async with self.session.post(f"{self.sandbox}/sandbox/trades/{trade_no}/pay", json={}) as resp:
            assert resp.status == 200, await resp.text()


async def sku_of(client: Client, product_id: str) -> dict[str, Any]:
    return (await client.call("GET", f"/api/products/{product_id}"))["skus"][0]


async def wait_status(client: Client, order_id: str, status: str, timeout: float = 20) -> dict[str, Any]:
    async def probe() -> Any:
        order = await client.call("GET", f"/api/orders/{order_id}")
        return order if order["status"] == status else None

    return await eventually(probe, timeout=timeout, interval=0.3)


async def buy(client: Client, items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    placed = await client.call("POST", "/api/orders", expect=201, key=True,
                               json={"items": items, "entry": "search", **extra})
    assert placed["status"] == "AWAITING_PAYMENT", placed
    return placed


async def test_purchase_journey(mall: LocalMall, output_dir: Path):
    async with aiohttp.ClientSession() as http:
        alice = Client(http, mall.url("gateway"), mall.url("alipay_sandbox"))
        await alice_logs_in(alice)
        phone, earphones = await alice_searches_in_pinyin(alice)
        first, points = await alice_buys_earphones_with_alipay_and_receives_them(http, mall, alice, earphones)
        coupon, basket, preview = await alice_claims_a_coupon_and_previews_the_phone(alice, phone)
        order, paid = await alice_orders_and_pays_with_huabei(alice, phone, basket, coupon, preview)
        await alice_earns_pending_points_uses_the_coupon_and_gets_recommendations(alice, order, coupon, points)
        await an_unpaid_order_is_cancelled_at_its_deadline(alice, phone, basket[0]["sku_id"])
        await carol_picks_up_at_the_store_as_the_walkthrough_says(http, mall)
        bob = await bob_sees_none_of_it(http, mall, order, coupon)
        await the_gateway_refuses_bad_calls(http, mall, bob)
        await merchant_console(mall, output_dir, paid_fen=paid["payable_fen"] + first["payable_fen"])


async def alice_logs_in(alice: Client) -> None:
    session = await alice.login("小红", 720)
    assert session["user"]["nickname"] == "小红"
    me = await alice.call("GET", "/api/me")
    assert me["credit_tier"] == "excellent" and me["points"] == 0 and me["balance_fen"] == 0


async def alice_searches_in_pinyin(alice: Client) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """As typed on a phone keyboard; returns a phone of at least ¥200 and the earphones found."""
    found = await alice.call("GET", "/api/search", params={"q": "huawei shouji"}, headers={"X-Entry": "search"})
    phones = [p for p in found["items"] if "手机" in p["name"]]
    assert phones, found
    phone = next(p for p in phones if p["price_fen"] >= 20_000)
    assert (await alice.call("GET", "/api/search/history"))["items"][0]["q"] == "huawei shouji"
    earphones = (await alice.call("GET", "/api/search", params={"q": "erji"}))["items"]
    assert earphones
    return phone, earphones


async def alice_buys_earphones_with_alipay_and_receives_them(
        http: aiohttp.ClientSession, mall: LocalMall, alice: Client, earphones: list[dict[str, Any]]
) -> tuple[dict[str, Any], int]:
    """A first, small purchase paid with Alipay earns the points spent below (1 point per yuan): pending
    until the order is received and its return window (0 days here) has passed."""
    earphone_sku = (await sku_of(alice, earphones[0]["id"]))["id"]
    first = await buy(alice, [{"sku_id": earphone_sku, "qty": 1}])
    paying = await alice.call("POST", f"/api/orders/{first['id']}/pay", key=True, json={"method": "alipay"})
    await alice.buyer_pays(paying["trade_no"])
    first_paid = await wait_status(alice, first["id"], "PAID")
    pending = await eventually(lambda: _pending_at_least(alice, 100), timeout=20, interval=0.3)
    assert (await alice.call("GET", "/api/me/points"))["balance"] == 0  # not spendable yet
    await ship(http, mall, first_paid)
    await alice.call("POST", f"/api/orders/{first['id']}/confirm-receipt", key=True)
    points = await eventually(lambda: _points_at_least(alice, pending), timeout=20, interval=0.3)
    assert (await alice.call("GET", "/api/me"))["points"] == points
    return first, points


async def alice_claims_a_coupon_and_previews_the_phone(alice: Client, phone: dict[str, Any]
                                                       ) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """The shop's 满100减20 coupon, and the basket previewed with it and 500 points."""
    offers = await alice.call("GET", "/api/coupons/available", params={"merchant_id": phone_merchant(phone)})
    manjian = next(t for t in offers["items"] if t["name"] == "满100减20")
    coupon = await alice.call("POST", f"/api/coupons/{manjian['id']}/claim", expect=201, key=True)
    sku = await sku_of(alice, phone["id"])
    basket = [{"sku_id": sku["id"], "qty": 1}]
    preview = await alice.call("POST", "/api/checkout/preview",
                               json={"items": basket, "coupon_id": coupon["id"], "points": 500})
    assert preview["discount_fen"] == 2_000 and preview["points_fen"] == 500
    assert preview["payable_fen"] == sku["price_fen"] - 2_500
    assert coupon["id"] in [c["id"] for c in preview["usable_coupons"]]
    return coupon, basket, preview


async def alice_orders_and_pays_with_huabei(alice: Client, phone: dict[str, Any], basket: list[dict[str, Any]],
                                            coupon: dict[str, Any], preview: dict[str, Any]
                                            ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The order with the coupon and the points, paid with Huabei in 3 instalments; the sandbox buyer pays."""
    order = await buy(alice, basket, coupon_id=coupon["id"], points=500)
    assert order["payable_fen"] == preview["payable_fen"]
    plans = await alice.call("GET", "/api/installment-plans", params={"amount_fen": order["payable_fen"],
                                                                      "merchant_id": phone_merchant(phone)})
    [three] = [p for p in plans["plans"] if p["installments"] == 3]
    paying = await alice.call("POST", f"/api/orders/{order['id']}/pay", key=True,
                              json={"method": "huabei", "installments": 3})
    assert paying["trade_no"] and paying["plan"] == three  # the fee payer is the merchant's, as listed
    await alice.buyer_pays(paying["trade_no"])  # the sandbox sends the signed notify to the gateway
    paid = await wait_status(alice, order["id"], "PAID")
    assert paid["payment"]["method"] == "huabei" and paid["payable_fen"] == order["payable_fen"]
    return order, paid


async def alice_earns_pending_points_uses_the_coupon_and_gets_recommendations(
        alice: Client, order: dict[str, Any], coupon: dict[str, Any], points: int) -> None:
    earned = await eventually(lambda: _pending_at_least(alice, order["payable_fen"] // 100),
                              timeout=20, interval=0.3)
    assert earned == order["payable_fen"] // 100  # pending until this order too is received
    assert (await alice.call("GET", "/api/me/points"))["balance"] == points - 500
    used = await alice.call("GET", "/api/coupons/mine", params={"status": "used"})
    assert coupon["id"] in [c["id"] for c in used["items"]]
    recommended = await alice.call("GET", f"/api/orders/{order['id']}/recommendations")
    assert recommended["items"] and all({"id", "name", "price_fen"} <= set(p) for p in recommended["items"])


async def an_unpaid_order_is_cancelled_at_its_deadline(alice: Client, phone: dict[str, Any], sku_id: str) -> None:
    """A second order left unpaid is cancelled at its pay-by deadline; its stock comes back."""
    before = (await sku_of(alice, phone["id"]))["available"]
    unpaid = await buy(alice, [{"sku_id": sku_id, "qty": 2}])
    assert (await sku_of(alice, phone["id"]))["available"] == before - 2
    cancelled = await wait_status(alice, unpaid["id"], "CANCELLED", timeout=PAY_TIMEOUT_SECONDS + 15)
    assert cancelled["reason"] == "payment_timeout"
    await eventually(lambda: _available_is(alice, phone["id"], before), timeout=15, interval=0.3)


async def bob_sees_none_of_it(http: aiohttp.ClientSession, mall: LocalMall, order: dict[str, Any],
                              coupon: dict[str, Any]) -> Client:
    bob = Client(http, mall.url("gateway"), mall.url("alipay_sandbox"))
    await bob.login("小刚", 600)
    bob_problem = await bob.call("GET", f"/api/orders/{order['id']}", expect=404)
    assert bob_problem["status"] == 404 and bob_problem["code"] == "order_not_found"
    await bob.call("GET", f"/api/coupons/{coupon['id']}", expect=404)
    assert (await bob.call("GET", "/api/coupons/mine"))["items"] == []
    assert (await bob.call("GET", "/api/orders"))["items"] == []
    return bob


async def the_gateway_refuses_bad_calls(http: aiohttp.ClientSession, mall: LocalMall, bob: Client) -> None:
    """401 without a session, 400 for broken JSON, 413 for a huge body, 429 past the per-user rate."""
    anonymous = Client(http, mall.url("gateway"), mall.url("alipay_sandbox"))
    assert (await anonymous.call("GET", "/api/me", expect=401))["code"] == "unauthorized"
    bad = await bob.call("POST", "/api/checkout/preview", expect=400, data=b'{"items": [',
                         headers={"Content-Type": "application/json"})
    assert bad["code"] == "invalid_json" and bad["title"]
    huge = b'{"items": [' + b'{"sku_id": "x", "qty": 1},' * 4000 + b'{"sku_id": "x", "qty": 1}]}'
    assert (await bob.call("POST", "/api/checkout/preview", expect=413, data=huge,
                           headers={"Content-Type": "application/json"}))["status"] == 413
    statuses = []
    for _ in range(USER_LIMIT + 1):
        async with http.get(mall.url("gateway") + "/api/search/history", headers=bob.headers()) as resp:
            statuses.append(resp.status)
            if resp.status == 429:
                assert int(resp.headers["Retry-After"]) >= 1
                break
    assert statuses[-1] == 429


def phone_merchant(product: dict[str, Any]) -> str:
    return product.get("merchant_id") or "mch_001"


async def carol_picks_up_at_the_store_as_the_walkthrough_says(http: aiohttp.ClientSession, mall: LocalMall) -> None:
    """The steps deploy/local.py prints (pickup_walkthrough), on the seeded data."""
    carol = Client(http, mall.url("gateway"), mall.url("alipay_sandbox"))
    await carol.login("小芳", 650)
    basket = {"items": [{"sku_id": PICKUP_DEMO["sku_id"], "qty": 1}],
              "delivery": {"method": "pickup", "store_id": PICKUP_DEMO["store_id"]}}
    preview = await carol.call("POST", "/api/checkout/preview", json=basket)
    store = next(o for o in preview["delivery_options"] if o.get("store_id") == PICKUP_DEMO["store_id"])
    assert (store["available"], store["freight_fen"], preview["freight_fen"]) == (True, 0, 0)
    placed = await carol.call("POST", "/api/orders", expect=201, key=True, json=basket)
    paying = await carol.call("POST", f"/api/orders/{placed['id']}/pay", key=True, json={"method": "alipay"})
    await carol.buyer_pays(paying["trade_no"])

    async def with_code() -> Any:  # fulfilment draws the code on order.paid
        order = await carol.call("GET", f"/api/orders/{placed['id']}")
        return order if order["status"] == "PAID" and order.get("pickup") else None

    code = (await eventually(with_code, timeout=20, interval=0.3))["pickup"]["qr_text"]  # scanned at the counter
    staff = Client(http, mall.url("gateway"), mall.url("alipay_sandbox"))
    staff.token = (await staff.call("POST", "/api/merchant/session", json={
        "username": PICKUP_DEMO["username"], "password": PICKUP_DEMO["password"]}))["token"]
    await staff.call("POST", f"/api/merchant/orders/{placed['id']}/ready")
    await wait_status(carol, placed["id"], "READY_FOR_PICKUP")
    verify = {"code": code, "store_id": PICKUP_DEMO["store_id"]}
    await staff.call("POST", "/api/merchant/pickups/verify", json=verify)
    await wait_status(carol, placed["id"], "COMPLETED")
    again = await staff.call("POST", "/api/merchant/pickups/verify", expect=409, json=verify)
    assert again["code"] == "pickup_already_verified"


async def ship(http: aiohttp.ClientSession, mall: LocalMall, order: dict[str, Any]) -> None:
    """The order's merchant ships it from the merchant API (the seeded staff of mch_00N is staffN)."""
    n = int(order["merchant_id"].rsplit("_", 1)[1])
    staff = Client(http, mall.url("gateway"), mall.url("alipay_sandbox"))
    session = await staff.call("POST", "/api/merchant/session",
                               json={"username": f"staff{n}", "password": f"mall-demo-{n}"})
    staff.token = session["token"]
    await staff.call("POST", f"/api/merchant/orders/{order['id']}/ship", key=True)


async def _pending_at_least(client: Client, at_least: int) -> int | None:
    pending = (await client.call("GET", "/api/me/points"))["pending"]
    return pending if pending >= at_least else None


async def _points_at_least(client: Client, at_least: int) -> int | None:
    balance = (await client.call("GET", "/api/me/points"))["balance"]
    return balance if balance >= at_least else None


async def _available_is(client: Client, product_id: str, expected: int) -> bool:
    return (await sku_of(client, product_id))["available"] == expected


async def merchant_console(mall: LocalMall, output_dir: Path, paid_fen: int) -> None:
    """The merchant console's dashboard in Chromium against the real gateway after the purchases (the rest of
    the console: tests/e2e/test_console.py)."""
    require_chromium()
    require_console_build()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 1100})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(mall.url("gateway") + "/console/")
            await page.get_by_test_id("username").fill("staff1")
            await page.get_by_test_id("password").fill("mall-demo-1")
            await page.get_by_test_id("login-submit").click()
            await page.wait_for_selector('[data-testid=dashboard][data-ready="true"]', timeout=30_000)
            orders = await page.get_by_test_id("kpi-orders").get_attribute("data-value")
            # The one coupon claimed in the journey was used: its claim reached analytics with the merchant.
            redemption = await page.get_by_test_id("kpi-redemption").get_attribute("data-value")
            await page.screenshot(path=str(output_dir / "e2e-console.png"), full_page=True)
            assert errors == []
            assert orders is not None and int(orders) >= 2, orders
            assert redemption == "1", redemption
        finally:
            await browser.close()


