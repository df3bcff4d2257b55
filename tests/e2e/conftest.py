"""The whole mall for the end-to-end tests: every service its own process (deploy.local), on this test's
database and bus, with the demo data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from deploy.local import SERVICES, LocalMall
from shared.bus import every_queue, queue_names
from tests.conftest import remember_queues

PAY_TIMEOUT_SECONDS = 4
USER_LIMIT = 100


@pytest.fixture
async def mall(database_url: str, amqp_url: str, bus_prefix: str, output_dir: Path) -> AsyncIterator[LocalMall]:
    for service in SERVICES:
        names = queue_names(bus_prefix, service, [1_000, 5_000, 30_000])
        remember_queues(bus_prefix, every_queue(names))
    mall = LocalMall(database_url, amqp_url, bus_prefix=bus_prefix, workdir=output_dir / "e2e" / bus_prefix.rstrip("."),
                     env={"MALL_PAY_TIMEOUT_SECONDS": str(PAY_TIMEOUT_SECONDS), "MALL_DEADLINE_POLL_SECONDS": "0.3",
                          "MALL_RATE_USER_LIMIT": str(USER_LIMIT), "MALL_RATE_IP_LIMIT": "100000",
                          "MALL_OUTBOX_POLL_SECONDS": "0.2",
                          # Points release as soon as an order is received (production: 7 days after).
                          "MALL_POINTS_RELEASE_DAYS": "0", "MALL_POINTS_RELEASE_SECONDS": "0.3"})
    await mall.prepare()
    try:
        await mall.start()
        await mall.seed()
        yield mall
    finally:
        await mall.stop()
