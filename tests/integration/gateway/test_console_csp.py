"""The merchant console under the gateway's Content-Security-Policy, in Chromium: it must still log in and
draw its charts (its own scripts, styles and API calls only), and the browser must report no violation."""

from __future__ import annotations

from tests.integration.analytics.test_console import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.integration.gateway.conftest import Mall


async def test_the_console_works_under_the_gateways_policy(mall: Mall):
    require_chromium()
    from playwright.async_api import async_playwright

    page_url = str(mall.gateway.make_url("/console/"))
    assert "script-src 'self'" in (await mall.gateway.get("/console/")).headers["Content-Security-Policy"]
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
            await page.wait_for_selector('[data-testid=dashboard][data-ready="true"]', timeout=15_000)
            drawn = await page.evaluate("typeof Chart === 'function' && !!Chart.getChart('chart-gmv')")
        finally:
            await browser.close()
    assert drawn, messages
    assert not [m for m in messages if "Content Security Policy" in m], messages
