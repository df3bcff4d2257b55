"""The gateway's own edges on real PostgreSQL and RabbitMQ: tokens, staff login, problems, limits, CORS."""

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import asyncpg

from services.gateway import ratelimit
from services.gateway.app import create_app
from services.gateway.deps import deps_of
from tests.integration.gateway.support import add_staff, gateway_settings, staff_token, user_token
from tests.support import eventually


async def test_no_token_is_401_and_a_wrong_kind_of_token_is_403(settings_for, start_app):
    settings = gateway_settings(settings_for)
    client = await start_app(create_app(settings))
    resp = await client.get("/api/me")
    assert resp.status == 401
    assert resp.content_type == "application/problem+json"
    doc = await resp.json()
    assert doc["status"] == 401 and doc["code"] == "unauthorized" and doc["title"]
    resp = await client.get("/api/me", headers={"Authorization": "Bearer not.valid"})
    assert resp.status == 401
    resp = await client.get("/api/merchant/orders", headers={"Authorization": f"Bearer {user_token(settings)}"})
    assert resp.status == 403 and (await resp.json())["code"] == "merchant_only"
    resp = await client.get("/api/orders", headers={"Authorization": f"Bearer {staff_token(settings)}"})
    assert resp.status == 403 and (await resp.json())["code"] == "user_only"


async def test_staff_log_in_with_a_token_scoped_to_their_merchant(settings_for, start_app):
    settings = gateway_settings(settings_for)
    await add_staff(settings, "staff1", "correct horse", "mch_001")
    client = await start_app(create_app(settings))
    resp = await client.post("/api/merchant/session", json={"username": "staff1", "password": "wrong"})
    assert resp.status == 401 and (await resp.json())["code"] == "invalid_credentials"
    resp = await client.post("/api/merchant/session", json={"username": "nobody", "password": "x"})
    assert resp.status == 401
    resp = await client.post("/api/merchant/session", json={"username": "staff1", "password": "correct horse"})
    assert resp.status == 200
    session = await resp.json()
    assert session["merchant_id"] == "mch_001"
    # The staff token passes the gateway's checks; the analytics service is down here, hence 503.
    resp = await client.get("/api/merchant/metrics?from=2026-01-01&to=2026-01-07",
                            headers={"Authorization": f"Bearer {session['token']}"})
    assert resp.status == 503
    doc = await resp.json()
    assert doc["code"] == "service_unavailable" and resp.content_type == "application/problem+json"


async def test_bad_json_is_400_invalid_fields_422_and_oversize_413(settings_for, start_app):
    settings = gateway_settings(settings_for, max_body_bytes=1024)
    client = await start_app(create_app(settings))
    auth = {"Authorization": f"Bearer {user_token(settings)}", "Content-Type": "application/json"}
    resp = await client.post("/api/checkout/preview", data=b"{not json", headers=auth)
    assert resp.status == 400 and (await resp.json())["code"] == "invalid_json"
    resp = await client.post("/api/checkout/preview", json={"items": [{"sku_id": "s", "qty": 0}]}, headers=auth)
    assert resp.status == 422
    doc = await resp.json()
    assert doc["errors"][0]["field"] == "items.0.qty" and doc["errors"][0]["message"]
    big = b'{"items": [' + b'{"sku_id": "x", "qty": 1},' * 200 + b'{"sku_id": "x", "qty": 1}]}'
    resp = await client.post("/api/checkout/preview", data=big, headers=auth)
    assert resp.status == 413 and (await resp.json())["status"] == 413
    resp = await client.post("/api/orders", json={"items": [{"sku_id": "s", "qty": 1}]}, headers=auth)
    assert resp.status == 400 and (await resp.json())["code"] == "idempotency_key_missing"


async def test_too_fast_is_429_with_retry_after(settings_for, start_app):
    # An hour's window: a test that straddled a minute's turn would see its count start again.
    settings = gateway_settings(settings_for, rate_user_limit=5, rate_ip_limit=1000, rate_window_seconds=3600)
    client = await start_app(create_app(settings))
    auth = {"Authorization": f"Bearer {user_token(settings)}"}
    statuses = [(await client.get("/api/search/history", headers=auth)).status for _ in range(5)]
    assert 429 not in statuses
    resp = await client.get("/api/search/history", headers=auth)
    assert resp.status == 429
    assert 1 <= int(resp.headers["Retry-After"]) <= settings.rate_window_seconds
    assert (await resp.json())["code"] == "rate_limited"
    # Another user from the same address is not slowed down by the first one's limit.
    other = {"Authorization": f"Bearer {user_token(settings, 'u_other')}"}
    assert (await client.get("/api/search/history", headers=other)).status != 429


async def test_the_count_starts_again_with_the_next_window(settings_for, monkeypatch, start_app):
    now = 60 * 16_666_666 + 30.0  # half-way through a minute's window, on the limiter's clock
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now, monotonic=time.monotonic))
    settings = gateway_settings(settings_for, rate_user_limit=2, rate_ip_limit=1000, rate_window_seconds=60)
    client = await start_app(create_app(settings))
    auth = {"Authorization": f"Bearer {user_token(settings)}"}
    assert [(await client.get("/api/search/history", headers=auth)).status != 429 for _ in range(2)] == [True] * 2
    resp = await client.get("/api/search/history", headers=auth)
    assert resp.status == 429 and resp.headers["Retry-After"] == "30"  # the seconds left of this window
    now += 29.5
    resp = await client.get("/api/search/history", headers=auth)
    assert resp.status == 429 and resp.headers["Retry-After"] == "1"
    now += 0.5  # the next window: the count starts again
    assert [(await client.get("/api/search/history", headers=auth)).status != 429 for _ in range(2)] == [True] * 2
    assert (await client.get("/api/search/history", headers=auth)).status == 429


async def test_two_replicas_share_one_limit_and_each_refuses_past_it(settings_for, start_app):
    # Each replica counts in memory and adds its counts to PostgreSQL at its sync (run by hand here, the
    # background sync's interval set out of the way), learning every replica's total in return.
    settings = gateway_settings(settings_for, rate_user_limit=10, rate_ip_limit=1000,
                                rate_window_seconds=10**9, rate_sync_seconds=10)
    a, b = await start_app(create_app(settings)), await start_app(create_app(settings))
    auth = {"Authorization": f"Bearer {user_token(settings)}"}

    async def statuses(replica: Any, count: int) -> list[int]:
        return [429 if (await replica.get("/api/search/history", headers=auth)).status == 429 else 0
                for _ in range(count)]

    assert await statuses(a, 6) == [0] * 6
    await deps_of(a.app).limiter.sync()
    assert await statuses(b, 1) == [0]  # b had not synced yet: within the documented lag
    await deps_of(b.app).limiter.sync()  # b now counts a's six
    assert await statuses(b, 5) == [0, 0, 0, 429, 429]  # 10 in all, then refused
    await deps_of(b.app).limiter.sync()
    # a learns b's hits at its next sync; until then it may admit what it takes in one interval (here one).
    assert await statuses(a, 1) == [0]
    await deps_of(a.app).limiter.sync()
    assert await statuses(a, 2) == [429, 429]
    assert await statuses(b, 1) == [429]


async def test_hits_on_their_way_to_postgresql_still_count_against_the_limit(settings_for, start_app,
                                                                             database_url):
    # A sync takes the replica's counts to PostgreSQL; requests arriving during that round trip must still see
    # them (here the round trip is held by a lock on the table, as a slow database would).
    settings = gateway_settings(settings_for, rate_user_limit=3, rate_ip_limit=1000,
                                rate_window_seconds=10**9, rate_sync_seconds=10)
    client = await start_app(create_app(settings))
    auth = {"Authorization": f"Bearer {user_token(settings)}"}
    for _ in range(3):
        assert (await client.get("/api/search/history", headers=auth)).status != 429
    conn = await asyncpg.connect(database_url)
    try:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("LOCK TABLE gateway.rate_limits IN ACCESS EXCLUSIVE MODE")
        sync = asyncio.create_task(deps_of(client.app).limiter.sync())
        await eventually(lambda: conn.fetchval(
            "SELECT true FROM pg_locks WHERE relation = 'gateway.rate_limits'::regclass AND NOT granted"), timeout=5)
        assert (await client.get("/api/search/history", headers=auth)).status == 429
        await tx.rollback()
        await sync
    finally:
        await conn.close()
    assert (await client.get("/api/search/history", headers=auth)).status == 429


async def test_per_ip_limit_applies_without_a_token(settings_for, start_app):
    # One window for the whole test: at a window's turn the count starts again, and under load four requests
    # may straddle one.
    settings = gateway_settings(settings_for, rate_ip_limit=3, rate_window_seconds=10**9)
    client = await start_app(create_app(settings))
    for _ in range(3):
        await client.post("/api/session/refresh", json={"refresh_token": "nope"})
    resp = await client.post("/api/session/refresh", json={"refresh_token": "nope"})
    assert resp.status == 429 and "Retry-After" in resp.headers


async def test_request_ids_cors_and_the_openapi_document(settings_for, start_app):
    settings = gateway_settings(settings_for, cors_origins=["http://localhost:5173"])
    client = await start_app(create_app(settings))
    resp = await client.get("/api/openapi.json", headers={"X-Request-Id": "req-abc"})
    assert resp.status == 200 and resp.headers["X-Request-Id"] == "req-abc"
    doc = await resp.json()
    assert doc["openapi"].startswith("3.1")
    assert "post" in doc["paths"]["/api/orders"] and "get" in doc["paths"]["/api/home"]
    resp = await client.options("/api/me", headers={"Origin": "http://localhost:5173",
                                                    "Access-Control-Request-Method": "GET"})
    assert resp.status == 204
    assert resp.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert "Authorization" in resp.headers["Access-Control-Allow-Headers"]
    resp = await client.get("/api/me", headers={"Origin": "http://localhost:5173"})
    assert resp.status == 401 and resp.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    resp = await client.options("/api/me", headers={"Origin": "http://evil.example",
                                                    "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in resp.headers


async def test_a_users_first_visit_of_the_day_is_one_user_active_event(settings_for, start_app, database_url):
    settings = gateway_settings(settings_for)
    client = await start_app(create_app(settings))
    auth = {"Authorization": f"Bearer {user_token(settings, 'u_visitor')}", "X-Request-Id": "visit-1"}
    for _ in range(3):
        await client.get("/api/search/history", headers={**auth, "X-Entry": "scan"})
    await client.get("/api/search/history", headers=auth)
    conn = await asyncpg.connect(database_url)
    try:
        async def events():
            rows = await conn.fetch("SELECT payload FROM gateway.outbox WHERE event_type = 'user.active'")
            return rows if len(rows) >= 2 else None

        rows = await eventually(events, timeout=5)
    finally:
        await conn.close()
    import orjson

    payloads = [orjson.loads(r["payload"]) if isinstance(r["payload"], str | bytes) else r["payload"]
                for r in rows]
    assert sorted(p["data"]["entry"] for p in payloads) == ["other", "scan"]
    assert all(p["data"]["user_id"] == "u_visitor" and p["correlation_id"] == "visit-1" for p in payloads)
