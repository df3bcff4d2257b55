"""The gateway's edge against abuse, on real PostgreSQL and RabbitMQ: password guessing lock-outs, the
trusted proxy's address, security headers, operator-only probes, parser errors, CORS, strict input."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import asyncpg
import orjson

from services.gateway.app import create_app
from tests.integration.gateway.support import add_staff, gateway_settings, user_token

STAFF_LOGIN = "/api/merchant/session"


async def login(client: Any, password: str, username: str = "staff1", **headers: str) -> Any:
    return await client.post(STAFF_LOGIN, json={"username": username, "password": password}, headers=headers)


async def expire_lock(database_url: str, key: str) -> None:
    """Let the lock-out run out (what a minute of waiting would do), keeping the failure count."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE gateway.login_failures SET locked_until = now() - interval '1 second' "
                           "WHERE key = $1", key)
    finally:
        await conn.close()


async def test_wrong_passwords_lock_the_account_even_against_the_right_one(settings_for, start_app, database_url):
    settings = gateway_settings(settings_for, login_account_failures=5, login_lock_seconds=60,
                                login_lock_max_seconds=3600)
    await add_staff(settings, "staff1", "correct horse", "mch_001")
    client = await start_app(create_app(settings))
    for _ in range(4):
        assert (await login(client, "guess")).status == 401
    resp = await login(client, "guess")  # the fifth failure locks the account
    assert resp.status == 429 and resp.content_type == "application/problem+json"
    assert (await resp.json())["code"] == "too_many_attempts"
    resp = await login(client, "correct horse")
    assert resp.status == 429 and (await resp.json())["code"] == "too_many_attempts"
    assert 50 <= int(resp.headers["Retry-After"]) <= 60

    # Once the minute is over, the next wrong password locks it again for twice as long.
    await expire_lock(database_url, "acct:staff1")
    resp = await login(client, "guess")
    assert resp.status == 429 and 110 <= int(resp.headers["Retry-After"]) <= 120

    # After that lock, the right password gets in and the count starts again.
    await expire_lock(database_url, "acct:staff1")
    assert (await login(client, "correct horse")).status == 200
    for _ in range(4):
        assert (await login(client, "guess")).status == 401
    assert (await login(client, "correct horse")).status == 200


async def test_a_burst_of_parallel_guesses_gets_no_more_than_the_threshold_checked(settings_for, start_app):
    settings = gateway_settings(settings_for, login_account_failures=5)
    await add_staff(settings, "staff1", "correct horse", "mch_001")
    client = await start_app(create_app(settings))
    answers = await asyncio.gather(*(login(client, f"guess-{i}") for i in range(20)))
    statuses = sorted(a.status for a in answers)
    assert statuses.count(401) <= 4 and set(statuses) <= {401, 429}, statuses
    assert (await login(client, "correct horse")).status == 429


async def test_an_unknown_account_is_locked_like_a_real_one(settings_for, start_app):
    settings = gateway_settings(settings_for, login_account_failures=2)
    client = await start_app(create_app(settings))
    assert (await login(client, "x", username="nobody")).status == 401
    resp = await login(client, "x", username="nobody")
    assert resp.status == 429 and "Retry-After" in resp.headers


async def test_failures_from_one_address_lock_it_across_accounts_and_tokens(settings_for, start_app):
    settings = gateway_settings(settings_for, login_ip_failures=4, login_account_failures=100,
                                trust_forwarded_for=True)
    await add_staff(settings, "staff1", "correct horse", "mch_001")
    client = await start_app(create_app(settings))
    attacker = {"X-Forwarded-For": "203.0.113.7"}
    assert (await login(client, "x", username="a", **attacker)).status == 401
    assert (await login(client, "x", username="b", **attacker)).status == 401
    assert (await client.get("/api/me", headers=attacker)).status == 401  # no token
    resp = await client.get("/api/me", headers={**attacker, "Authorization": "Bearer forged.token"})
    assert resp.status == 429 and (await resp.json())["code"] == "too_many_attempts"
    # Locked: even a valid token or the right password from there is refused, so nothing can be learnt.
    valid = {"Authorization": f"Bearer {user_token(settings)}"}
    resp = await client.get("/api/search/history", headers={**attacker, **valid})
    assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 1
    assert (await login(client, "correct horse", **attacker)).status == 429
    # Another address is not affected.
    assert (await login(client, "correct horse", **{"X-Forwarded-For": "198.51.100.1"})).status == 200


async def test_an_expired_token_is_not_counted_as_guessing(settings_for, start_app):
    from services.gateway.auth import Identity, issue_token

    settings = gateway_settings(settings_for, login_ip_failures=2)
    client = await start_app(create_app(settings))
    # issued an hour ago for ten minutes: past its expiry and past the clock-skew leeway
    expired = issue_token(settings.token_secret, Identity(kind="user", subject="u_1"), 600, now=time.time() - 3600)
    for _ in range(3):
        resp = await client.get("/api/me", headers={"Authorization": f"Bearer {expired}"})
        assert resp.status == 401 and (await resp.json())["code"] == "token_expired"


async def test_the_limiter_takes_the_address_the_trusted_proxy_appended(settings_for, start_app):
    settings = gateway_settings(settings_for, rate_ip_limit=2, trust_forwarded_for=True,
                                rate_window_seconds=10**9)  # one window for the whole test
    client = await start_app(create_app(settings))
    statuses = []
    for spoofed in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):  # the client varies the first entry...
        resp = await client.post("/api/session/refresh", json={"refresh_token": "nope"},
                                 headers={"X-Forwarded-For": f"{spoofed}, 192.0.2.10"})  # ...the proxy's is last
        statuses.append(resp.status)
    assert statuses[:2] == [401, 401] and statuses[2] == 429
    resp = await client.post("/api/session/refresh", json={"refresh_token": "nope"},
                             headers={"X-Forwarded-For": "3.3.3.3, 192.0.2.11"})
    assert resp.status == 401


async def test_every_answer_carries_security_headers_and_no_server_version(settings_for, start_app):
    settings = gateway_settings(settings_for)
    client = await start_app(create_app(settings))
    for path in ("/healthz", "/api/me", "/no/such/thing", "/api/openapi.json"):
        resp = await client.get(path)
        assert resp.headers["X-Content-Type-Options"] == "nosniff", path
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["Server"] == "mpmall"
    page = await client.get("/console/")
    assert page.status == 200 and page.content_type == "text/html"
    policy = page.headers["Content-Security-Policy"]
    # The console (console/dist, which deploy/test.sh builds) loads its own script and style files and calls its
    # own API; no inline script, no inline style but its own nonce'd style elements, no framing.
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    [script] = re.findall(r'<script type="module" crossorigin src="(/console/assets/[^"]+)"', await page.text())
    asset = await client.get(script)
    assert asset.status == 200 and asset.headers["X-Content-Type-Options"] == "nosniff"


async def test_readiness_and_metrics_are_for_operators_only(settings_for, start_app):
    settings = gateway_settings(settings_for, internal_token="ops-secret")
    client = await start_app(create_app(settings))
    assert (await client.get("/healthz")).status == 200  # liveness stays open
    for path in ("/readyz", "/metrics"):
        resp = await client.get(path)
        assert resp.status == 401 and (await resp.json())["code"] == "internal_only"
        resp = await client.get(path, headers={"X-Internal-Token": "wrong"})
        assert resp.status == 401
    assert (await client.get("/readyz", headers={"X-Internal-Token": "ops-secret"})).status == 200
    metrics = await client.get("/metrics", headers={"X-Internal-Token": "ops-secret"})
    assert metrics.status == 200 and "http_requests_total" in await metrics.text()


async def raw_request(client: Any, request: bytes) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    try:
        writer.write(request)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


async def test_oversized_urls_and_headers_are_problem_documents(settings_for, start_app):
    client = await start_app(create_app(gateway_settings(settings_for)))
    long_url = b"GET /api/products?q=" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    status, headers, body = await raw_request(client, long_url)
    assert status == 414 and headers["content-type"].startswith("application/problem+json")
    assert orjson.loads(body)["code"] == "uri_too_long"
    assert headers["server"] == "mpmall" and headers["x-content-type-options"] == "nosniff"

    big_header = b"GET /api/home HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n"
    status, headers, body = await raw_request(client, big_header)
    assert status == 431 and headers["content-type"].startswith("application/problem+json")
    assert orjson.loads(body) == {"type": "https://mpmall.dev/problems/header_too_large", "status": 431,
                                  "code": "header_too_large", "title": "Request header fields too large",
                                  "detail": "The request headers are too large"}

    status, headers, body = await raw_request(client, b"NOT HTTP AT ALL\r\n\r\n")
    assert status == 400 and orjson.loads(body)["code"] == "bad_http_request"


async def test_no_origin_is_allowed_unless_configured(settings_for, start_app):
    client = await start_app(create_app(gateway_settings(settings_for)))
    for origin in ("http://localhost:5173", "http://127.0.0.1:8080", "http://evil.example"):
        resp = await client.options("/api/me", headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
        assert "Access-Control-Allow-Origin" not in resp.headers


async def test_json_types_and_media_type_are_strict(settings_for, start_app):
    settings = gateway_settings(settings_for)
    client = await start_app(create_app(settings))
    auth = {"Authorization": f"Bearer {user_token(settings)}"}
    for qty in ("2", True, 2.0):
        resp = await client.post("/api/checkout/preview", json={"items": [{"sku_id": "s", "qty": qty}]},
                                 headers=auth)
        assert resp.status == 422, qty
        assert (await resp.json())["errors"][0]["field"] == "items.0.qty"
    resp = await client.post("/api/checkout/preview", data=orjson.dumps({"items": [{"sku_id": "s", "qty": 1}]}),
                             headers={**auth, "Content-Type": "text/plain"})
    assert resp.status == 415 and resp.content_type == "application/problem+json"
    assert (await resp.json())["code"] == "unsupported_media_type"
    for page in ("1.0", "1e0", "one"):
        resp = await client.get("/api/categories/c1/products", params={"page": page}, headers=auth)
        assert resp.status == 422, page
        assert (await resp.json())["errors"][0]["field"] == "page"
    # Integers written as integers pass (catalog is down here: 503 means the gateway let it through).
    resp = await client.get("/api/categories/c1/products", params={"page": "2"}, headers=auth)
    assert resp.status == 503


async def test_a_login_with_a_username_the_database_cannot_hold_is_refused_not_a_500(settings_for, start_app):
    client = await start_app(create_app(gateway_settings(settings_for)))
    for raw_username in ("staff\\u0000one", "\\udcb7staff"):  # a NUL, a lone surrogate (JSON escapes)
        resp = await client.post("/api/merchant/session", data=f'{{"username": "{raw_username}", "password": "pw"}}',
                                 headers={"Content-Type": "application/json"})
        assert resp.status in (400, 422), await resp.text()  # a clear refusal, never a 500
