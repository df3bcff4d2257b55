"""Fault drills under purchase load: crash each service, cut the database and the broker, then check by SQL
that nothing was lost or done twice.

    python -m bench.drills [--replicas 2] [--buyers 8] [--settle 6] [--restart-broker]

Starts the whole mall (deploy.local.LocalMall: every service its own process, `--replicas` of each, the
Alipay sandbox, the demo seed) on a scratch database and bus prefix, and has `--buyers` buyers purchase in a
closed loop through the gateway (product page, place, pay, the sandbox buyer pays, payment-check until PAID).
A buyer behaves as the mini-program does: a 503 or a connection error is tried again after a pause with the
same Idempotency-Key, on the next gateway replica. Meanwhile, one after another, each followed by `--settle`
seconds of load:

  kill -9 <service> replica 0, then start it again     for every service with a database, gateway included
  terminate every database connection of the mall      pg_terminate_backend, as a failover would
  close every broker connection of the mall            rabbitmqctl close_connection
  restart the broker (only with --restart-broker)      rabbitmqctl shutdown, then the node started again
                                                       (reported as two rows: while it was down, and after)

With --restart-broker the mall runs on a RabbitMQ node of the drill's own (PrivateBroker: Debian's
rabbitmq-server as a second node on free ports, its data in a temporary directory), so the restart disturbs
no other user of the machine's shared broker; without it, on the shared broker under a bus prefix of its own.

Then the load stops, unpaid orders reach their payment deadline (a short one), and the checks run:
every Idempotency-Key has one order; every order is in a final state; stock is conserved per SKU (nothing
held, sold = units of paid orders); every paid Alipay trade is one succeeded payment of one PAID order;
analytics counts the same paid orders and amounts as orders; every outbox is drained; no event is parked.
The report gives, per drill, what the buyers saw (HTTP statuses and connection errors) and how long until
the next completed purchase after the fault (time to recover).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import asyncpg

from bench.scratch import AMQP, scratch_mall
from deploy.local import REPLICATED, LocalMall, free_port
from shared.bus import queue_names

PAY_TIMEOUT_SECONDS = 6  # unpaid orders are cancelled this soon, so the checks need not wait long
RETRY_PAUSE_SECONDS = 0.5
GIVE_UP_SECONDS = 60  # a step still failing after this long counts as lost for the buyer (and is reported)


@dataclass
class Drill:
    name: str
    started: float = 0.0
    seen: Counter[str] = field(default_factory=Counter)  # "200", "503", "connection error"...
    recovered_after: float | None = None  # seconds from the fault to the next completed purchase


@dataclass
class Load:
    drills: list[Drill] = field(default_factory=lambda: [Drill("before any fault", started=time.monotonic())])
    purchases: int = 0
    given_up: Counter[str] = field(default_factory=Counter)
    stop: bool = False

    @property
    def current(self) -> Drill:
        return self.drills[-1]

    def completed(self) -> None:
        self.purchases += 1
        drill = self.current
        if drill.recovered_after is None:
            drill.recovered_after = time.monotonic() - drill.started


class Buyer:
    """One buyer's session, trying each step again on a transient answer like the mini-program does."""

    def __init__(self, http: aiohttp.ClientSession, mall: LocalMall, load: Load, n: int):
        self.http, self.mall, self.load, self.n = http, mall, load, n
        self.gateways = mall.urls("gateway")
        self.turn = n  # which gateway replica next
        self.headers: dict[str, str] = {}

    async def call(self, method: str, path: str, body: Any = None, key: str | None = None) -> tuple[int, Any]:
        headers = {**self.headers, **({"Idempotency-Key": key} if key else {})}
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while True:
            gateway = self.gateways[self.turn % len(self.gateways)]
            try:
                async with self.http.request(method, gateway + path, json=body, headers=headers) as resp:
                    status, answer = resp.status, await resp.json(content_type=None)
                self.load.current.seen[str(status)] += 1
                if status != 503:
                    return status, answer
            except (TimeoutError, aiohttp.ClientError):
                self.load.current.seen["connection error"] += 1
            self.turn += 1  # the other gateway replica, if there is one
            if time.monotonic() > deadline:
                return 0, {"code": "gave_up"}
            await asyncio.sleep(RETRY_PAUSE_SECONDS)

    async def log_in(self) -> None:
        async with self.http.post(f"{self.mall.url('alipay_sandbox')}/sandbox/auth-codes",
                                  json={"nickname": f"演练买家{self.n}", "credit_score": 720}) as resp:
            code = (await resp.json())["auth_code"]
        status, session = await self.call("POST", "/api/session", {"auth_code": code})
        assert status == 200, session
        self.headers = {"Authorization": f"Bearer {session['token']}"}

    async def purchase(self, sku: tuple[str, str]) -> str | None:
        """None when the order ended PAID, else what stopped it."""
        product_id, sku_id = sku
        status, _ = await self.call("GET", f"/api/products/{product_id}")
        if status != 200:
            return f"product {status}"
        status, order = await self.call("POST", "/api/orders", {"items": [{"sku_id": sku_id, "qty": 1}]},
                                        key=uuid.uuid4().hex)
        if status != 201:
            return f"place {status} {order.get('code')}"
        order_id = order["id"]
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while order["status"] == "PENDING" and time.monotonic() < deadline:  # the order page waits for the decision
            status, order = await self.call("GET", f"/api/orders/{order_id}")
            if status != 200:
                return f"order page {status} {order.get('code')}"
        if order["status"] != "AWAITING_PAYMENT":
            return f"placed, then {order['status']} {order.get('reason') or ''}".strip()
        status, paying = await self.call("POST", f"/api/orders/{order_id}/pay", {"method": "alipay"},
                                         key=uuid.uuid4().hex)
        if status != 200:
            return f"pay {status} {paying.get('code')}"
        async with self.http.post(f"{self.mall.url('alipay_sandbox')}/sandbox/trades/{paying['trade_no']}/pay",
                                  json={}) as resp:
            if resp.status != 200:
                return f"cashier {resp.status}"
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while time.monotonic() < deadline:
            status, checked = await self.call("POST", f"/api/orders/{order_id}/payment-check")
            if status == 200 and checked.get("status") == "PAID":
                return None
            if status not in (200, 409):
                return f"check {status} {checked.get('code')}"
            await asyncio.sleep(RETRY_PAUSE_SECONDS)
        return "never PAID"

    async def shop(self, skus: list[tuple[str, str]]) -> None:
        while not self.load.stop:
            failed = await self.purchase(random.choice(skus))
            if failed is None:
                self.load.completed()
            else:
                self.load.given_up[failed] += 1
                await asyncio.sleep(RETRY_PAUSE_SECONDS)


class SharedBroker:
    """The machine's RabbitMQ (MALL_TEST_AMQP_URL or localhost:5672), driven by Debian's rabbitmqctl."""

    amqp_url = AMQP

    def ctl(self, *args: str) -> str:
        return subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=60,
                              check=True).stdout


class PrivateBroker(SharedBroker):
    """A RabbitMQ node of the drill's own: Debian's rabbitmq-server started a second time under another node
    name, with its AMQP and distribution ports free ones on 127.0.0.1, no plugins (so no management or
    Prometheus listener), and its configuration, data, logs and Erlang cookie in `workdir`. Nothing of the
    shared node (rabbit@localhost on 5672, /etc/rabbitmq) is read or touched; only epmd is shared."""

    BIN = Path("/usr/lib/rabbitmq/bin")  # the scripts themselves: /usr/sbin's wrappers run as the shared node's user

    def __init__(self, workdir: Path):
        self.workdir = workdir
        workdir.mkdir()
        self.node = f"drill-{os.getpid()}@localhost"
        self.port = free_port()
        self.amqp_url = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.process: asyncio.subprocess.Process | None = None
        (workdir / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (workdir / "enabled_plugins").write_text("[].\n")
        (workdir / "rabbitmq-env.conf").write_text("")  # instead of /etc/rabbitmq/rabbitmq-env.conf
        self.env = {**os.environ, "HOME": str(workdir), "ERL_EPMD_ADDRESS": "127.0.0.1",
                    "RABBITMQ_NODENAME": self.node, "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
                    "RABBITMQ_NODE_PORT": str(self.port), "RABBITMQ_DIST_PORT": str(free_port()),
                    "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
                    "RABBITMQ_CONF_ENV_FILE": str(workdir / "rabbitmq-env.conf"),
                    "RABBITMQ_CONFIG_FILE": str(workdir / "rabbitmq.conf"),
                    "RABBITMQ_ADVANCED_CONFIG_FILE": str(workdir / "advanced.config"),
                    "RABBITMQ_ENABLED_PLUGINS_FILE": str(workdir / "enabled_plugins"),
                    "RABBITMQ_MNESIA_BASE": str(workdir / "mnesia"), "RABBITMQ_LOG_BASE": str(workdir / "log"),
                    "RABBITMQ_PID_FILE": str(workdir / "rabbitmq.pid")}

    def ctl(self, *args: str) -> str:
        return subprocess.run([str(self.BIN / "rabbitmqctl"), "-n", self.node, *args], env=self.env,
                              capture_output=True, text=True, timeout=120, check=True).stdout

    async def start(self) -> None:
        log = open(self.workdir / "rabbitmq-server.out", "ab")  # noqa: ASYNC230 - handed to the child
        self.process = await asyncio.create_subprocess_exec(str(self.BIN / "rabbitmq-server"), env=self.env,
                                                            stdout=log, stderr=subprocess.STDOUT,
                                                            start_new_session=True)
        log.close()
        # `wait` (not await_startup, which fails while the node is not yet reachable) watches the pid file.
        await asyncio.to_thread(self.ctl, "wait", self.env["RABBITMQ_PID_FILE"], "--timeout", "120")

    async def stop(self) -> None:
        """`rabbitmqctl shutdown`: the node stops its queues, closes its connections and leaves the VM."""
        if self.process is None:
            return
        try:
            await asyncio.to_thread(self.ctl, "shutdown")
        finally:  # never fully started, or not answering: its VM goes all the same
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
            self.process = None


def close_broker_connections(broker: SharedBroker, prefix: str) -> int:
    """Every broker connection of this mall (named after its bus prefix by shared.bus)."""
    closed = 0
    for line in broker.ctl("list_connections", "pid", "client_properties", "-q").splitlines():
        if f"mall-{prefix}" in line:
            with contextlib.suppress(subprocess.CalledProcessError):
                broker.ctl("close_connection", line.split("\t", 1)[0], "mpmall drill: broker drop")
                closed += 1
    return closed


async def fault(load: Load, name: str) -> Drill:
    drill = Drill(name, started=time.monotonic())
    load.drills.append(drill)
    return drill


async def run_drills(mall: LocalMall, admin: asyncpg.Connection, database: str, prefix: str, load: Load,
                     settle: float, broker: SharedBroker) -> None:
    await asyncio.sleep(settle)
    for service in REPLICATED:
        await fault(load, f"kill -9 {service}")
        await mall.kill(service, 0)
        await asyncio.sleep(1)  # down a moment, as a crashed pod is before its restart
        await mall.start_replica(service, 0)
        await mall.wait_ready(service, 0)
        await asyncio.sleep(settle)
    await fault(load, "database connections terminated")
    await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = $1 AND pid <> pg_backend_pid()", database)
    await asyncio.sleep(settle)
    if isinstance(broker, PrivateBroker) or shutil.which("rabbitmqctl"):
        drill = await fault(load, "broker connections closed")
        drill.name += f" ({await asyncio.to_thread(close_broker_connections, broker, prefix)} connections)"
        await asyncio.sleep(settle)
    if isinstance(broker, PrivateBroker):
        drill = await fault(load, "broker node stopped and started again")
        await broker.stop()
        await broker.start()
        drill.name += f" (down {time.monotonic() - drill.started:.0f} s)"
        await fault(load, "after the broker restart")  # its recovery time counts from the node being back
        await asyncio.sleep(settle)


async def check(conn: asyncpg.Connection, amqp_url: str, prefix: str) -> dict[str, str]:
    """Each invariant: 'ok' or what breaks it."""
    found: dict[str, str] = {}

    async def rows(name: str, query: str) -> None:
        bad = await conn.fetch(query)
        found[name] = "ok" if not bad else f"{len(bad)} broken, e.g. {dict(bad[0])}"

    await rows("one order per Idempotency-Key",
               "SELECT o.id, (SELECT count(*) FROM orders.idempotency_keys k WHERE k.scope LIKE 'order:%' "
               "AND k.body->>'id' = o.id) AS keys FROM orders.orders o "
               "WHERE (SELECT count(*) FROM orders.idempotency_keys k WHERE k.scope LIKE 'order:%' "
               "AND k.body->>'id' = o.id) <> 1")
    await rows("every order in a final state",
               "SELECT id, status FROM orders.orders WHERE status IN ('PENDING', 'AWAITING_PAYMENT')")
    await rows("stock conserved (nothing held; sold = units of paid orders)",
               "SELECT s.id, s.reserved, s.sold, coalesce(p.units, 0) AS paid_units FROM catalog.skus s "
               "LEFT JOIN (SELECT l.sku_id, sum(l.qty) AS units FROM orders.order_lines l "
               "JOIN orders.orders o ON o.id = l.order_id WHERE o.status = 'PAID' GROUP BY l.sku_id) p "
               "ON p.sku_id = s.id WHERE s.reserved <> 0 OR s.sold <> coalesce(p.units, 0)")
    # A trade paid after its order was cancelled (the deadline passed during a fault) is refunded in full.
    await rows("every paid trade is the payment of a PAID order, or refunded in full",
               "SELECT t.out_trade_no, p.status AS payment, o.status AS order_status FROM payments.alipay_trades t "
               "LEFT JOIN payments.payments p ON p.out_trade_no = t.out_trade_no "
               "LEFT JOIN orders.orders o ON o.id = p.order_id "
               "WHERE t.purpose = 'payment' AND t.status IN ('TRADE_SUCCESS', 'TRADE_FINISHED') "
               "AND NOT (p.status = 'succeeded' AND o.status = 'PAID') "
               "AND NOT (p.status = 'succeeded' AND p.refunded_fen = p.amount_fen)")
    await rows("one succeeded payment per PAID order",
               "SELECT o.id, count(p.id) FROM orders.orders o LEFT JOIN payments.payments p "
               "ON p.order_id = o.id AND p.status = 'succeeded' WHERE o.status = 'PAID' GROUP BY o.id "
               "HAVING count(p.id) <> 1")
    # A payment refunded because its order did not take it (late: the order was cancelled) counts for nothing.
    await rows("analytics agrees with orders on paid orders and amounts",
               "SELECT o.id, o.paid_fen, a.amount_fen FROM orders.orders o "
               "FULL JOIN (SELECT * FROM analytics.payments WHERE NOT unwanted) a ON a.order_id = o.id "
               "WHERE (o.status = 'PAID' OR a.order_id IS NOT NULL) "
               "AND (o.status IS DISTINCT FROM 'PAID' OR a.amount_fen IS DISTINCT FROM o.paid_fen)")
    unsent = " UNION ALL ".join(f"SELECT '{s}' AS service, count(*) AS unsent FROM {s}.outbox WHERE sent_at IS NULL"
                                for s in REPLICATED)
    await rows("every outbox drained", f"SELECT * FROM ({unsent}) u WHERE unsent > 0")
    parked: dict[str, int] = {}
    connection = await aio_pika.connect(amqp_url)
    try:
        for service in REPLICATED:
            channel = await connection.channel()
            with contextlib.suppress(aio_pika.exceptions.ChannelClosed):  # a service with no queue parks nothing
                queue = await channel.declare_queue(queue_names(prefix, service, [])["dead"], passive=True)
                if queue.declaration_result.message_count:
                    parked[service] = queue.declaration_result.message_count
    finally:
        await connection.close()
    found["nothing parked"] = "ok" if not parked else f"parked: {parked}"
    return found


async def settled(conn: asyncpg.Connection, timeout: float) -> None:
    """Until no order waits for payment and every outbox is drained (or the timeout: the checks then say why)."""
    unsent = " + ".join(f"(SELECT count(*) FROM {s}.outbox WHERE sent_at IS NULL)" for s in REPLICATED)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = await conn.fetchval("SELECT count(*) FROM orders.orders "
                                      "WHERE status IN ('PENDING', 'AWAITING_PAYMENT')")
        if waiting == 0 and await conn.fetchval(f"SELECT {unsent}") == 0:
            await asyncio.sleep(2)  # the last events reach their consumers
            return
        await asyncio.sleep(0.5)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--buyers", type=int, default=8)
    parser.add_argument("--settle", type=float, default=6.0)
    parser.add_argument("--restart-broker", action="store_true",
                        help="run the mall on a RabbitMQ node of the drill's own and restart it mid-load")
    args = parser.parse_args()
    limit = "100000000"
    env = {"MALL_RATE_USER_LIMIT": limit, "MALL_RATE_IP_LIMIT": limit,
           "MALL_PAY_TIMEOUT_SECONDS": str(PAY_TIMEOUT_SECONDS), "MALL_DEADLINE_POLL_SECONDS": "0.5"}
    load = Load()
    with tempfile.TemporaryDirectory(prefix="bench-drills-") as workdir:
        broker = PrivateBroker(Path(workdir) / "broker") if args.restart_broker else SharedBroker()
        try:
            if isinstance(broker, PrivateBroker):
                await broker.start()
            async with scratch_mall("drill", amqp_url=broker.amqp_url, replicas=args.replicas,
                                    env=env) as (mall, database):
                first = await asyncpg.connect(database.url)
                rows = await first.fetch("SELECT product_id, id FROM catalog.skus "
                                         "WHERE sellable AND deposit_fen = 0 AND available > 100 ORDER BY id")
                await first.close()
                skus = [(r["product_id"], r["id"]) for r in rows]
                async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
                    buyers = [Buyer(http, mall, load, n) for n in range(args.buyers)]
                    for buyer in buyers:
                        await buyer.log_in()
                    shopping = [asyncio.create_task(b.shop(skus)) for b in buyers]
                    try:
                        await run_drills(mall, database.admin, database.name, mall.bus_prefix, load, args.settle,
                                         broker)
                    finally:
                        load.stop = True
                        await asyncio.gather(*shopping, return_exceptions=True)
                # Connected after the drills: one of them terminates every connection to the mall's database.
                conn = await asyncpg.connect(database.url)
                try:
                    await settled(conn, timeout=PAY_TIMEOUT_SECONDS + 60)
                    results = await check(conn, broker.amqp_url, mall.bus_prefix)
                finally:
                    await conn.close()
        finally:
            if isinstance(broker, PrivateBroker):
                await broker.stop()  # its queues go with the temporary directory
    print(f"{args.replicas} replica(s) of every service, {args.buyers} buyers, {args.settle:.0f} s after each fault; "
          f"{load.purchases} purchases completed")
    print("| drill | what buyers saw (answers, retried) | first purchase completed after |")
    print("|---|---|---|")
    for drill in load.drills:
        seen = ", ".join(f"{k}: {v}" for k, v in sorted(drill.seen.items()))
        after = "none" if drill.recovered_after is None else f"{drill.recovered_after:.1f} s"
        print(f"| {drill.name} | {seen} | {after} |")
    if load.given_up:
        print("purchases not completed:", ", ".join(f"{k}: {v}" for k, v in sorted(load.given_up.items())))
    print("checks:")
    for invariant, verdict in results.items():
        print(f"  {invariant}: {verdict}")
    if any(verdict != "ok" for verdict in results.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    asyncio.run(main())
