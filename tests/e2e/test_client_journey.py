"""The mini-program's H5 build (client/, served by the gateway at /m/) in Chromium against the whole local
mall, driven by clicks as a buyer would: sign in on the Alipay sandbox's authorisation page, claim a coupon,
search in pinyin, open a phone, check out with the coupon and Huabei in 3 instalments, pay in the sandbox
cashier, see the success page with the points, the order with its pickup code as a QR, and ask for a refund.
A screenshot per page goes to test-output/client/. Then the home page is timed on a throttled mobile
profile (CDP network and CPU throttling) and the figure reported in test-output/client/home-timing.json."""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from deploy.local import CLIENT_DIR, ROOT, SERVICES, LocalMall
from shared.bus import queue_names
from tests.conftest import remember_queues

pytestmark = pytest.mark.e2e
CHROMIUM = Path("/usr/bin/chromium")
HAVE_CHROMIUM = CHROMIUM.exists()
WAIT_MS = 30_000
HERE = {"latitude": 30.2577, "longitude": 120.1664}  # by the 湖滨银泰店 pickup store
# Lighthouse's mobile profile: slow 4G (150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up), 4x slower CPU.
SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}
CPU_SLOWDOWN = 4
HOME_BUDGET_MS = 1200  # the bar; reported, not asserted (a shared CI machine's timings vary)


@pytest.fixture(scope="module")
def client_build() -> Path:
    """The H5 build, made by deploy/build-client.sh (skipped when up to date)."""
    subprocess.run(["bash", str(ROOT / "deploy" / "build-client.sh"), "h5"], check=True, timeout=1500)
    assert (CLIENT_DIR / "index.html").is_file()
    return CLIENT_DIR


@pytest.fixture
async def mall(client_build: Path, database_url: str, amqp_url: str, bus_prefix: str, output_dir: Path
               ) -> AsyncIterator[LocalMall]:
    for service in SERVICES:
        names = queue_names(bus_prefix, service, [1_000, 5_000, 30_000])
        remember_queues(bus_prefix, [names["main"], names["dead"], *names["retry"]])
    mall = LocalMall(database_url, amqp_url, bus_prefix=bus_prefix,
                     workdir=output_dir / "e2e" / bus_prefix.rstrip("."),
                     env={"MALL_OUTBOX_POLL_SECONDS": "0.2", "MALL_RATE_IP_LIMIT": "100000"})
    await mall.prepare()
    try:
        await mall.start()
        await mall.seed()
        yield mall
    finally:
        await mall.stop()


@pytest.fixture
def shots(output_dir: Path) -> Path:
    folder = output_dir / "client"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def report(shots: Path, timing: dict[str, Any]) -> None:
    (shots / "home-timing.json").write_text(json.dumps(timing, indent=2))
    print(f"\nclient home page: {timing}")


async def test_a_buyer_shops_in_the_h5_build(mall: LocalMall, shots: Path):
    from playwright.async_api import async_playwright

    assert HAVE_CHROMIUM, "the client's browser test drives Debian's /usr/bin/chromium"
    gateway = mall.url("gateway")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM),
                                           args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            context = await browser.new_context(
                viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True,
                locale="zh-CN", geolocation=HERE, permissions=["geolocation"])
            page = await context.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
            journey = Journey(page, gateway, shots)
            await journey.signs_in()
            await journey.claims_a_coupon()
            await journey.searches_in_pinyin()
            await journey.opens_a_phone()
            payable = await journey.checks_out_with_the_coupon_and_huabei_3()
            await journey.pays_in_the_sandbox_cashier(payable)
            await journey.sees_the_success_page(payable)
            await journey.sees_the_pickup_code()
            await journey.asks_for_a_refund()
            assert not [p for p in problems if blocked_or_broken(p)], problems
            timing = {"throttled": await home_page_on_a_phone(context, gateway, throttled=True),
                      "unthrottled": await home_page_on_a_phone(context, gateway, throttled=False)}
        finally:
            await browser.close()
    report(shots, timing)
    assert timing["throttled"]["usable_ms"] > 0


def blocked_or_broken(console_error: str) -> bool:
    """A script error, or something the page's policy stopped. Not counted: the tab bar's links, whose
    `href="javascript:;"` is a no-op the policy refuses (their click handler does the switching)."""
    if "Running the JavaScript URL" in console_error:
        return False
    return "Content Security Policy" in console_error or console_error.startswith("page error")


class Journey:
    def __init__(self, page: Any, gateway: str, shots: Path):
        self.page, self.gateway, self.shots = page, gateway, shots
        self.n = 0

    async def shot(self, name: str) -> None:
        self.n += 1
        await self.page.screenshot(path=str(self.shots / f"{self.n:02d}-{name}.png"), full_page=True)

    def by(self, test_id: str) -> Any:
        return self.page.locator(f'[data-testid="{test_id}"]')

    async def signs_in(self) -> None:
        """The first page needs a session: the adapter sends the browser to the sandbox's authorisation
        page, which comes back with an auth code that the client exchanges at POST /api/session."""
        await self.page.goto(self.gateway + "/m/")
        await self.by("sandbox-authorize").wait_for(timeout=WAIT_MS)
        await self.by("sandbox-nickname").fill("小红")
        await self.shot("alipay-authorize")
        await self.by("sandbox-authorize").click()
        await self.by("recommended").locator('[data-testid="product-card"]').first.wait_for(timeout=WAIT_MS)
        await self.by("nearby-stores").wait_for(timeout=WAIT_MS)  # the browser's location reached the page
        assert "auth_code" not in self.page.url  # the one-time code is taken out of the address
        await self.shot("home")

    async def claims_a_coupon(self) -> None:
        await self.page.get_by_text("我的", exact=True).last.click()
        await self.by("nickname").wait_for(timeout=WAIT_MS)
        assert await self.by("nickname").inner_text() == "小红"
        await self.shot("me")
        await self.page.get_by_text("领券中心").click()
        offer = self.page.locator('[data-testid="offer"][data-name="满100减20"]').first
        await offer.wait_for(timeout=WAIT_MS)
        await offer.locator('[data-testid="claim"]').click()
        await self.by("notice").wait_for(timeout=WAIT_MS)
        assert "满100减20" in await self.by("notice").inner_text()
        await self.shot("coupon-centre")

    async def searches_in_pinyin(self) -> None:
        await self.page.goto(self.gateway + "/m/#/pages/search/index")
        box = self.by("search-input").locator("input")
        await box.fill("huawei shouji")
        await self.by("search-submit").click()
        await self.by("results").locator('[data-testid="product-card"]').first.wait_for(timeout=WAIT_MS)
        names = await self.by("results").locator('[data-testid="product-card"]').all_inner_texts()
        assert any("手机" in name for name in names), names
        await self.shot("search")

    async def opens_a_phone(self) -> None:
        await self.by("results").locator('[data-testid="product-card"]', has_text="手机").first.click()
        await self.by("huabei-plans").wait_for(timeout=WAIT_MS)  # this merchant offers instalments
        await self.shot("product")
        await self.by("buy-now").click()

    async def checks_out_with_the_coupon_and_huabei_3(self) -> int:
        coupon = self.by("coupon-option").filter(has_text="满100减20")
        await coupon.wait_for(timeout=WAIT_MS)
        await coupon.click()
        await self.page.locator('[data-testid="discount"][data-fen="2000"]').wait_for(timeout=WAIT_MS)
        await self.by("method-huabei").click()
        await self.by("plan-3").click()
        await self.shot("checkout")
        payable = int(await self.by("payable").get_attribute("data-fen") or 0)
        assert payable > 0
        await self.by("submit-order").click()
        return payable

    async def pays_in_the_sandbox_cashier(self, payable: int) -> None:
        await self.by("sandbox-pay").wait_for(timeout=WAIT_MS)
        amount = await self.by("sandbox-amount").inner_text()
        assert amount == f"¥{payable // 100}.{payable % 100:02d}", amount  # the server's amount, to the fen
        assert "3 期" in await self.by("sandbox-huabei").inner_text()
        await self.shot("alipay-cashier")
        await self.by("sandbox-pay").click()

    async def sees_the_success_page(self, payable: int) -> None:
        await self.by("paid-ok").wait_for(timeout=WAIT_MS)
        assert int(await self.by("paid-amount").get_attribute("data-fen") or 0) == payable
        assert "花呗分期 3 期" in await self.by("paid-method").inner_text()
        await self.by("paid-points").wait_for(timeout=WAIT_MS)
        await self.shot("paid")

    async def sees_the_pickup_code(self) -> None:
        await self.by("see-order").click()
        await self.page.locator('[data-testid="order"][data-status="PAID"]').wait_for(timeout=WAIT_MS)
        await self.by("pickup-qr").wait_for(timeout=WAIT_MS)
        code = await self.by("pickup-code").inner_text()
        assert code.isdigit() and len(code) == 8, code
        assert await self.by("pickup-qr").get_attribute("data-text")
        await self.shot("order-pickup")

    async def asks_for_a_refund(self) -> None:
        """Changed their mind before picking up: they refund the order's one line, every unit of it; never
        handed over, so the money goes back at once and the order is being refunded (or already is)."""
        assert await self.by("refund-order").count() == 0  # the order's lines carry ids: refunds go by line
        await self.by("refund-line").first.click()
        await self.by("notice").wait_for(timeout=WAIT_MS)
        await self.page.locator('[data-testid="order"][data-status="REFUND_REQUESTED"], '
                                '[data-testid="order"][data-status="REFUNDED"]').wait_for(timeout=WAIT_MS)
        assert await self.by("order-status").inner_text() in ("退款中", "已退款")
        await self.shot("order-refund")


async def home_page_on_a_phone(context: Any, gateway: str, *, throttled: bool) -> dict[str, Any]:
    """From navigation to the recommended products on screen, with an empty cache, on slow 4G and a 4x
    slower CPU when `throttled` (the buyer is signed in, as on any visit after the first). Unthrottled, the
    same on this machine as it is: the share of the time that is the machine's own load."""
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.clearBrowserCache")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if throttled:
        await cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        await cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    await page.goto(gateway + "/m/#/pages/home/index", wait_until="commit")
    await page.locator('[data-testid="recommended"] [data-testid="product-card"]').first.wait_for(timeout=60_000)
    usable = await page.evaluate("performance.now()")
    parts = await page.evaluate("""() => {
        const loaded = performance.getEntriesByType('resource');
        const end = names => Math.round(Math.max(0, ...loaded.filter(names).map(e => e.responseEnd)));
        return {
            transferred_bytes: loaded.reduce((n, e) => n + (e.transferSize || 0), 0)
                + performance.getEntriesByType('navigation')[0].transferSize,
            scripts_and_styles_loaded_ms: end(e => /[.](js|css)$/.test(e.name)),
            api_home_answered_ms: end(e => e.name.includes('/api/home')),
        };
    }""")
    await page.close()
    profile = {"network": "slow 4G (150 ms RTT, 1.6 Mbit/s)", "cpu_slowdown": CPU_SLOWDOWN} if throttled else {}
    return {"usable_ms": round(usable), "budget_ms": HOME_BUDGET_MS, "within_budget": usable <= HOME_BUDGET_MS,
            **parts, **profile}
