"""The gateway serves the mini-program's H5 build from MALL_CLIENT_DIR at /m/, and tells it where the Alipay
(sandbox) web pages are; without a build, a clear 404 problem."""

from __future__ import annotations

import gzip
from typing import Any

from services.gateway.app import create_app
from tests.integration.gateway.support import gateway_settings


async def test_without_a_build_the_client_is_a_404_saying_so(settings_for: Any, start_app: Any, tmp_path: Any) -> None:
    client = await start_app(create_app(gateway_settings(settings_for, client_dir=str(tmp_path / "nowhere"))))
    for path in ("/m/", "/m/js/app.js"):
        resp = await client.get(path)
        assert resp.status == 404 and resp.content_type == "application/problem+json", path
        assert (await resp.json())["code"] == "client_not_built", path
    assert (await client.get("/m", allow_redirects=False)).headers["Location"] == "/m/"


async def test_the_build_is_served_with_its_page_policy_and_nothing_outside_it(settings_for: Any, start_app: Any,
                                                                               tmp_path: Any) -> None:
    build = tmp_path / "h5"
    (build / "js").mkdir(parents=True)
    (build / "index.html").write_text("<!doctype html><title>西湖商城</title>")
    (build / "js" / "app.js").write_text("// built")
    (tmp_path / "secret.txt").write_text("not for the web")
    client = await start_app(create_app(gateway_settings(settings_for, client_dir=str(build))))
    page = await client.get("/m/")
    assert page.status == 200 and "西湖商城" in await page.text()
    policy = page.headers["Content-Security-Policy"]
    # Its components add styles at run time; scripts stay this origin's only, framing stays forbidden.
    assert "style-src 'self' 'unsafe-inline'" in policy and "font-src 'self' data:" in policy
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    script = await client.get("/m/js/app.js")
    assert script.status == 200 and await script.text() == "// built"
    for path in ("/m/../secret.txt", "/m/%2e%2e/secret.txt", "/m/js/missing.js"):
        resp = await client.get(path)
        assert resp.status == 404 and "not for the web" not in await resp.text(), path


async def test_hashed_files_are_cached_for_good_and_sent_compressed_as_the_browser_accepts(
        settings_for: Any, start_app: Any, tmp_path: Any) -> None:
    build = tmp_path / "h5"
    (build / "js").mkdir(parents=True)
    (build / "index.html").write_text("<!doctype html><title>西湖商城</title>")
    script = "console.log('home');" * 50
    (build / "js" / "app.1a2b3c4d.js").write_text(script)
    (build / "js" / "app.1a2b3c4d.js.gz").write_bytes(gzip.compress(script.encode()))
    (build / "js" / "app.1a2b3c4d.js.br").write_bytes(b"brotli bytes")  # the gateway sends them as they are
    client = await start_app(create_app(gateway_settings(settings_for, client_dir=str(build))))
    page = await client.get("/m/")
    assert page.headers["Cache-Control"] == "no-cache"  # a new build is seen on the next visit
    brotli = await client.get("/m/js/app.1a2b3c4d.js", headers={"Accept-Encoding": "gzip, deflate, br"},
                              auto_decompress=False)
    assert brotli.headers["Content-Encoding"] == "br" and await brotli.read() == b"brotli bytes"
    assert brotli.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert brotli.headers["Content-Type"].startswith(("application/javascript", "text/javascript"))
    gzipped = await client.get("/m/js/app.1a2b3c4d.js", headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["Content-Encoding"] == "gzip" and await gzipped.text() == script
    plain = await client.get("/m/js/app.1a2b3c4d.js", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and await plain.text() == script


async def test_the_client_config_names_the_alipay_web_pages(settings_for: Any, start_app: Any) -> None:
    local = await start_app(create_app(gateway_settings(settings_for, alipay_web_url="http://127.0.0.1:8090")))
    answer = await local.get("/api/client-config")  # before signing in: it is what signing in needs
    assert answer.status == 200 and (await answer.json()) == {"alipay_web_url": "http://127.0.0.1:8090"}
    elsewhere = await start_app(create_app(gateway_settings(settings_for)))
    assert (await (await elsewhere.get("/api/client-config")).json()) == {"alipay_web_url": None}
