"""A gateway given several replicas of a service (`MALL_CATALOG_URL=a,b`) on the real services: a replica that
is down (its port refuses connections) is skipped, so every call is answered by the one that is up; only
with every replica down does the client get 503 `service_unavailable`."""

from __future__ import annotations

from typing import Any

from services.gateway.app import create_app
from tests.integration.gateway.conftest import free_port
from tests.integration.gateway.test_routing import create_product


async def test_calls_go_round_the_replicas_and_skip_the_one_that_is_down(mall: Any, start_app: Any):
    product = await create_product(mall)
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there: connection refused
    settings = mall.settings.model_copy(update={"catalog_url": f"{down},{mall.settings.catalog_url}"})
    gateway = await start_app(create_app(settings))
    for _ in range(4):  # round-robin: half of these start at the replica that is down
        resp = await gateway.get(f"/api/products/{product['id']}", headers=mall.user())
        assert resp.status == 200, await resp.text()
    # A write too: nothing was sent to the replica that refused, so it goes to the next one.
    resp = await gateway.put("/api/merchant/profile", json={"name": "数码旗舰店"}, headers=mall.staff())
    assert resp.status == 200, await resp.text()

    all_down = mall.settings.model_copy(update={"catalog_url": f"{down},http://127.0.0.1:{free_port()}"})
    gateway = await start_app(create_app(all_down))
    resp = await gateway.get(f"/api/products/{product['id']}", headers=mall.user())
    assert resp.status == 503
    problem = await resp.json()
    assert problem["code"] == "service_unavailable" and resp.headers["Retry-After"]
