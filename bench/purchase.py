"""The whole purchase through the gateway, as buyers do it, with every service its own process.

    python -m bench.purchase [--buyers 20] [--seconds 20] [--warmup 5]

Uses MALL_TEST_DATABASE_URL / MALL_TEST_AMQP_URL or the local servers; creates and drops its own database
and bus prefix, and starts the mall as `deploy/run-local.sh` does (deploy.local.LocalMall: every service
its own process, the Alipay sandbox, the demo seed), the gateway's rate limits raised out of the way (still
counted, not switched off). Then `--buyers` logged-in buyers each run a closed loop, as the mini-program does:

  GET  /api/products/{id}                      the product page
  POST /api/orders                             place (Idempotency-Key); the gateway waits for the saga's word
  POST /api/orders/{id}/pay                    the trade to pay (Idempotency-Key)
  POST sandbox /sandbox/trades/{no}/pay        the buyer pays in the cashier; Alipay sends its notify
  POST /api/orders/{id}/payment-check          back from the cashier: until the order is PAID

Buyers pick among the demo catalogue's plain SKUs (stock raised so that nobody runs out). After `--warmup`
seconds the window of `--seconds` opens: purchases that end in it are counted, "placing" is the latency of
the POST /api/orders of purchases that end in it. CPU per purchase: each service process's utime + stime from
/proc/<pid>/stat at the window's start and end, PostgreSQL's backends serving this mall's database (those
connected at both reads), the broker's process (shared with whoever else uses it: an upper bound), and this
load generator itself; and the transactions of this mall's database (pg_stat_database) per purchase.

Where the work of a purchase goes, per purchase in the window: the events each service wrote to its outbox and
handled from its queue (inbox rows, by type), the HTTP requests each service answered (its /metrics), by
route, and the trades a payment check asked Alipay about (the rest it answered from what payments knew).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg

from bench.gateway import cpu_seconds
from bench.scratch import scratch_mall
from deploy.local import LocalMall

XACTS = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1"
SCHEMAS = "SELECT table_schema FROM information_schema.tables WHERE table_name = 'inbox' ORDER BY 1"
EVENTS = """
SELECT 'wrote' AS side, event_type, count(*) AS n FROM {schema}.outbox WHERE created_at >= $1 AND created_at < $2
GROUP BY event_type
UNION ALL
SELECT 'handled', event_type, count(*) FROM {schema}.inbox WHERE handled_at >= $1 AND handled_at < $2
GROUP BY event_type
"""
QUERIED = "SELECT count(*) FROM payments.alipay_trades WHERE checked_at >= $1 AND checked_at < $2"
REQUEST_LINE = re.compile(r'^http_requests_total\{(?P<labels>.*)\} (?P<n>[0-9.e+]+)$', re.M)  # routes hold {id}
CHECKS = 50  # payment-checks before a purchase is given up (each holds up to the order wait itself)


def broker_pids() -> list[int]:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["pgrep", "-f", "beam.smp"], capture_output=True, text=True, timeout=5).stdout
        return [int(p) for p in out.split()]
    return []


@dataclass
class Run:
    window: tuple[float, float] = (0.0, 0.0)
    purchases: int = 0
    placing: list[float] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)
    transactions: int = 0  # committed and rolled back in this mall's database during the window
    events: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (service, wrote|handled, type)
    requests: dict[tuple[str, str], float] = field(default_factory=dict)  # (service, "METHOD route")
    queried: int = 0  # trades a payment check asked Alipay about (the rest it answered from what it knew)
    stop: bool = False

    def counts(self, ended: float) -> bool:
        return self.window[0] <= ended < self.window[1]


def gateway_of(mall: LocalMall, n: int) -> str:
    """Buyer n's gateway: buyers are spread over the gateway replicas, as a load balancer would."""
    gateways = mall.urls("gateway")
    return gateways[n % len(gateways)]


async def log_in(session: aiohttp.ClientSession, mall: LocalMall, n: int) -> dict[str, str]:
    async with session.post(f"{mall.url('alipay_sandbox')}/sandbox/auth-codes",
                            json={"nickname": f"买家{n}", "credit_score": 720}) as resp:
        assert resp.status == 201, await resp.text()
        code = (await resp.json())["auth_code"]
    async with session.post(f"{gateway_of(mall, n)}/api/session", json={"auth_code": code}) as resp:
        assert resp.status == 200, await resp.text()
        return {"Authorization": f"Bearer {(await resp.json())['token']}"}


async def call(session: aiohttp.ClientSession, method: str, url: str, headers: dict[str, str],
               body: Any = None) -> tuple[int, Any]:
    async with session.request(method, url, headers=headers, json=body) as resp:
        return resp.status, await resp.json(content_type=None)


async def purchase(session: aiohttp.ClientSession, mall: LocalMall, headers: dict[str, str],
                   sku: tuple[str, str], gw: str) -> tuple[float, str | None]:
    """One purchase; (seconds placing took, None) when it ended PAID, else the reason it did not."""
    product_id, sku_id = sku
    status, _ = await call(session, "GET", f"{gw}/api/products/{product_id}", headers)
    if status != 200:
        return 0.0, f"product {status}"
    started = time.perf_counter()
    status, order = await call(session, "POST", f"{gw}/api/orders", {**headers, "Idempotency-Key": uuid.uuid4().hex},
                               {"items": [{"sku_id": sku_id, "qty": 1}]})
    placing = time.perf_counter() - started
    if status != 201 or order.get("status") != "AWAITING_PAYMENT":
        return placing, f"place {status} {order.get('status') or order.get('code')} {order.get('reason', '')}"
    status, paying = await call(session, "POST", f"{gw}/api/orders/{order['id']}/pay",
                                {**headers, "Idempotency-Key": uuid.uuid4().hex}, {"method": "alipay"})
    if status != 200:
        return placing, f"pay {status} {paying.get('code')}"
    status, paid = await call(session, "POST", f"{mall.url('alipay_sandbox')}/sandbox/trades/{paying['trade_no']}/pay",
                              {}, {})
    if status != 200:
        return placing, f"cashier {status}"
    for _ in range(CHECKS):
        status, checked = await call(session, "POST", f"{gw}/api/orders/{order['id']}/payment-check", headers)
        if status == 200 and checked.get("status") == "PAID":
            return placing, None
        if status != 200:
            return placing, f"check {status} {checked.get('code')}"
    return placing, "never PAID"


async def buyer(session: aiohttp.ClientSession, mall: LocalMall, headers: dict[str, str], gw: str,
                skus: list[tuple[str, str]], run: Run) -> None:
    while not run.stop:
        placing, failed = await purchase(session, mall, headers, random.choice(skus), gw)
        ended = time.monotonic()
        if failed:
            run.refused[failed] = run.refused.get(failed, 0) + 1
            await asyncio.sleep(0.05)  # a refusal is quick: do not spin
        elif run.counts(ended):
            run.purchases += 1
            run.placing.append(placing)


async def plain_skus(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    """The demo catalogue's plain SKUs (no deposit), their stock raised so that no buyer runs out."""
    rows = await conn.fetch("SELECT product_id, id FROM catalog.skus WHERE sellable AND deposit_fen = 0 ORDER BY id")
    await conn.execute("UPDATE catalog.skus SET available = available + 1000000 WHERE id = ANY($1::text[])",
                       [r["id"] for r in rows])
    return [(r["product_id"], r["id"]) for r in rows]


async def processes(mall: LocalMall, conn: asyncpg.Connection, database: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for (service, _replica), process in mall.processes.items():
        found.setdefault(service, []).append(process.pid)
    found["postgresql (this database's backends)"] = [
        r["pid"] for r in await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database)]
    found["rabbitmq (whole broker, shared)"] = broker_pids()
    found["load generator (this process)"] = [os.getpid()]
    return found


async def events_in(conn: asyncpg.Connection, since: Any, until: Any) -> dict[tuple[str, str, str], int]:
    """Events each service wrote to its outbox and handled from its queue between two database times."""
    found: dict[tuple[str, str, str], int] = {}
    for schema in [r["table_schema"] for r in await conn.fetch(SCHEMAS)]:
        for r in await conn.fetch(EVENTS.format(schema=schema), since, until):
            found[schema, r["side"], r["event_type"]] = r["n"]
    return found


async def requests_served(session: aiohttp.ClientSession, mall: LocalMall) -> dict[tuple[str, str], float]:
    """HTTP requests each service has answered so far (every status), by method and route: its /metrics."""
    found: dict[tuple[str, str], float] = {}
    for (service, replica) in mall.processes:
        with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
            async with session.get(f"{mall.url(service, replica)}/metrics",
                                   headers={"X-Internal-Token": mall.internal_token}) as resp:
                text = await resp.text()
            for m in REQUEST_LINE.finditer(text):
                labels = dict(re.findall(r'(\w+)="([^"]*)"', m["labels"]))
                key = (service, f"{labels['method']} {labels['route']}")
                found[key] = found.get(key, 0.0) + float(m["n"])
    return found


def read_cpu(pids: dict[str, list[int]]) -> dict[int, float]:
    return {pid: cpu for group in pids.values() for pid in group if (cpu := cpu_seconds(pid)) is not None}


async def measure(mall: LocalMall, conn: asyncpg.Connection, database: str, buyers: int, warmup: float,
                  seconds: float) -> tuple[Run, dict[str, float]]:
    skus = await plain_skus(conn)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        logins = [await log_in(session, mall, n) for n in range(buyers)]
        run = Run(window=(float("inf"), float("inf")))
        tasks = [asyncio.create_task(buyer(session, mall, headers, gateway_of(mall, n), skus, run))
                 for n, headers in enumerate(logins)]
        try:
            await asyncio.sleep(warmup)
            pids = await processes(mall, conn, database)
            served = await requests_served(session, mall)
            before = read_cpu(pids)
            xacts = await conn.fetchval(XACTS, database)
            since = await conn.fetchval("SELECT clock_timestamp()")
            start = time.monotonic()
            run.window = (start, start + seconds)
            await asyncio.sleep(seconds)
            after = read_cpu(pids)
            run.transactions = await conn.fetchval(XACTS, database) - xacts
            until = await conn.fetchval("SELECT clock_timestamp()")
            run.requests = {key: n - served.get(key, 0.0) for key, n in (await requests_served(session, mall)).items()
                            if n > served.get(key, 0.0)}
            run.events = await events_in(conn, since, until)
            run.queried = await conn.fetchval(QUERIED, since, until)
            run.stop = True
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
    spent = {group: sum(after[p] - before[p] for p in group_pids if p in before and p in after)
             for group, group_pids in pids.items()}
    return run, spent


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buyers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--replicas", type=int, default=1, help="processes of every service (the sandboxes: one)")
    args = parser.parse_args()
    limit = "100000000"  # every request of the run fits in one window
    load_before = os.getloadavg()
    env = {"MALL_RATE_USER_LIMIT": limit, "MALL_RATE_IP_LIMIT": limit}
    async with scratch_mall(replicas=args.replicas, env=env) as (mall, database):
        conn = await asyncpg.connect(database.url)
        try:
            run, spent = await measure(mall, conn, database.name, args.buyers, args.warmup, args.seconds)
        finally:
            await conn.close()
    placing = sorted(run.placing)
    rate = run.purchases / args.seconds
    print(f"{args.replicas} replica(s) of every service, buyers {args.buyers}, "
          f"window {args.seconds:.0f} s after {args.warmup:.0f} s warm-up, "
          f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}")
    print(f"purchases: {run.purchases} ({rate:.1f}/s)")
    if placing:
        print(f"placing: p50 {1000 * placing[len(placing) // 2]:.0f} ms, "
              f"p99 {1000 * placing[min(len(placing) - 1, int(len(placing) * 0.99))]:.0f} ms")
    print(f"database transactions per purchase: {run.transactions / max(1, run.purchases):.1f}")
    if run.refused:
        print("not completed:", ", ".join(f"{k}: {v}" for k, v in sorted(run.refused.items())))
    print("CPU ms per purchase (share of the window's CPU):")
    total = sum(v for k, v in spent.items() if not k.startswith("rabbitmq"))
    for group, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        per = 1000 * seconds / max(1, run.purchases)
        print(f"  {group:40} {per:7.1f} ms   {100 * seconds / args.seconds:5.1f} % of a CPU")
    print(f"  {'sum without the broker':40} {1000 * total / max(1, run.purchases):7.1f} ms")
    per = max(1, run.purchases)
    for side in ("wrote", "handled"):
        counted = {(s, t): n for (s, sd, t), n in run.events.items() if sd == side}
        print(f"events {side} per purchase: {sum(counted.values()) / per:.2f}")
        for (service, event_type), n in sorted(counted.items(), key=lambda kv: (kv[0][0], -kv[1])):
            print(f"  {service:14} {event_type:32} {n / per:5.2f}")
    print(f"HTTP requests answered per purchase: {sum(run.requests.values()) / per:.2f} "
          f"(and trades a payment check asked Alipay about: {run.queried / per:.2f})")
    for (service, route), n in sorted(run.requests.items(), key=lambda kv: -kv[1]):
        if n / per >= 0.01:
            print(f"  {service:14} {route:48} {n / per:5.2f}")


if __name__ == "__main__":
    asyncio.run(main())
