"""The mini-program's home page (H5 build, /m/) on a throttled phone: how long until it is usable.

    python -m bench.client_home [--runs 5] [--baseline DIR]

Builds the H5 client if it is out of date (deploy/build-client.sh), starts the whole mall with
deploy.local.LocalMall on a database and bus prefix of its own (dropped after), seeds the demo data, signs a
buyer in once through the sandbox's authorisation page in Debian's Chromium, then opens the home page
`--runs` times in a fresh tab with an empty cache on Lighthouse's mobile profile (Chrome DevTools
throttling: 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up, CPU 4x slower), and once unthrottled.
"Usable" is navigation start to the first recommended product on screen (the buyer is signed in, as on
every visit after the first). Prints each run and the median, and writes test-output/client/home-bench.json.

`--baseline DIR` is another H5 build (e.g. made from an older commit, copied out of client/dist/h5): the
gateway serves both, the baseline's index.html as /m/baseline.html beside its content-named scripts, and
each round opens one build after the other, so that both meet the same load on this shared machine.
tests/e2e/test_client_journey.py takes the same measurement once at the end of its journey.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.scratch import scratch_mall
from deploy.local import CLIENT_DIR, ROOT

CHROMIUM = "/usr/bin/chromium"
HERE = {"latitude": 30.2577, "longitude": 120.1664}  # by the 湖滨银泰店 pickup store
# Lighthouse's mobile profile: slow 4G (150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up), 4x slower CPU.
SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}
CPU_SLOWDOWN = 4
HOME_BUDGET_MS = 1200  # the bar
USABLE = '[data-testid="recommended"] [data-testid="product-card"]'


async def home_page_on_a_phone(context: Any, gateway: str, *, throttled: bool, page_name: str = ""
                               ) -> dict[str, Any]:
    """From navigation to the recommended products on screen, with an empty cache, on slow 4G and a 4x
    slower CPU when `throttled`. Unthrottled, the same on this machine as it is: the share of the time that
    is the machine's own load. `page_name` is the build's page under /m/ (the current build's by default)."""
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.clearBrowserCache")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if throttled:
        await cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        await cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    await page.goto(f"{gateway}/m/{page_name}#/pages/home/index", wait_until="commit")
    # Checked in the page at every animation frame and timed there: a locator's wait polls from outside at
    # growing intervals (500 ms apart after the first few), which would round the time up by as much. The time
    # is taken after the frame that holds the product (the task after its animation frame) and no earlier than
    # the page's first contentful paint, whose entry Chrome may report a little later.
    found = await page.wait_for_function(f"""() => document.querySelector('{USABLE}') && new Promise(done => {{
        const painted = at => {{
            const first = performance.getEntriesByName('first-contentful-paint')[0];
            if (first) done(Math.max(at, first.startTime)); else requestAnimationFrame(() => painted(at));
        }};
        requestAnimationFrame(() => setTimeout(() => painted(performance.now())));
    }})""", polling="raf", timeout=60_000)
    usable = await found.json_value()
    parts = await page.evaluate("""() => {
        const loaded = performance.getEntriesByType('resource');
        const end = names => Math.round(Math.max(0, ...loaded.filter(names).map(e => e.responseEnd)));
        const paint = performance.getEntriesByName('first-contentful-paint')[0];
        return {
            first_paint_ms: paint ? Math.round(paint.startTime) : null,
            transferred_bytes: loaded.reduce((n, e) => n + (e.transferSize || 0), 0)
                + performance.getEntriesByType('navigation')[0].transferSize,
            scripts_and_styles_loaded_ms: end(e => /[.](js|css)$/.test(e.name)),
            api_home_sent_ms: Math.round(Math.min(...loaded.filter(e => e.name.includes('/api/home'))
                .map(e => e.startTime))),
            api_home_answered_ms: end(e => e.name.includes('/api/home')),
        };
    }""")
    await page.close()
    profile = {"network": "slow 4G (150 ms RTT, 1.6 Mbit/s)", "cpu_slowdown": CPU_SLOWDOWN} if throttled else {}
    return {"usable_ms": round(usable), "budget_ms": HOME_BUDGET_MS, "within_budget": usable <= HOME_BUDGET_MS,
            **parts, **profile}


async def signed_in_context(browser: Any, gateway: str) -> Any:
    """A phone-sized context whose buyer signed in through the sandbox's authorisation page."""
    context = await browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                        is_mobile=True, has_touch=True, locale="zh-CN", geolocation=HERE,
                                        permissions=["geolocation"])
    page = await context.new_page()
    await page.goto(gateway + "/m/")
    await page.locator('[data-testid="sandbox-authorize"]').click()
    await page.locator(USABLE).first.wait_for(timeout=60_000)
    await page.close()
    return context


BASELINE_PAGE = "baseline.html"


def served_side_by_side(current: Path, baseline: Path, into: Path) -> Path:
    """One folder for the gateway: the current build as it is, and the baseline's files beside it (their
    content-hashed names keep them apart; a name in both is the same content), its page as baseline.html."""
    shutil.copytree(current, into)
    for file in baseline.rglob("*"):
        target = into / file.relative_to(baseline)
        if file.is_file() and file.name != "index.html" and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target)
    shutil.copy2(baseline / "index.html", into / BASELINE_PAGE)
    return into


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    usable = [r["usable_ms"] for r in runs]
    return {"median_usable_ms": round(statistics.median(usable)), "min_usable_ms": min(usable),
            "max_usable_ms": max(usable),
            "median_first_paint_ms": round(statistics.median(r["first_paint_ms"] or 0 for r in runs)),
            "median_api_home_sent_ms": round(statistics.median(r["api_home_sent_ms"] for r in runs)),
            "median_api_home_answered_ms": round(statistics.median(r["api_home_answered_ms"] for r in runs)),
            "transferred_bytes": round(statistics.median(r["transferred_bytes"] for r in runs))}


async def measure(gateway: str, runs: int, *, with_baseline: bool) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    builds = {"current": ""} | ({"baseline": BASELINE_PAGE} if with_baseline else {})
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox",
                                                                           "--disable-gpu"])
        try:
            context = await signed_in_context(browser, gateway)
            throttled: dict[str, list[dict[str, Any]]] = {build: [] for build in builds}
            for n in range(runs):
                for build, page_name in builds.items():  # one after the other in each round: the same load
                    run = await home_page_on_a_phone(context, gateway, throttled=True, page_name=page_name)
                    throttled[build].append(run)
                    print(f"run {n + 1} {build}: {json.dumps(run)}", flush=True)
            unthrottled = await home_page_on_a_phone(context, gateway, throttled=False)
        finally:
            await browser.close()
    return {"median_usable_ms": summary(throttled["current"])["median_usable_ms"],
            "builds": {build: summary(results) for build, results in throttled.items()},
            "throttled": throttled["current"], "baseline_throttled": throttled.get("baseline", []),
            "unthrottled": unthrottled}


async def main(commit: str) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another H5 build's folder, measured side by side")
    args = parser.parse_args()
    if args.baseline and not (args.baseline / "index.html").is_file():
        parser.error(f"{args.baseline} has no index.html")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-client-") as folder:  # the builds side by side
        env = {"MALL_RATE_IP_LIMIT": "100000"}
        if args.baseline:
            env["MALL_CLIENT_DIR"] = str(served_side_by_side(CLIENT_DIR, args.baseline, Path(folder) / "h5"))
        async with scratch_mall(env=env) as (mall, _):
            figures = await measure(mall.url("gateway"), args.runs, with_baseline=args.baseline is not None)
    figures |= {"commit": commit, "load_average": [load_before, os.getloadavg()],
                "profile": {"network": SLOW_4G, "cpu_slowdown": CPU_SLOWDOWN}}
    out = ROOT / "test-output" / "client"
    out.mkdir(parents=True, exist_ok=True)
    (out / "home-bench.json").write_text(json.dumps(figures, indent=2))
    for build, numbers in figures["builds"].items():
        print(f"{build}: home page usable, median of {args.runs} throttled runs: {numbers['median_usable_ms']} ms "
              f"({numbers['min_usable_ms']}–{numbers['max_usable_ms']}; budget {HOME_BUDGET_MS} ms), first paint "
              f"{numbers['median_first_paint_ms']} ms, /api/home sent {numbers['median_api_home_sent_ms']} ms, "
              f"answered {numbers['median_api_home_answered_ms']} ms, {numbers['transferred_bytes']} bytes")
    print(f"unthrottled: {figures['unthrottled']['usable_ms']} ms; commit {figures['commit']}; load average "
          f"{figures['load_average'][0][0]:.1f} before, {figures['load_average'][1][0]:.1f} after")


if __name__ == "__main__":
    subprocess.run(["bash", str(ROOT / "deploy" / "build-client.sh"), "h5"], check=True)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    asyncio.run(main(head.stdout.strip()))
