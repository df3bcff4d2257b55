"""What the order reads cost as the mall's orders grow from 10,000 to 1,000,000, in one run.

    python -m bench.orders_scale [--small 10000] [--large 1000000] [--calls 200] [--explain]

Uses MALL_TEST_DATABASE_URL / MALL_TEST_AMQP_URL or the local servers; creates and drops its own database and
bus prefix, bootstrapped as deploy.local does (each service's role, schema and migrations), and starts the
orders and analytics services (their own processes, as in production). `load` writes orders the way the
services would have: orders' orders and order_lines, and analytics' facts (orders, order_lines, payments,
fulfilment) as its handlers write them from order.placed / order.paid / order.shipped..., with COPY.

The mall sells 1,000 orders a day, one in ten by the shop measured (`mch_scale`, 100 a day); 200 buyers
share them. Order i is placed i / 1,000 days before now: the newest `--small` orders are the same in both
rounds, and growing to `--large` adds history (1,000 days of it at a million), the way a mall's data grows.
So a buyer has 50 orders at 10,000 and 5,000 at a million; the shop 1,000 and 100,000. The metrics read the
shop's last 7 days (700 orders) in both rounds.

Each read is called `--calls` times in turn (one at a time: the latency of the read alone, on this shared
machine), directly on the service with the headers the gateway sends, after 10 warm-up calls; p50 and p99,
and the ratio large/small. `--explain` prints EXPLAIN ANALYZE of the merchant list's queries at the large size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
import orjson

from bench.scratch import scratch_mall
from deploy.local import LocalMall

SHOP = "mch_scale"
BUYER = "u_s7"
BUYERS = 200
PER_DAY = 1000  # the mall's orders a day; the shop takes one in ten
ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime.now(UTC).replace(microsecond=0)
CHUNK = 50_000


def order_id(i: int) -> str:
    return str(uuid.UUID(int=random.Random(i).getrandbits(128), version=4))


def rows(first: int, last: int) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    """Orders first..last-1 as the rows of each table, CHUNK orders at a time."""
    for start in range(first, last, CHUNK):
        out: dict[str, list[tuple[Any, ...]]] = {k: [] for k in (
            "orders", "order_lines", "a_orders", "a_order_lines", "payments", "fulfilment")}
        for i in range(start, min(start + CHUNK, last)):
            oid, rnd = order_id(i), random.Random(-i)
            merchant = SHOP if i % 10 == 0 else f"mch_s{i % 97}"
            user = f"u_s{i % BUYERS}"
            created = NOW - timedelta(seconds=i * 86400 / PER_DAY)
            age_days = i / PER_DAY
            method = "pickup" if rnd.random() < 0.3 else "express"
            delivery = {"method": method, "store_id": "sto_1"} if method == "pickup" else {
                "method": method, "address": {"name": "收货人", "phone": "13800000000", "city": "杭州"}}
            roll = rnd.random()
            if roll < 0.1:
                status = "CANCELLED"
            elif age_days > 15:
                status = "COMPLETED"
            else:
                status = ("AWAITING_PAYMENT", "PAID", "SHIPPED", "DELIVERED", "COMPLETED")[int(roll * 10) % 5]
                if method == "pickup" and status in ("SHIPPED", "DELIVERED"):
                    status = "READY_FOR_PICKUP"
            paid = status not in ("CANCELLED", "AWAITING_PAYMENT")
            paid_at = created + timedelta(minutes=2) if paid else None
            shipped_at = created + timedelta(hours=20) if paid and status != "PAID" and method == "express" else None
            done_at = created + timedelta(days=3) if status == "COMPLETED" else None
            lines = []
            for line_no in range(1, 2 + (i % 3 == 0)):
                sku = f"sku_{merchant}_{rnd.randrange(50)}_{line_no}"
                price = rnd.randrange(100, 50_000)
                member = price + 500 if rnd.random() < 0.1 else None
                lines.append((line_no, sku, f"prd_{sku}", f"商品 {sku}", 1 + rnd.randrange(3), price, member))
            subtotal = sum(q * p for _, _, _, _, q, p, _ in lines)
            out["orders"].append((
                oid, user, merchant, status, "home", "商品", subtotal, subtotal if status != "PENDING" else None,
                "reserved", "none", created + timedelta(minutes=15), paid_at and f"pay_{oid}",
                paid_at and "alipay", paid_at and subtotal, paid_at, shipped_at, done_at,
                created - timedelta(days=1) if status == "CANCELLED" else None, created, created,
                orjson.dumps(delivery).decode()))
            day = created.astimezone(ZONE).date()
            out["a_orders"].append((oid, merchant, user, "home", subtotal, 0, 0, subtotal, day,
                                    day if status == "CANCELLED" else None))
            for line_no, sku, product, name, qty, price, member in lines:
                out["order_lines"].append((oid, line_no, f"{oid}-{line_no}", sku, product, name, qty, price, member))
                out["a_order_lines"].append((oid, sku, merchant, product, name, qty, price, member))
            if paid_at is not None:
                out["payments"].append((f"pay_{oid}", oid, merchant, user, "alipay", subtotal, paid_at,
                                        paid_at.astimezone(ZONE).date()))

            def day_of(at: datetime | None) -> Any:
                return at and at.astimezone(ZONE).date()
            picked = done_at if method == "pickup" else None
            delivered = done_at if method == "express" else None
            out["fulfilment"].append((oid, merchant, method, "sto_1" if method == "pickup" else None,
                                      paid_at, day_of(paid_at), shipped_at, day_of(shipped_at),
                                      delivered, day_of(delivered), picked, day_of(picked)))
        yield out


COLUMNS = {
    ("orders", "orders"): ("orders", [
        "id", "user_id", "merchant_id", "status", "entry", "subject", "subtotal_fen", "payable_fen",
        "stock_status", "promotion_status", "pay_by", "payment_id", "payment_method", "paid_fen", "paid_at",
        "shipped_at", "completed_at", "cancelled_at", "created_at", "updated_at", "delivery"]),
    ("orders", "order_lines"): ("order_lines", [
        "order_id", "line_no", "id", "sku_id", "product_id", "name", "qty", "unit_price_fen", "list_price_fen"]),
    ("analytics", "a_orders"): ("orders", [
        "order_id", "merchant_id", "user_id", "entry", "subtotal_fen", "discount_fen", "points_fen", "payable_fen",
        "placed_day", "cancelled_day"]),
    ("analytics", "a_order_lines"): ("order_lines", [
        "order_id", "sku_id", "merchant_id", "product_id", "name", "qty", "unit_price_fen", "list_price_fen"]),
    ("analytics", "payments"): ("payments", [
        "payment_id", "order_id", "merchant_id", "user_id", "method", "amount_fen", "occurred_at", "day"]),
    ("analytics", "fulfilment"): ("fulfilment", [
        "order_id", "merchant_id", "method", "store_id", "paid_at", "paid_day", "shipped_at", "shipped_day",
        "delivered_at", "delivered_day", "picked_up_at", "picked_up_day"]),
}


async def load(dsn: str, first: int, last: int) -> float:
    """Orders first..last-1 into orders' and analytics' tables with COPY; then VACUUM ANALYZE. Seconds taken."""
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        for chunk in rows(first, last):
            async with conn.transaction():
                for (schema, key), (table, columns) in COLUMNS.items():
                    await conn.copy_records_to_table(table, schema_name=schema, columns=columns,
                                                     records=chunk[key])
        for schema, table in {(schema, table) for (schema, _), (table, _) in COLUMNS.items()}:
            await conn.execute(f"VACUUM ANALYZE {schema}.{table}")
    finally:
        await conn.close()
    return time.perf_counter() - started


def figures(ms: list[float]) -> tuple[float, float]:
    ms = sorted(ms)
    return statistics.median(ms), ms[min(len(ms) - 1, int(len(ms) * 0.99))]


def reads(shop_orders: list[str]) -> dict[str, tuple[str, str, dict[str, str]]]:
    """name -> (service, path with query, headers besides the internal token)."""
    week_ago = (NOW - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    today = NOW.astimezone(ZONE).date()
    shop = {"X-Merchant-Id": SHOP, "X-User-Id": "staff_scale"}
    part = shop_orders[0][-6:].upper()
    return {
        "buyer list": ("orders", "/orders?limit=20", {"X-User-Id": BUYER}),
        "buyer list status=COMPLETED": ("orders", "/orders?limit=20&status=COMPLETED", {"X-User-Id": BUYER}),
        "merchant list": ("orders", "/merchant/orders?limit=20", shop),
        "merchant status=COMPLETED": ("orders", "/merchant/orders?limit=20&status=COMPLETED", shop),
        "merchant status=PAID": ("orders", "/merchant/orders?limit=20&status=PAID", shop),
        "merchant delivery=pickup": ("orders", "/merchant/orders?limit=20&delivery_method=pickup", shop),
        "merchant last 7 days": ("orders", f"/merchant/orders?limit=20&created_from={week_ago}", shop),
        "merchant q=<6 chars>": ("orders", f"/merchant/orders?limit=20&q={part}", shop),
        "merchant page 20": ("orders", "/merchant/orders?limit=20&page=20", shop),
        "metrics 7 days": ("analytics", f"/merchant/metrics?from={today - timedelta(days=6)}&to={today}", shop),
    }


async def measure(mall: LocalMall, calls: int, shop_orders: list[str]) -> dict[str, tuple[float, float, Any]]:
    out: dict[str, tuple[float, float, Any]] = {}
    async with aiohttp.ClientSession() as session:
        for name, (service, path, headers) in reads(shop_orders).items():
            headers = {**headers, "X-Internal-Token": mall.internal_token}
            url = mall.url(service) + path
            ms: list[float] = []
            answer: Any = None
            for n in range(10 + calls):
                started = time.perf_counter()
                async with session.get(url, headers=headers) as resp:
                    answer = await resp.json()
                    assert resp.status == 200, (name, resp.status, answer)
                if n >= 10:
                    ms.append((time.perf_counter() - started) * 1000)
            p50, p99 = figures(ms)
            summary = (len(answer["items"]), answer.get("total"), answer.get("total_exact")) \
                if "items" in answer else answer["kpis"].get("orders")
            out[name] = (p50, p99, summary)
    return out


async def explain(dsn: str, shop_orders: list[str]) -> None:
    """EXPLAIN ANALYZE the merchant list's page and count as orders runs them (services/orders/store.py)."""
    from services.orders.store import EXACT_TOTAL_CAP, ORDER_COLUMNS, merchant_where
    conn = await asyncpg.connect(dsn, server_settings={"search_path": "orders"})
    try:
        for label, where in (
                ("no filter", merchant_where(SHOP, None, None, None, None, None)),
                ("status=COMPLETED", merchant_where(SHOP, "COMPLETED", None, None, None, None)),
                ("delivery=pickup", merchant_where(SHOP, None, "pickup", None, None, None)),
                ("q", merchant_where(SHOP, None, None, None, None, shop_orders[0][-6:]))):
            n = len(where.args)
            for sql, args in (
                    (f"SELECT {ORDER_COLUMNS} FROM orders WHERE {where} ORDER BY created_at DESC, id "
                     f"LIMIT ${n + 1} OFFSET ${n + 2}", [*where.args, 20, 0]),
                    (f"SELECT count(*) FROM (SELECT 1 FROM orders WHERE {where} LIMIT {EXACT_TOTAL_CAP + 1}) m",
                     where.args)):
                plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args)
                print(f"--- {label}: {sql.split(' FROM ')[0][:40]}...", *(r[0] for r in plan), sep="\n")
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    shop_orders = [order_id(i) for i in range(0, 100, 10)]
    results: list[tuple[int, float, dict[str, tuple[float, float, Any]]]] = []
    async with scratch_mall(start=False) as (mall, database):
        (mall.workdir / "logs").mkdir()  # start() would have made it
        for service in ("orders", "analytics"):
            await mall.start_replica(service)
            await mall.wait_ready(service)
        loaded = 0
        for size in (args.small, args.large):
            seconds = await load(database.url, loaded, size)
            loaded = size
            print(f"loaded {size:,} orders ({seconds:.0f} s); load average {os.getloadavg()[0]:.1f}", flush=True)
            results.append((size, os.getloadavg()[0], await measure(mall, args.calls, shop_orders)))
            for read, (p50, p99, summary) in results[-1][2].items():  # as it goes: a long run may be cut
                print(f"  {read:30}p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  {summary}", flush=True)
        if args.explain:
            await explain(database.url, shop_orders)
    (small, small_load, before), (large, large_load, after) = results
    print(f"{args.calls} calls each, one at a time, direct to the service; "
          f"load average {small_load:.1f} / {large_load:.1f}")
    print(f"{'read':30}{small:>10,} p50/p99 ms{large:>14,} p50/p99 ms   ratio p50/p99   answer at {large:,}")
    for read, (p50, p99, _) in before.items():
        q50, q99, summary = after[read]
        print(f"{read:30}{p50:10.1f} /{p99:6.1f}{q50:14.1f} /{q99:6.1f}      x{q50 / p50:.1f} / x{q99 / p99:.1f}"
              f"     {summary}")


if __name__ == "__main__":
    asyncio.run(main())
