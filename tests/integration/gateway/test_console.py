"""The gateway serves the merchant console from MALL_CONSOLE_DIR; without a build there, a clear 404 problem."""

from __future__ import annotations

from typing import Any

from services.gateway.app import create_app
from tests.integration.gateway.support import gateway_settings


async def test_without_a_console_build_the_console_is_a_404_saying_so(settings_for: Any, start_app: Any,
                                                                      tmp_path: Any) -> None:
    missing = await start_app(create_app(gateway_settings(settings_for, console_dir=str(tmp_path / "nowhere"))))
    empty = await start_app(create_app(gateway_settings(settings_for, console_dir=str(tmp_path))))
    for client, path in [(missing, "/console/"), (missing, "/console/app.js"), (empty, "/console/")]:
        resp = await client.get(path)
        assert resp.status == 404 and resp.content_type == "application/problem+json", path
        assert (await resp.json())["code"] == "console_not_built", path
    assert (await missing.get("/console", allow_redirects=False)).headers["Location"] == "/console/"


async def test_the_console_is_served_from_the_configured_folder(settings_for: Any, start_app: Any,
                                                                tmp_path: Any) -> None:
    (tmp_path / "index.html").write_text("<!doctype html><title>console build</title>")
    (tmp_path / "app.js").write_text("// built")
    client = await start_app(create_app(gateway_settings(settings_for, console_dir=str(tmp_path))))
    page = await client.get("/console/")
    assert page.status == 200 and "console build" in await page.text()
    assert await (await client.get("/console/app.js")).text() == "// built"
