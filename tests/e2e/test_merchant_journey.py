"""A new merchant joins the mall and runs its shop from the console, in Chromium against the whole local mall:
it applies at /console/apply; a platform operator (made by deploy.admin) sets its password from its link,
signs in and approves, which gives the owner's one-time link; the owner sets a password from it, signs in,
creates a product with an uploaded image and two SKUs, and invites a clerk. A buyer buys through the gateway
(one express order of two units, one pickup order); the owner ships the express one and approves the buyer's
refund of one unit of it; the clerk signs in from the invitation, sees only the orders, readies and verifies
the pickup code, and is refused the products and a price change. A screenshot of every page goes to
test-output/journey-*.png; the console's load (navigation timing of the first page) to
test-output/journey-load.json, printed, with no bound asserted (see test_console.py for why)."""

from __future__ import annotations

import io
import json
import re
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image

from deploy.admin import create_operator
from deploy.local import LocalMall
from services.gateway.domain.onboarding import USCC_ALPHABET, uscc_check_character
from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium, require_console_build
from tests.e2e.test_console import OPEN_LIST, Screenshots, choose, close_drawer, ship_the_order
from tests.e2e.test_purchase_journey import Client, wait_status
from tests.support import eventually

pytestmark = pytest.mark.e2e
OWNER_PASSWORD = "owner-password-1"
CLERK_PASSWORD = "clerk-password-1"
OPERATOR_PASSWORD = "operator-pass-1"


def new_licence() -> str:
    first17 = "9133" + "".join(secrets.choice(USCC_ALPHABET) for _ in range(13))
    return first17 + uscc_check_character(first17)


async def test_a_new_merchant_joins_and_runs_its_shop(mall: LocalMall, database_url: str,
                                                      output_dir: Path) -> None:
    require_chromium()
    require_console_build()
    from playwright.async_api import async_playwright

    gateway = mall.url("gateway")
    suffix = uuid.uuid4().hex[:6]
    owner, clerk = f"owner_{suffix}", f"clerk_{suffix}"
    async with aiohttp.ClientSession() as http, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1440, "height": 960}, locale="zh-CN")
            page = await context.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
            journey = Journey(page, http, gateway, output_dir)

            timings = await journey.load()
            application_id = await journey.applies(owner)
            owner_link = await journey.operator_approves(application_id, await operator_link(database_url))
            await journey.sets_password_and_signs_in(owner_link, owner, OWNER_PASSWORD, "owner")
            staff = await signed_in(http, gateway, owner, OWNER_PASSWORD)
            store = await opens_a_pickup_store(staff, suffix)
            product = await journey.creates_a_product(staff, store)
            clerk_link = await journey.invites(clerk)

            buyer = Client(http, gateway, mall.url("alipay_sandbox"))
            await buyer.login("小青", 690)
            express = await buys(buyer, {"method": "express", "address_id": await address_of(buyer)},
                                 product["skus"][0]["id"], 2)
            pickup = await buys(buyer, {"method": "pickup", "store_id": store["id"]}, product["skus"][1]["id"], 1)

            await ship_the_order(page, journey.shot, express)
            await wait_status(buyer, express["id"], "SHIPPED")
            await journey.approves_a_partial_refund(buyer, express)
            await page.get_by_test_id("logout").click()

            await journey.sets_password_and_signs_in(clerk_link, clerk, CLERK_PASSWORD, "clerk")
            await journey.clerk_verifies_the_pickup(buyer, pickup, store)
            await journey.clerk_is_refused_the_products()
            clerk_staff = await signed_in(http, gateway, clerk, CLERK_PASSWORD)
            sku = product["skus"][0]
            refused = await clerk_staff.call("PATCH", f"/api/merchant/skus/{sku['id']}", expect=403,
                                             json={"price_fen": 1})
            assert (refused["code"], refused["role"]) == ("role_forbidden", "clerk"), refused
            again = await staff.call("GET", f"/api/merchant/products/{product['id']}")
            assert {s["id"]: s["price_fen"] for s in again["skus"]}[sku["id"]] == sku["price_fen"]

            assert await page.evaluate("window.__xss") is None  # the description's markup stayed text
            assert problems == []
        finally:
            await browser.close()
    (output_dir / "journey-load.json").write_text(json.dumps(timings, indent=2))
    print(f"console load (first page, cold cache): {json.dumps(timings)}")


async def operator_link(database_url: str) -> tuple[str, str]:
    """A platform operator and the token of its one-time link, as `python -m deploy.admin create-operator`
    prints it."""
    username = f"ops_{uuid.uuid4().hex[:6]}"
    printed = await create_operator(database_url, username)
    token = re.search(r"token=([A-Za-z0-9_-]+)", printed)
    assert token is not None, printed
    return username, token[1]


async def signed_in(http: aiohttp.ClientSession, gateway: str, username: str, password: str) -> Client:
    staff = Client(http, gateway, "")
    staff.token = (await staff.call("POST", "/api/merchant/session",
                                    json={"username": username, "password": password}))["token"]
    return staff


async def opens_a_pickup_store(staff: Client, suffix: str) -> dict[str, Any]:
    """The owner's first store (catalog makes the merchant from the approval's event, fulfilment the store's
    pickup from catalog's); the console's stores page does the same PUT."""
    store = {"id": f"sto_{suffix}", "name": f"西湖茶庄 {suffix} 店", "address": "杭州市西湖区龙井路 1 号",
             "lat": 30.2358, "lng": 120.1269}

    async def saved() -> Any:
        body = {k: v for k, v in store.items() if k != "id"}
        return await staff.call("PUT", f"/api/merchant/stores/{store['id']}", expect=None, json=body) or None

    await eventually(saved, timeout=20, interval=0.3)

    async def offers_pickup() -> bool:
        listed = await staff.call("GET", "/api/merchant/pickup-stores")
        return any(s["store_id"] == store["id"] for s in listed["items"])

    await eventually(offers_pickup, timeout=20, interval=0.3)
    # Express to Zhejiang: ¥8 for the first unit, ¥2 for each more (the console's settings page is to come).
    await staff.call("PUT", "/api/merchant/freight-template", json={"basis": "piece", "rules": [
        {"provinces": ["33"], "first_units": 1, "first_fen": 800, "extra_units": 1, "extra_fen": 200}]})
    return store


async def address_of(buyer: Client) -> str:
    address = await buyer.call("POST", "/api/me/addresses", expect=201, key=True, json={
        "name": "小青", "phone": "13800138001", "province": "浙江省", "city": "杭州市", "district": "西湖区",
        "detail": "文三路 2 号", "region_code": "330106"})
    return str(address["id"])


async def buys(buyer: Client, delivery: dict[str, Any], sku_id: str, qty: int) -> dict[str, Any]:
    items = [{"sku_id": sku_id, "qty": qty}]

    async def priced() -> Any:  # orders and fulfilment learn the new SKU and store from catalog's events
        body = await buyer.call("POST", "/api/checkout/preview", expect=None,
                                json={"items": items, "delivery": delivery})
        return body if "payable_fen" in body else None

    await eventually(priced, timeout=20, interval=0.3)
    placed = await buyer.call("POST", "/api/orders", expect=201, key=True,
                              json={"items": items, "entry": "search", "delivery": delivery})
    paying = await buyer.call("POST", f"/api/orders/{placed['id']}/pay", key=True, json={"method": "alipay"})
    await buyer.buyer_pays(paying["trade_no"])
    return dict(await wait_status(buyer, placed["id"], "PAID"))  # with its lines' ids


def sample_image() -> bytes:
    """A 3000×1500 PNG: the gateway scales it to 2000 on its longest side."""
    out = io.BytesIO()
    Image.new("RGB", (3000, 1500), (34, 139, 34)).save(out, format="PNG")
    return out.getvalue()


class JourneyShots(Screenshots):
    async def __call__(self, name: str) -> None:
        await self.page.screenshot(path=str(self.output_dir / f"journey-{name}.png"), full_page=True)


class Journey:
    def __init__(self, page: Any, http: aiohttp.ClientSession, gateway: str, output_dir: Path):
        self.page, self.http, self.gateway = page, http, gateway
        self.shot = JourneyShots(page, output_dir)

    def by(self, test_id: str) -> Any:
        return self.page.get_by_test_id(test_id)

    async def load(self) -> dict[str, float]:
        """The first page on an empty cache: wall clock until the form can be used, and the browser's own
        navigation timing (DOMContentLoaded and load, from the start of navigation)."""
        started = time.perf_counter()
        await self.page.goto(self.gateway + "/console/apply")  # the address merchants are given
        await self.by("apply-submit").wait_for(state="visible")
        usable = time.perf_counter() - started
        navigation = await self.page.evaluate(
            "(() => { const n = performance.getEntriesByType('navigation')[0];"
            " return {dom: n.domContentLoadedEventEnd, load: n.loadEventEnd, bytes: n.transferSize}; })()")
        return {"usable_s": round(usable, 3), "dom_content_loaded_s": round(navigation["dom"] / 1000, 3),
                "load_event_s": round(navigation["load"] / 1000, 3)}

    async def applies(self, owner: str) -> str:
        await self.by("apply-name").fill(f"西湖茶庄 {owner}")
        licence = new_licence()
        await self.by("apply-licence").fill(licence[:-1] + ("0" if licence[-1] != "0" else "1"))  # a typo
        await self.by("apply-contact").fill("王芳")
        await self.by("apply-phone").fill("13800001234")
        await self.by("apply-owner").fill(owner)
        await self.by("apply-submit").click()
        await self.page.get_by_text("请输入 18 位统一社会信用代码").wait_for()  # a typo is caught before sending
        await self.by("apply-licence").fill(new_licence())
        await self.shot("apply")
        await self.by("apply-submit").click()
        done = self.by("apply-done")
        await done.wait_for()
        await self.shot("applied")
        found = re.search(r"app_[0-9a-f]+", await done.inner_text())
        assert found is not None
        return found[0]

    async def sets_password(self, link: str, password: str) -> None:
        await self.page.goto(link)
        await self.by("new-password").fill(password)
        await self.by("confirm-password").fill(password)
        await self.by("set-password-submit").click()
        await self.by("set-password-done").wait_for()

    async def sign_in(self, username: str, password: str) -> None:
        await self.by("username").fill(username)
        await self.by("password").fill(password)
        await self.by("login-submit").click()

    async def operator_approves(self, application_id: str, operator: tuple[str, str]) -> str:
        username, token = operator
        await self.sets_password(f"{self.gateway}/console/#/set-password?token={token}", OPERATOR_PASSWORD)
        await self.shot("set-password-operator")
        await self.by("set-password-sign-in").click()  # to the operators' sign-in, as the link was one's
        await self.by("login-view").filter(has_text="平台运营登录").wait_for()
        await self.sign_in(username, OPERATOR_PASSWORD)
        approve = self.by(f"approve-{application_id}")
        await approve.wait_for()
        await self.shot("platform-applications")
        await approve.click()
        link_text = self.by("password-link")
        await link_text.wait_for()
        link = (await link_text.inner_text()).strip()
        assert link.startswith(f"{self.gateway}/console/#/set-password?token="), link
        await self.shot("platform-approved")
        await self.by("password-link-ok").click()

        await self.by("nav-platform-merchants").click()
        await self.page.locator("[data-testid=merchants-table] tbody tr.ant-table-row").first.wait_for()
        await self.shot("platform-merchants")
        await self.by("nav-platform-categories").click()
        await self.by("category-new").click()
        name = f"茶叶 {application_id[-4:]}"
        await self.by("category-name").fill(name)
        await self.page.locator(".ant-modal:visible .ant-btn-primary").click()
        await self.by(f"category-{name}").wait_for()
        await self.shot("platform-categories")
        await self.by("nav-platform-home").click()  # the mall's home content and hot words
        await self.by("hot-words-input").fill("龙井\n白茶")
        async with self.page.expect_response(lambda r: r.url.endswith("/api/platform/hot-words")
                                             and r.request.method == "PUT") as saved:
            await self.by("hot-words-save").click()
        assert (await saved.value).status == 200
        await self.shot("platform-home")
        await self.by("logout").click()
        await self.by("login-view").wait_for()
        return link

    async def sets_password_and_signs_in(self, link: str, username: str, password: str, role: str) -> None:
        await self.sets_password(link, password)
        assert username in await self.by("set-password-done").inner_text()
        await self.shot(f"set-password-{role}")
        await self.by("set-password-sign-in").click()
        await self.sign_in(username, password)
        if role == "owner":
            await self.page.wait_for_selector('[data-testid=dashboard][data-ready="true"]', timeout=30_000)
            await self.shot("owner-dashboard")
        else:
            await self.page.locator("[data-testid=orders-table]").wait_for()

    async def creates_a_product(self, staff: Client, store: dict[str, Any]) -> dict[str, Any]:
        name = f"明前龙井 {store['id']}"
        await self.by("nav-products").click()
        await self.by("product-new").click()
        await self.by("product-name").fill(name)
        await self.by("product-description").fill("<script>window.__xss=1</script> 西湖产区")
        await self.page.locator("[data-testid=product-form] input[type=file]").set_input_files(
            files=[{"name": "longjing.png", "mimeType": "image/png", "buffer": sample_image()}])
        image = self.page.locator("[data-testid=product-form] img.ant-image-img")
        await image.wait_for()
        await self.page.wait_for_function(
            "() => document.querySelector('[data-testid=product-form] img.ant-image-img')?.naturalWidth > 0")
        size = await image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
        assert size == [2000, 1000], size  # resized by the gateway, shown as stored
        await self.page.wait_for_function(f"() => !document.querySelector('{OPEN_LIST}')")
        await self.by("product-stores").click()
        await self.page.locator(f"{OPEN_LIST} .ant-select-item-option", has_text=store["name"]).click()
        await self.page.keyboard.press("Escape")
        await self.by("sku-specs-0").fill("规格:250g")
        await self.by("sku-price-0").fill("88.8")
        await self.by("sku-stock-0").fill("10")
        await self.by("add-sku").click()
        await self.by("sku-specs-1").fill("规格:50g 试饮装")
        await self.by("sku-price-1").fill("9.9")
        await self.by("sku-stock-1").fill("5")
        await self.shot("product-new")
        await self.by("product-submit").click()
        await self.by("product-form").wait_for(state="detached")
        await self.page.locator("[data-testid=products-table] tbody tr.ant-table-row", has_text=name).wait_for()
        await self.shot("products")

        listed = await staff.call("GET", "/api/merchant/products", params={"page_size": 50})
        [created] = [p for p in listed["items"] if p["name"] == name]
        product = await staff.call("GET", f"/api/merchant/products/{created['id']}")
        product["skus"].sort(key=lambda s: s["price_fen"], reverse=True)
        assert [(s["specs"], s["price_fen"], s["available"]) for s in product["skus"]] == \
            [({"规格": "250g"}, 8_880, 10), ({"规格": "50g 试饮装"}, 990, 5)], product
        assert product["store_ids"] == [store["id"]]
        assert product["image"].startswith(f"{self.gateway}/api/images/") and product["image"].endswith(".png")
        async with self.http.get(product["image"]) as resp:  # the product's image URL serves the stored image
            assert resp.status == 200 and resp.content_type == "image/png"
            assert "immutable" in resp.headers["Cache-Control"]
            assert Image.open(io.BytesIO(await resp.read())).size == (2000, 1000)
        return dict(product)

    async def invites(self, clerk: str) -> str:
        await self.by("nav-staff").click()
        await self.page.locator("[data-testid=staff-table] tbody tr.ant-table-row").first.wait_for()
        await self.by("staff-invite").click()
        await self.by("invite-username").fill(clerk)
        await self.by("invite-name").fill("小李")
        await self.by("invite-submit").click()  # a clerk is the role offered first
        link_text = self.by("password-link")
        await link_text.wait_for()
        link = (await link_text.inner_text()).strip()
        await self.by("password-link-ok").click()
        await self.by(f"staff-role-{clerk}").filter(has_text="店员").wait_for()
        await self.shot("staff")
        return link

    async def approves_a_partial_refund(self, buyer: Client, order: dict[str, Any]) -> None:
        line = order["lines"][0]
        asked = await buyer.call("POST", f"/api/orders/{order['id']}/refund", expect=201, key=True,
                                 json={"reason": "一盒破损", "lines": [{"line_id": line["id"], "qty": 1}]})
        assert asked["status"] == "requested", asked
        # The list is virtual and opens scrolled to the chosen PAID: "全部" (its first option) is scrolled to first.
        await self.by("order-status-filter").click()
        await self.page.locator(f"{OPEN_LIST} .rc-virtual-list-holder").evaluate("e => { e.scrollTop = 0; }")
        await self.page.locator(f"{OPEN_LIST} .ant-select-item-option", has_text="全部").first.click()
        await self.page.wait_for_function(f"() => !document.querySelector('{OPEN_LIST}')")
        await self.by(f"order-{order['id']}").click()
        approve = self.by(f"refund-approve-{asked['id']}")
        await approve.wait_for()
        await self.shot("order-refund")
        await approve.click()
        await self.by(f"refund-status-{asked['id']}").filter(has_text=re.compile("approved|refunded")).wait_for()
        await self.shot("order-refund-approved")
        await close_drawer(self.page)

        async def refunded() -> Any:
            refunds = (await buyer.call("GET", f"/api/orders/{order['id']}/refunds"))["items"]
            return refunds if refunds[0]["status"] == "refunded" else None

        [refund] = await eventually(refunded, timeout=20, interval=0.3)
        assert [(ln["line_id"], ln["qty"]) for ln in refund["lines"]] == [(line["id"], 1)]
        assert refund["amount_fen"] == line["unit_price_fen"], refund  # one of the two units, no freight

    async def clerk_verifies_the_pickup(self, buyer: Client, order: dict[str, Any], store: dict[str, Any]) -> None:
        menu = await self.page.locator("[data-testid^=nav-]").evaluate_all(
            "items => items.map(e => e.getAttribute('data-testid'))")
        assert menu == ["nav-orders", "nav-checkout"], menu  # a clerk sees the orders and the counter only
        await self.shot("clerk-orders")

        async def with_code() -> Any:  # fulfilment draws the code on order.paid
            found = await buyer.call("GET", f"/api/orders/{order['id']}")
            return found if found.get("pickup") else None

        code = (await eventually(with_code, timeout=20, interval=0.3))["pickup"]["qr_text"]
        await self.by(f"order-{order['id']}").click()
        await self.by("ready-submit").click()
        await wait_status(buyer, order["id"], "READY_FOR_PICKUP")
        await close_drawer(self.page)
        await self.by("verify-pickup").click()
        await choose(self.page, "verify-store", store["name"])
        await self.by("verify-code").fill(code)
        await self.shot("clerk-verify")
        await self.page.locator(".ant-modal:visible .ant-btn-primary").click()
        await self.by("verify-form").wait_for(state="detached")
        await wait_status(buyer, order["id"], "COMPLETED")

    async def clerk_is_refused_the_products(self) -> None:
        await self.page.evaluate("location.hash = '#/products'")
        await self.page.locator(".ant-message").get_by_text("你的角色（店员）无权进行此操作，请联系店主。").wait_for()
        await self.shot("clerk-refused")
