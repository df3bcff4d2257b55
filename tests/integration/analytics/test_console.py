"""The merchant console's dashboard in a real browser, against the real analytics service fed by a purchase run.

The fulfilment card (median hours from payment to each stage, pickup share by store) is checked against
the same API answer. A tiny aiohttp app stands in for the gateway's two dashboard calls (staff session,
metrics proxy with X-Merchant-Id) and serves the console's build (console/dist) as the real gateway does
(its own serving code, nonce and policy included). Playwright drives Debian's Chromium; the screenshot
lands in test-output/console.png.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.test_utils import TestClient

from services.analytics.app import create_app
from services.analytics.settings import AnalyticsSettings
from services.gateway.app import serve_console
from shared.events.orders import Delivery, OrderPaid, OrderPickedUp, OrderShipped
from tests.browser import CHROMIUM, CHROMIUM_ARGS, CONSOLE_BUILD, require_chromium, require_console_build
from tests.integration.analytics.stream import (
    active,
    claimed,
    confirmed,
    envelope,
    line,
    open_bus,
    paid,
    placed,
    publish_all,
    redeemed,
    wait_handled,
)

SHOP_TZ = "Asia/Shanghai"
MERCHANT = "m-tea"
STAFF = ("staff", "s3cret-pass")
CHARTS = ["chart-daily", "chart-aov", "chart-payment-mix", "chart-retention", "chart-conversion"]


def purchase_run() -> list[Any]:
    """Three buyers arrive by search, scan and member card and pay by Alipay, Huabei and balance."""
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo(SHOP_TZ)).date()
    tea, pot, cups = line("tea", 2, 8_800), line("teapot", 1, 39_900), line("cups", 1, 12_900)
    events = [
        active("u0", today - timedelta(days=8), "search", MERCHANT),  # a returning buyer for the 14-day view
        active("u0", today - timedelta(days=1), "search", MERCHANT),
        active("u1", today, "search", MERCHANT), active("u2", today, "scan", MERCHANT),
        active("u3", today, "member_card", None),
        claimed("c1", "u1", MERCHANT), claimed("c2", "u2", MERCHANT),
        placed("o1", "u1", MERCHANT, "search", [tea], coupon_id="c1",
               delivery=Delivery(method="pickup", store_id="sto-west")),
        confirmed("o1", "u1", MERCHANT, "search", 17_600, discount_fen=1_000),
        paid("p1", "o1", "u1", MERCHANT, "alipay", 16_600), redeemed("c1", "o1", "u1", MERCHANT, 1_000),
        placed("o2", "u2", MERCHANT, "scan", [pot], delivery=Delivery(method="express")),
        confirmed("o2", "u2", MERCHANT, "scan", 39_900, points_fen=500),
        paid("p2", "o2", "u2", MERCHANT, "huabei", 39_400, installments=3),
        placed("o3", "u3", MERCHANT, "member_card", [cups], delivery=Delivery(method="express")),
        confirmed("o3", "u3", MERCHANT, "member_card", 12_900),
        paid("p3", "o3", "u3", MERCHANT, "balance", 12_900),
    ]
    # Fulfilment: all three paid 3 h ago; o2 shipped 2 h after payment, o1 picked up after 1 h.
    who = {o: {"order_id": o, "user_id": u, "merchant_id": MERCHANT} for o, u in (("o1", "u1"), ("o2", "u2"),
                                                                                  ("o3", "u3"))}
    moments = [envelope(OrderPaid(**who[o], payable_fen=1, method="alipay"), now - timedelta(hours=3))
               for o in who]
    moments += [envelope(OrderShipped(**who["o2"]), now - timedelta(hours=1)),
                envelope(OrderPickedUp(**who["o1"], store_id="sto-west"), now - timedelta(hours=2))]
    return [envelope(data, now) for data in events] + moments


def gateway_stand_in(analytics: TestClient) -> web.Application:
    """The gateway's dashboard calls (sign-in, metrics, the header's alerts), as specified for it, plus the
    console's build as the gateway serves it."""
    tokens: dict[str, str] = {}

    async def session(request: web.Request) -> web.Response:
        body = await request.json()
        if (body.get("username"), body.get("password")) != STAFF:
            return web.json_response({"title": "Wrong username or password", "code": "bad_credentials",
                                      "status": 401}, status=401, content_type="application/problem+json")
        token = secrets.token_urlsafe(16)
        tokens[token] = MERCHANT
        return web.json_response({"token": token, "merchant_id": MERCHANT})

    async def metrics(request: web.Request) -> web.Response:
        merchant = tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
        if merchant is None:
            return web.json_response({"title": "Sign in", "code": "unauthorized", "status": 401}, status=401)
        resp = await analytics.get("/merchant/metrics", params=dict(request.query),
                                   headers={"X-Merchant-Id": merchant})
        return web.Response(body=await resp.read(), status=resp.status, content_type=resp.content_type)

    async def alerts(_: web.Request) -> web.Response:  # the header's bell: nothing has happened yet
        return web.json_response({"items": []})

    async def alerts_stream(request: web.Request) -> web.StreamResponse:  # open, and quiet, until the page goes
        stream = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await stream.prepare(request)
        await stream.write(b": open\n\n")
        await asyncio.Event().wait()
        return stream

    app = web.Application()
    app.router.add_post("/api/merchant/session", session)
    app.router.add_get("/api/merchant/metrics", metrics)
    app.router.add_get("/api/merchant/alerts", alerts)
    app.router.add_get("/api/merchant/alerts/stream", alerts_stream)
    serve_console(app, CONSOLE_BUILD)
    return app


def yuan(fen: int) -> str:
    return ("-" if fen < 0 else "") + f"¥{abs(fen) / 100:.2f}"


async def test_staff_sees_charts_of_a_purchase_run(settings_for, start_app, database_url, amqp_url, bus_prefix,
                                                   output_dir):
    require_chromium()
    require_console_build()
    from playwright.async_api import async_playwright

    analytics = await start_app(create_app(settings_for(AnalyticsSettings)))
    bus = await open_bus(amqp_url, bus_prefix)
    try:
        run = purchase_run()
        await publish_all(bus, run)
        await wait_handled(database_url, len(run))
    finally:
        await bus.close()
    gateway = await start_app(gateway_stand_in(analytics))
    console_url = str(gateway.make_url("/console/"))

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # A browser far from the shop (Honolulu is 18 h behind Shanghai): the console must still show
            # the shop's days, not the browser's.
            context = await browser.new_context(viewport={"width": 1280, "height": 1400},
                                                timezone_id="Pacific/Honolulu", locale="en-US")
            page = await context.new_page()
            # Just after midnight in the shop: in Honolulu it is still yesterday, so a console that used the
            # browser's calendar would leave out the shop's today (where the purchase run happened).
            shop_midnight = datetime.combine(datetime.now(ZoneInfo(SHOP_TZ)).date(), time(0, 30),
                                             tzinfo=ZoneInfo(SHOP_TZ))
            await page.clock.set_fixed_time(shop_midnight)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            await page.goto(console_url)

            await page.get_by_test_id("username").fill(STAFF[0])
            await page.get_by_test_id("password").fill("wrong")
            await page.get_by_test_id("login-submit").click()
            await page.get_by_test_id("login-error").filter(has_text="Wrong username").wait_for()
            errors.clear()  # the browser logs the 401 itself

            await page.get_by_test_id("password").fill(STAFF[1])
            await page.get_by_test_id("login-submit").click()
            await page.wait_for_selector('[data-testid=dashboard][data-ready="true"]', timeout=30_000)

            today = shop_midnight.date()
            api = await (await analytics.get("/merchant/metrics", params={
                "from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()},
                headers={"X-Merchant-Id": MERCHANT})).json()
            kpis = api["kpis"]
            assert (kpis["gmv_fen"], kpis["orders"], kpis["aov_fen"]) == (68_900, 3, 22_967)
            for prefix in ("kpi", "today"):  # the last 7 shop days, and the shop's today alone
                await _assert_kpi(page, f"{prefix}-gmv", kpis["gmv_fen"], yuan(68_900))
                await _assert_kpi(page, f"{prefix}-orders", 3, "3")
                await _assert_kpi(page, f"{prefix}-aov", kpis["aov_fen"], yuan(22_967))
                await _assert_kpi(page, f"{prefix}-redemption", kpis["coupon_redemption_rate"], "50.0%")
                await _assert_kpi(page, f"{prefix}-cost-ratio", kpis["marketing_cost_ratio"], "2.2%")  # 1500/68900

            # Fulfilment: o2 shipped 2 h after payment, o1 picked up after 1 h, nothing delivered yet; one of
            # the three orders with a delivery picked up, at sto-west.
            fulfilment = api["fulfilment"]
            stages = {stage: fulfilment[stage]["median_s"] for stage in ("to_shipped", "to_delivered", "to_picked_up")}
            assert stages == {"to_shipped": 7_200, "to_delivered": None, "to_picked_up": 3_600}, stages
            await _assert_kpi(page, "kpi-to-shipped", 7_200, "2.0 h")
            await _assert_kpi(page, "kpi-to-delivered", None, "–")
            await _assert_kpi(page, "kpi-to-picked-up", 3_600, "1.0 h")
            pickup = fulfilment["pickup"]
            assert (pickup["orders"], pickup["pickup_orders"]) == (3, 1), pickup
            await _assert_kpi(page, "kpi-pickup-share", pickup["share"], "33.3%")
            assert pickup["by_store"] == [{"store_id": "sto-west", "orders": 1, "share": pickup["share"]}]
            stores = await page.locator("[data-testid=pickup-stores] tbody tr").all_inner_texts()
            assert [row.split("\t") for row in stores] == [["sto-west", "1", "33.3%"]], stores

            # Every chart drawn (a canvas with pixels), the best sellers listed by their share of GMV.
            drawn = await page.evaluate(
                """(ids) => ids.map((id) => {
                       const canvas = document.querySelector(`[data-testid=${id}] canvas`);
                       return [id, canvas ? canvas.width : 0];
                   })""", CHARTS)
            assert all(width > 0 for _, width in drawn), drawn
            rows = await page.locator("[data-testid=top-products] tbody tr").all_inner_texts()
            assert [row.split("\t")[-1] for row in rows] == [yuan(39_400), yuan(16_600), yuan(12_900)], rows

            await page.screenshot(path=str(output_dir / "console.png"), full_page=True)
            assert errors == []
        finally:
            await browser.close()


async def _assert_kpi(page: Any, test_id: str, raw: Any, text: str) -> None:
    tile = page.get_by_test_id(test_id)
    assert await tile.get_attribute("data-value") == ("" if raw is None else str(raw))
    assert (await tile.inner_text()).strip() == text
