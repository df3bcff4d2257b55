"""No input a client can send makes the catalog answer 500."""

from __future__ import annotations

import random

from yarl import URL

from tests.integration.catalog.conftest import MERCHANT, Catalog

NASTY = ["\x00", "a\x00b", "%00", "'", '"', "\\", "%", "_", "' OR 1=1 --", "手机\x00", "😀" * 30, "x" * 5000,
         "\u202e", "\ufeff", "\t\n", "𠀀𠀁", "../../etc/passwd", "null", "[]", "{}", "-1", "1e309", "NaN"]


def nasty_texts(seed: int = 7, count: int = 30) -> list[str]:
    rng = random.Random(seed)
    alphabet = "手机华为aZ09%_'\"\\\x00\x01 \u3000\U0001f600-/.&=?#"
    return NASTY + ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(count)]


async def test_no_query_or_path_makes_a_500(catalog: Catalog):
    await catalog.product("华为手机", barcode=None)
    user = {"X-User-Id": "u1"}
    for text in nasty_texts():
        for path, params in [("/search", {"q": text}), ("/search/suggest", {"q": text}),
                             ("/stores/nearby", {"lat": text, "lng": "120"}),
                             ("/recommendations", {"sku_ids": text}), ("/recommendations", {"product_id": text}),
                             ("/categories/x/products", {"page": text})]:
            resp = await catalog.client.get(path, params=params, headers=user)
            assert resp.status < 500, (path, text, await resp.text())
        quoted = URL.build(path="/products/" + text).raw_path
        for method, prefix in [("GET", "/products/"), ("GET", "/barcodes/"), ("PUT", "/favorites/products/"),
                               ("DELETE", "/favorites/stores/"), ("GET", "/stores/"),
                               ("GET", "/categories/")]:
            url = URL(prefix.rstrip("/") + quoted.removeprefix("/products"), encoded=True)
            resp = await catalog.client.request(method, url, headers=user)
            assert resp.status < 500, (method, prefix, text, await resp.text())


async def test_no_merchant_body_makes_a_500(catalog: Catalog):
    staff = {"X-Merchant-Id": MERCHANT}
    _, sku = await catalog.product("键盘")
    for i, text in enumerate(nasty_texts(count=10)):
        bodies = [("POST", "/merchant/products", {"name": text, "skus": [{"price_fen": 1, "specs": {text: text}}]}),
                  ("POST", "/merchant/products", {"name": "x", "category_id": text, "skus": [{"price_fen": 1}]}),
                  ("POST", "/merchant/products", {"name": "x", "store_ids": [text], "skus": [{"price_fen": 1}]}),
                  ("POST", "/merchant/products", {"name": "x", "skus": [{"price_fen": 1, "barcode": text}]}),
                  ("PATCH", f"/merchant/skus/{sku}", {"specs": {"k": text}}),
                  ("PUT", "/merchant/stores/s1", {"name": text, "address": text, "lat": 30, "lng": 120}),
                  ("PUT", "/merchant/profile", {"name": text})]
        for method, path, body in bodies:
            resp = await catalog.client.request(method, path, json=body,
                                                headers={**staff, "Idempotency-Key": f"k{i}-{method}-{len(path)}"})
            assert resp.status < 500, (method, path, body, await resp.text())
    for raw in (b"", b"[]", b"null", b"\xff\xfe", b'{"name": "\\ud800"}', b"1" * 300_000):
        resp = await catalog.client.post("/merchant/products", data=raw,
                                         headers={**staff, "Idempotency-Key": "raw",
                                                  "Content-Type": "application/json"})
        assert resp.status < 500, (raw[:20], await resp.text())
