"""Reconciling a backlog of paid trades whose notifies were lost, beside the sandbox's bare trade queries.

    python bench/reconcile.py [--trades 5000] [--concurrency 16] [--batch 500]

The situation after a long outage: `trades` orders are awaiting payment, each with an Alipay trade the buyer
paid while the notifies went nowhere. Creates a scratch database (dropped afterwards) with the payments
schema and those trades (created an hour ago), and starts the Alipay sandbox in a process of its own (as
Alipay is another machine) holding the same trades, paid. Then measures, in this order:
  raw        `alipay.trade.query` of every trade through the shared AlipayClient, `concurrency` in flight:
             the floor set by signing, the sandbox and verifying (nothing is written);
  reconcile  payments' own `reconcile_once` (batches claimed with SKIP LOCKED, `concurrency` queries in
             flight, each answer applied in its own transaction as a notify would be, on a pool of the
             service's default size, payment.confirmed in the outbox), timed until every payment is
             succeeded.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch import scratch_database  # noqa: E402
from services.alipay_sandbox.api import SANDBOX  # noqa: E402
from services.alipay_sandbox.app import create_app as create_sandbox  # noqa: E402
from services.alipay_sandbox.settings import SandboxSettings  # noqa: E402
from services.payments.deps import PaymentsDeps  # noqa: E402
from services.payments.jobs import reconcile_once  # noqa: E402
from services.payments.settings import PaymentsSettings  # noqa: E402
from shared.alipay import AlipayClient, generate_key_pair  # noqa: E402
from shared.clock import Clock  # noqa: E402
from shared.db import Database, bootstrap, create_pool, service_dsn  # noqa: E402
from shared.money import fen_to_yuan  # noqa: E402

APP_ID = "2021000000000001"
BUYER = "2088102116773037"
AMOUNT = 12_900


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_sandbox(port: int, app_public_pem: str, sandbox_private_pem: str, out_trade_nos: list[str],
                  ready: Any) -> None:
    """The sandbox process: the trades created and paid in-process (no notify: lost), then served."""

    async def run() -> None:
        app = create_sandbox(SandboxSettings(alipay_app_id=APP_ID, alipay_app_public_key=app_public_pem,
                                             alipay_private_key=sandbox_private_pem))
        sandbox = app[SANDBOX]
        for out_trade_no in out_trade_nos:
            created = sandbox.trade_create({"out_trade_no": out_trade_no, "total_amount": fen_to_yuan(AMOUNT),
                                            "subject": "bench", "buyer_id": BUYER}, None)
            sandbox.pay(created["trade_no"], None)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(run())


async def seed_payments(db: Database, out_trade_nos: list[str]) -> None:
    """Orders awaiting payment, their pending payments and waiting trades, created an hour ago."""
    ids = [o.removeprefix("p_") for o in out_trade_nos]
    orders = [f"o-{i}" for i in ids]
    await db.execute(
        "INSERT INTO payable_orders (order_id, user_id, merchant_id, subject, payable_fen, pay_by) "
        "SELECT o, 'u-bench', 'm-bench', 'bench', $2, now() + interval '1 hour' FROM unnest($1::text[]) o",
        orders, AMOUNT)
    await db.execute(
        "INSERT INTO payments (id, order_id, user_id, merchant_id, method, status, amount_fen, out_trade_no) "
        "SELECT i, 'o-' || i, 'u-bench', 'm-bench', 'alipay', 'pending', $2, 'p_' || i FROM unnest($1::text[]) i",
        ids, AMOUNT)
    await db.execute(
        "INSERT INTO alipay_trades (out_trade_no, purpose, ref_id, user_id, amount_fen, created_at) "
        "SELECT 'p_' || i, 'payment', i, 'u-bench', $2, now() - interval '1 hour' FROM unnest($1::text[]) i",
        ids, AMOUNT)


async def bench_raw(alipay: AlipayClient, out_trade_nos: list[str], concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def query(out_trade_no: str) -> None:
        async with gate:
            result = await alipay.trade_query(out_trade_no)
            assert result.trade_status == "TRADE_SUCCESS"

    started = time.perf_counter()
    await asyncio.gather(*(query(o) for o in out_trade_nos))
    return time.perf_counter() - started


async def bench_reconcile(ctx: PaymentsDeps, db: Database, trades: int) -> tuple[float, int]:
    started = time.perf_counter()
    rounds = 0
    while await db.fetchval("SELECT count(*) FROM payments WHERE status = 'succeeded'") < trades:
        await reconcile_once(ctx)
        rounds += 1
    return time.perf_counter() - started, rounds


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("MALL_DATABASE_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--trades", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    app_keys, alipay_keys = generate_key_pair(), generate_key_pair()
    out_trade_nos = [f"p_{uuid.uuid4().hex}" for _ in range(args.trades)]
    port = free_port()
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Event()
    sandbox = spawn.Process(target=serve_sandbox, args=(port, app_keys.public_pem, alipay_keys.private_pem,
                                                        out_trade_nos, ready), daemon=True)
    sandbox.start()
    try:
        async with scratch_database(args.database_url) as database:
            dsn = database.url
            await bootstrap(dsn, "payments")
            settings = PaymentsSettings(
                alipay_gateway_url=f"http://127.0.0.1:{port}/gateway.do", alipay_app_id=APP_ID,
                alipay_app_private_key=app_keys.private_pem, alipay_public_key=alipay_keys.public_pem,
                reconcile_concurrency=args.concurrency, reconcile_batch=args.batch)
            # The service's own pool size (MALL_DB_POOL_MAX, 10 by default): applying waits for it as it would.
            pool = await create_pool(service_dsn(dsn, "payments"), "payments", max_size=settings.db_pool_max)
            db = Database(pool, "payments")
            await seed_payments(db, out_trade_nos)
            if not await asyncio.to_thread(ready.wait, 120):
                raise RuntimeError("the sandbox did not start")
            async with aiohttp.ClientSession() as session:
                alipay = settings.alipay_client(session)
                await bench_raw(alipay, out_trade_nos[:200], args.concurrency)  # warm up connections
                raw = await bench_raw(alipay, out_trade_nos, args.concurrency)
                # No bus or listener: the round only writes the database (events go to the outbox).
                ctx = PaymentsDeps(settings=settings, db=db, bus=None,  # type: ignore[arg-type]
                                   clock=Clock(), http=session, changes=None, alipay=alipay)  # type: ignore[arg-type]
                reconciled, rounds = await bench_reconcile(ctx, db, args.trades)
            confirmed = await db.fetchval("SELECT count(*) FROM outbox WHERE event_type = 'payment.confirmed'")
            assert confirmed == args.trades, confirmed
            await pool.close()
            print(f"trades={args.trades} concurrency={args.concurrency} batch={args.batch} "
                  f"pool={settings.db_pool_max} (reconcile_after_s={settings.reconcile_after_s}, "
                  f"max {settings.reconcile_max_batches} batches/round)")
            print(f"raw trade.query             : {raw:6.1f} s  {args.trades / raw:6.0f} queries/s")
            print(f"reconcile (query + apply)   : {reconciled:6.1f} s  {args.trades / reconciled:6.0f} trades/s "
                  f"({raw / reconciled:.0%} of raw), {rounds} round(s), {confirmed} payment.confirmed")
    finally:
        sandbox.terminate()
        sandbox.join(10)


if __name__ == "__main__":
    asyncio.run(main())
