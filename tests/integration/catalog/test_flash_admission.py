"""The flash-sale admitter under a race, as two replicas would run it: two admitters on two connection pools,
hundreds of buyers asking at once (some asking again with the same key), never more admitted than the sale
has nor a buyer past the limit; admissions no order took are released by the job, and admitted again."""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from collections.abc import AsyncIterator

import pytest

from services.catalog.admitter import FlashAdmitter
from services.catalog.deps import CatalogDeps, deps_of
from services.catalog.domain import AdmissionRequest
from services.catalog.jobs import release_unclaimed_admissions
from shared.clock import ManualClock
from shared.db import Database, create_pool, service_dsn
from shared.refusal import Refusal
from tests.integration.catalog.conftest import Catalog
from tests.integration.catalog.test_flash_sales import LIST_PRICE, schedule

QUANTITY, LIMIT = 60, 3


@pytest.fixture
def catalog_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def second_replica(catalog: Catalog, database_url: str, catalog_clock: ManualClock
                         ) -> AsyncIterator[FlashAdmitter]:
    """Another process's admitter: its own pool, its own batches."""
    pool = await create_pool(service_dsn(database_url, "catalog"), "catalog", max_size=4)
    yield FlashAdmitter(Database(pool, "catalog"), catalog_clock, max_batch=50)
    await pool.close()


def deps(catalog: Catalog) -> CatalogDeps:
    return deps_of(catalog.client.app)


async def ask(admitter: FlashAdmitter, sale_id: str, request: AdmissionRequest) -> str:
    """The admission id, or the refusal's code."""
    try:
        return await admitter.admit(sale_id, request)
    except Refusal as refusal:
        return refusal.code


async def test_two_admitters_never_oversell_nor_pass_the_limit_and_released_units_sell_again(
        catalog: Catalog, second_replica: FlashAdmitter, catalog_clock: ManualClock) -> None:
    _, sku = await catalog.product("秒杀显卡", price_fen=LIST_PRICE, stock=QUANTITY)
    sale = await (await schedule(catalog, sku, quantity=QUANTITY, limit=LIMIT)).json()
    replicas = [deps(catalog).admitter, second_replica]
    rng = random.Random(17)
    # 50 buyers, 4 requests each of 1 or 2 units (demand far over 60 units and over each buyer's 3), and a
    # retry of a quarter of them with the same key, each sent to either replica.
    requests = [AdmissionRequest(key=f"k{b}-{n}", user_id=f"buyer{b}", sku_id=sku, qty=rng.choice([1, 2]))
                for b in range(50) for n in range(4)]
    requests += rng.sample(requests, len(requests) // 4)
    rng.shuffle(requests)
    answers = await asyncio.gather(*(ask(rng.choice(replicas), sale["id"], r) for r in requests))

    by_key: dict[tuple[str, str], set[str]] = defaultdict(set)
    for request, answer in zip(requests, answers, strict=True):
        by_key[(request.user_id, request.key)].add(answer)
    # An admitted request's retry gets the same admission (a refused one is decided again, and stays refused).
    admitted = {answer: key for key, got in by_key.items() for answer in got if answer.startswith("fa_")}
    assert all(len(got) == 1 for got in by_key.values() if got & set(admitted))
    assert set().union(*by_key.values()) - set(admitted) <= {"flash_sale_sold_out", "flash_sale_limit"}
    units: Counter[str] = Counter()
    qty = {(r.user_id, r.key): r.qty for r in requests}
    for key in admitted.values():
        units[key[0]] += qty[key]

    remaining = await catalog.db.fetchval("SELECT remaining FROM flash_sales WHERE id = $1", sale["id"])
    assert sum(units.values()) == QUANTITY - remaining and remaining <= 1  # sold out (a 2-unit ask may not fit)
    assert max(units.values()) <= LIMIT
    assert dict(await catalog.db.fetch("SELECT user_id, units FROM flash_buyers WHERE sale_id = $1 AND units > 0",
                                       sale["id"])) == dict(units)
    assert await catalog.db.fetchval("SELECT count(*) FROM flash_admissions WHERE sale_id = $1",
                                     sale["id"]) == len(admitted)

    # No order ever came for them: past the hold time the job gives every unit back, to the sale and to the
    # buyers' counts; then newcomers and the same buyers take them again, through both replicas.
    await release_unclaimed_admissions(deps(catalog))
    assert await catalog.db.fetchval("SELECT remaining FROM flash_sales WHERE id = $1", sale["id"]) == remaining
    catalog_clock.advance(seconds=deps(catalog).settings.flash_admission_hold_seconds + 1)
    await release_unclaimed_admissions(deps(catalog))
    assert await catalog.db.fetchval("SELECT remaining FROM flash_sales WHERE id = $1", sale["id"]) == QUANTITY
    assert await catalog.db.fetchval("SELECT sum(units) FROM flash_buyers WHERE sale_id = $1", sale["id"]) == 0

    again = [AdmissionRequest(key=f"again{n}", user_id=f"buyer{n % 30}", sku_id=sku, qty=1) for n in range(90)]
    answers = await asyncio.gather(*(ask(replicas[n % 2], sale["id"], r) for n, r in enumerate(again)))
    assert sum(a.startswith("fa_") for a in answers) == QUANTITY
    assert set(answers) - {a for a in answers if a.startswith("fa_")} == {"flash_sale_sold_out"}
    # A retry of a released admission's request finds it again (released), never a second admission.
    retried = next(iter(admitted.values()))
    assert await ask(second_replica, sale["id"], AdmissionRequest(key=retried[1], user_id=retried[0], sku_id=sku,
                                                                  qty=qty[retried])) in admitted


async def test_a_retried_request_gets_its_admission_over_http(catalog: Catalog) -> None:
    _, sku = await catalog.product("秒杀耳机", price_fen=LIST_PRICE, stock=5)
    sale = await (await schedule(catalog, sku, quantity=2, limit=2)).json()
    asked = {"X-User-Id": "u_retry", "Idempotency-Key": "place-1"}
    first, again = [await catalog.client.post(f"/flash-sales/{sale['id']}/admissions", headers=asked,
                                              json={"sku_id": sku, "qty": 2}) for _ in range(2)]
    assert (first.status, again.status) == (201, 201)
    assert (await first.json())["admission_id"] == (await again.json())["admission_id"]
    other = await catalog.client.post(f"/flash-sales/{sale['id']}/admissions",
                                      headers={"X-User-Id": "u_other", "Idempotency-Key": "place-1"},
                                      json={"sku_id": sku, "qty": 1})
    assert (other.status, (await other.json())["code"]) == (409, "flash_sale_sold_out")
    missing = await catalog.client.post(f"/flash-sales/{sale['id']}/admissions", headers={"X-User-Id": "u_retry"},
                                        json={"sku_id": sku, "qty": 1})
    assert missing.status == 400 and (await missing.json())["code"] == "idempotency_key_missing"
    unknown = await catalog.client.post("/flash-sales/fs_nope/admissions", headers=asked,
                                        json={"sku_id": sku, "qty": 1})
    assert (unknown.status, (await unknown.json())["code"]) == (404, "flash_sale_unknown")


async def test_the_gateway_releases_an_admission_whose_placement_was_refused(catalog: Catalog) -> None:
    _, sku = await catalog.product("秒杀键盘", price_fen=LIST_PRICE, stock=5)
    sale = await (await schedule(catalog, sku, quantity=2, limit=2)).json()

    async def admit(user_id: str, key: str) -> str:
        resp = await catalog.client.post(f"/flash-sales/{sale['id']}/admissions", json={"sku_id": sku, "qty": 2},
                                         headers={"X-User-Id": user_id, "Idempotency-Key": key})
        assert resp.status == 201, await resp.text()
        return str((await resp.json())["admission_id"])

    async def release(user_id: str, admission_id: str) -> tuple[int, str | None]:
        resp = await catalog.client.delete(f"/flash-sales/{sale['id']}/admissions/{admission_id}",
                                           headers={"X-User-Id": user_id})
        return resp.status, (await resp.json())["code"] if resp.status != 204 else None

    admission = await admit("u_refused", "place-1")
    assert await release("u_other", admission) == (404, "flash_admission_not_found")  # not theirs
    assert await release("u_refused", admission) == (204, None)
    assert await release("u_refused", admission) == (204, None)  # a retry: released once
    assert await catalog.db.fetchval("SELECT remaining FROM flash_sales WHERE id = $1", sale["id"]) == 2
    assert await catalog.db.fetchval("SELECT units FROM flash_buyers WHERE sale_id = $1 AND user_id = $2",
                                     sale["id"], "u_refused") == 0

    taken = await admit("u_refused", "place-2")
    await catalog.db.execute("UPDATE flash_admissions SET order_id = 'ord_took_it' WHERE id = $1", taken)
    assert await release("u_refused", taken) == (409, "flash_admission_taken")  # the order's, not this call's
    assert await catalog.db.fetchval("SELECT remaining FROM flash_sales WHERE id = $1", sale["id"]) == 0
