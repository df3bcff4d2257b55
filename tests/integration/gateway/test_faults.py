"""A transient outage reaches a buyer through the gateway as 503 with Retry-After, never 500 or 502: a service
whose database drops or refuses its connections, and a service that is down. Real services, real PostgreSQL;
sessions are terminated only in this test's own database."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from urllib.parse import urlsplit

import asyncpg

from services.gateway.app import create_app
from tests.integration.gateway.support import gateway_settings, user_token
from tests.integration.gateway.test_routing import create_product

KILL_MALL = ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
             "AND usename LIKE 'mall\\_%' AND pid <> pg_backend_pid()")


async def test_a_service_whose_database_refuses_connections_is_503_through_the_gateway(mall, database_url):
    alice = mall.user("u_alice")
    assert (await mall.gateway.get("/api/products/p_none", headers=alice)).status == 404  # catalog answers
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f"ALTER DATABASE {urlsplit(database_url).path.lstrip('/')} CONNECTION LIMIT 0")
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND usename = 'mall_catalog'")
    finally:
        await admin.close()
    resp = await mall.gateway.get("/api/products/p_none", headers=alice)
    assert resp.status == 503, await resp.text()
    assert resp.content_type == "application/problem+json"
    assert resp.headers["Retry-After"] == "1"
    assert (await resp.json())["code"] == "temporarily_unavailable"  # catalog's own problem, passed through


async def test_a_service_that_is_down_is_503_with_retry_after(settings_for, start_app):
    settings = gateway_settings(settings_for)  # every service URL points at a closed port
    client = await start_app(create_app(settings))
    resp = await client.get("/api/products/p_1", headers={"Authorization": f"Bearer {user_token(settings)}"})
    assert resp.status == 503
    assert resp.headers["Retry-After"] == "1"
    assert (await resp.json())["code"] == "service_unavailable"


async def test_sessions_terminated_again_and_again_under_load_give_200_or_503_never_500(mall, database_url):
    product = await create_product(mall)
    gw, alice = mall.gateway, mall.user("u_alice")
    targets = [("GET", f"/api/products/{product['id']}"), ("GET", "/api/search?q=shouji"),
               ("GET", "/api/categories"), ("PUT", f"/api/favorites/products/{product['id']}")]
    answers: Counter[tuple[str, int]] = Counter()
    without_retry_after: list[str] = []
    stop = asyncio.Event()

    async def buyer(user: dict[str, str]) -> None:
        while not stop.is_set():
            for method, target in targets:
                async with gw.request(method, target, headers=user) as resp:
                    answers[(method, resp.status)] += 1
                    if resp.status == 503 and "Retry-After" not in resp.headers:
                        without_retry_after.append(target)

    async def operator() -> None:
        admin = await asyncpg.connect(database_url)
        try:
            for _ in range(15):  # every service's sessions, about every 0.2 s for 3 s
                await admin.execute(KILL_MALL)
                await asyncio.sleep(0.2)
        finally:
            await admin.close()
            stop.set()

    buyers = [asyncio.create_task(buyer(mall.user(f"u_buyer{i}"))) for i in range(4)]
    try:
        await operator()
        await asyncio.gather(*buyers)
    finally:
        for task in buyers:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    statuses = {status for _, status in answers}
    assert statuses <= {200, 204, 503}, answers
    assert answers[("GET", 200)] > 0 and not without_retry_after
    # Once the storm is over, everything answers again.
    assert (await gw.get(f"/api/products/{product['id']}", headers=alice)).status == 200
