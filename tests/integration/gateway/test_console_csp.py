"""The merchant console (console/dist) under the gateway's Content-Security-Policy, in Chromium: it must still
sign in and draw its dashboard (its own scripts, its API, Ant Design's styles carrying the page's nonce) and the
stores page's map (Leaflet, tiles from the configured host), and the browser must report no violation."""

from __future__ import annotations

from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium, require_console_build
from tests.integration.gateway.conftest import Mall


async def test_the_console_works_under_the_gateways_policy(mall: Mall):
    require_chromium()
    require_console_build()
    from playwright.async_api import async_playwright

    page_url = str(mall.gateway.make_url("/console/"))
    policy = (await mall.gateway.get("/console/")).headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in policy  # the store map's tiles
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            messages: list[str] = []
            page.on("console", lambda msg: messages.append(msg.text))
            page.on("pageerror", lambda exc: messages.append(str(exc)))
            await page.goto(page_url)
            await page.get_by_test_id("username").fill("staff1")
            await page.get_by_test_id("password").fill("pw-staff-1")
            await page.get_by_test_id("login-submit").click()
            await page.wait_for_selector('[data-testid=dashboard][data-ready="true"]', timeout=30_000)
            # Ant Design's CSS-in-JS wrote its styles (the nonce let them in): the button is styled.
            styled = await page.evaluate(
                "getComputedStyle(document.querySelector('[data-testid=logout]')).borderRadius !== '0px'")
            drawn = await page.evaluate("document.querySelectorAll('[data-testid=chart-daily] canvas').length")
            # The store map asks the tile host for images (they fail offline, but the policy must let them go).
            await page.get_by_test_id("nav-stores").click()
            await page.get_by_test_id("store-new").click()
            await page.locator("[data-testid=store-map] img.leaflet-tile").first.wait_for(state="attached")
        finally:
            await browser.close()
    assert styled and drawn, messages
    assert not [m for m in messages if "Content Security Policy" in m], messages
