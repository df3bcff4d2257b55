"""The gateway serves the merchant console's build from MALL_CONSOLE_DIR: index.html with a fresh style nonce
named in its Content-Security-Policy and never cached, the content-hashed assets cached for a year; without a
build there, a clear 404 problem."""

from __future__ import annotations

import re
from typing import Any

from services.gateway.app import create_app
from tests.integration.gateway.support import gateway_settings

INDEX = ('<!doctype html><title>console build</title><meta name="csp-nonce" content="__CSP_NONCE__">'
         '<script type="module" src="/console/assets/index-abc123.js"></script>')


async def test_without_a_console_build_the_console_is_a_404_saying_so(settings_for: Any, start_app: Any,
                                                                      tmp_path: Any) -> None:
    missing = await start_app(create_app(gateway_settings(settings_for, console_dir=str(tmp_path / "nowhere"))))
    empty = await start_app(create_app(gateway_settings(settings_for, console_dir=str(tmp_path))))
    for client, path in [(missing, "/console/"), (missing, "/console/assets/app.js"), (empty, "/console/")]:
        resp = await client.get(path)
        assert resp.status == 404 and resp.content_type == "application/problem+json", path
        assert (await resp.json())["code"] == "console_not_built", path
    assert (await missing.get("/console", allow_redirects=False)).headers["Location"] == "/console/"
    assert (await missing.get("/console/apply", allow_redirects=False)).headers["Location"] == "/console/#/apply"


async def console(settings_for: Any, start_app: Any, folder: Any) -> Any:
    (folder / "assets").mkdir()
    (folder / "index.html").write_text(INDEX)
    (folder / "assets" / "index-abc123.js").write_text("// built")
    (folder / "favicon.svg").write_text("<svg/>")
    return await start_app(create_app(gateway_settings(settings_for, console_dir=str(folder / "."))))


async def test_the_page_gets_a_fresh_style_nonce_its_policy_names_and_is_never_cached(
        settings_for: Any, start_app: Any, tmp_path: Any) -> None:
    client = await console(settings_for, start_app, tmp_path)
    nonces = []
    for _ in range(2):
        page = await client.get("/console/")
        assert page.status == 200 and page.content_type == "text/html"
        assert page.headers["Cache-Control"] == "no-cache"
        [nonce] = re.findall(r'name="csp-nonce" content="([A-Za-z0-9_-]{20,})"', await page.text())
        policy = page.headers["Content-Security-Policy"]
        assert f"style-src 'self' 'nonce-{nonce}';" in policy
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
    # The raw file (placeholder and all) is never served: only the page above.
    raw = await client.get("/console/index.html", allow_redirects=False)
    assert raw.status == 302 and raw.headers["Location"] == "/console/"


async def test_hashed_assets_are_cached_for_a_year_other_files_revalidated(settings_for: Any, start_app: Any,
                                                                         tmp_path: Any) -> None:
    client = await console(settings_for, start_app, tmp_path)
    asset = await client.get("/console/assets/index-abc123.js")
    assert asset.status == 200 and await asset.text() == "// built"
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert asset.headers["X-Content-Type-Options"] == "nosniff"
    other = await client.get("/console/favicon.svg")
    assert other.status == 200 and other.headers["Cache-Control"] == "no-cache"


async def test_nothing_outside_the_build_is_served(settings_for: Any, start_app: Any, tmp_path: Any) -> None:
    (tmp_path / "secret.txt").write_text("not for the web")
    build = tmp_path / "dist"
    build.mkdir()
    client = await console(settings_for, start_app, build)
    for path in ["/console/../secret.txt", "/console/%2e%2e/secret.txt", "/console/assets/%2e%2e/%2e%2e/secret.txt",
                 "/console/assets/missing.js", "/console/assets/"]:
        resp = await client.get(path)
        assert resp.status == 404, path
        assert "not for the web" not in await resp.text(), path
