"""The local runner: the whole mall on one machine, every service its own process.

    python -m deploy.local up                # bootstrap, start every service and the Alipay sandbox, seed, serve
    python -m deploy.local up --replicas 2   # two processes of every service (not of the sandboxes)

With replicas, the gateway is given every replica's URL of each service and spreads its calls over them
(services.gateway.upstream); each service's replicas consume one queue, share its outbox and its jobs (rows
claimed with FOR UPDATE SKIP LOCKED) and keep every other state in PostgreSQL, so any replica may serve any
call. Replica 0 keeps the fixed port of `services.PORTS`; replica i listens on that port + 100 * i.

Also the library the end-to-end tests use:

    mall = LocalMall(admin_database_url, amqp_url, bus_prefix="t1.", env={"MALL_PAY_TIMEOUT_SECONDS": "3"})
    await mall.prepare()     # database, roles, schemas, migrations, dev Alipay keys
    await mall.start()       # every process, waiting until each answers /readyz
    await mall.seed()        # demo data through each service's own role and outbox
    mall.url("gateway")      # base URLs (of replica 0; mall.urls("orders") lists every replica's)
    await mall.kill("orders", 1)   # SIGKILL one replica (a crash)
    await mall.stop()
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import secrets
import signal
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg
import orjson

from services import PORTS
from shared.alipay.keys import write_dev_keys
from shared.db import Database, bootstrap, create_pool, service_dsn

ROOT = Path(__file__).resolve().parent.parent
# Start order: the sandboxes first (the others call them), the gateway last (it calls everyone).
SERVICES = ["alipay_sandbox", "logistics_sandbox", "catalog", "orders", "payments", "marketing", "analytics",
            "fulfilment", "notifications", "gateway"]
WITHOUT_DATABASE = {"alipay_sandbox", "logistics_sandbox"}
REPLICATED = [s for s in SERVICES if s not in WITHOUT_DATABASE]  # the sandboxes stand in for one outside API
SEEDED = ["catalog", "marketing", "payments", "fulfilment", "gateway"]  # those with a seeds/<name>.py
APP_ID = "2021000000000001"
CONSOLE_DIR = ROOT / "console" / "dist"  # the merchant console's build (deploy/build-console.sh), served by the gateway
CLIENT_DIR = ROOT / "client" / "dist" / "h5"  # the mini-program's H5 build (deploy/build-client.sh)
# Dev servers of a web build of the client (Vite, CRA): the only origins the local gateway allows (CORS).
DEV_ORIGINS = ["http://localhost:3000", "http://127.0.0.1:3000", "http://localhost:5173", "http://127.0.0.1:5173"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


class LocalMall:
    def __init__(self, database_url: str, amqp_url: str, *, bus_prefix: str = "", env: dict[str, str] | None = None,
                 workdir: Path | None = None, fixed_ports: bool = False, log_level: str = "INFO",
                 replicas: int = 1):
        self.database_url = database_url
        self.amqp_url = amqp_url
        self.bus_prefix = bus_prefix
        self.extra_env = dict(env or {})
        self.workdir = workdir or ROOT / "run"
        self.replicas = {name: replicas if name in REPLICATED else 1 for name in SERVICES}
        self.ports = {name: [PORTS[name] + 100 * i if fixed_ports else free_port() for i in range(count)]
                      for name, count in self.replicas.items()}
        self.log_level = log_level
        self.processes: dict[tuple[str, int], asyncio.subprocess.Process] = {}  # by (service, replica)
        # Fresh random secrets at every start: the services run as in production (no MALL_ENV=development),
        # so a missing secret fails here as it would there. Tokens and printed codes die with the run.
        self.internal_token = secrets.token_urlsafe(32)  # only the gateway may call the services
        self.token_secret = secrets.token_urlsafe(32)  # signs buyers' and staff's access tokens
        self.qr_secret = secrets.token_urlsafe(32)  # signs store claim codes
        self.kuaidi100_key = secrets.token_urlsafe(32)  # the mall's 快递100 customer key (the sandbox's here)
        self.kuaidi100_salt = secrets.token_urlsafe(32)  # signs 快递100's tracking pushes

    def url(self, service: str, replica: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[service][replica]}"

    def urls(self, service: str) -> list[str]:
        return [self.url(service, i) for i in range(self.replicas[service])]

    async def prepare(self) -> None:
        """Create the database if missing, each service's role, schema and migrations, and dev Alipay keys."""
        name = urlsplit(self.database_url).path.lstrip("/")
        admin = await asyncpg.connect(with_database(self.database_url, "postgres"))
        try:
            if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        for service in SERVICES:
            if service not in WITHOUT_DATABASE:
                await bootstrap(self.database_url, service)
        self.keys = write_dev_keys(self.workdir / "keys")

    def env(self, service: str, replica: int = 0) -> dict[str, str]:
        keys = self.keys
        env = {
            **os.environ,
            "MALL_DATABASE_URL": self.database_url,
            "MALL_AMQP_URL": self.amqp_url,
            "MALL_BUS_PREFIX": self.bus_prefix,
            "MALL_LOG_LEVEL": self.log_level,
            "MALL_HTTP_HOST": "127.0.0.1",
            "MALL_HTTP_PORT": str(self.ports[service][replica]),
            "MALL_ALIPAY_APP_ID": APP_ID,
            "MALL_ALIPAY_GATEWAY_URL": f"{self.url('alipay_sandbox')}/gateway.do",
            "MALL_ALIPAY_NOTIFY_URL": f"{self.url('gateway')}/api/alipay/notify",
            "MALL_ALIPAY_APP_PRIVATE_KEY_FILE": str(keys["app_private"]),
            "MALL_ALIPAY_APP_PUBLIC_KEY_FILE": str(keys["app_public"]),
            "MALL_ALIPAY_PRIVATE_KEY_FILE": str(keys["alipay_private"]),
            "MALL_ALIPAY_PUBLIC_KEY_FILE": str(keys["alipay_public"]),
            "MALL_ALIPAY_SANDBOX_URL": self.url("alipay_sandbox"),
            "MALL_PUBLIC_URL": self.url("gateway"),
            "MALL_INTERNAL_TOKEN": self.internal_token,
            "MALL_TOKEN_SECRET": self.token_secret,
            "MALL_QR_SECRET": self.qr_secret,
            "MALL_KUAIDI100_URL": f"{self.url('logistics_sandbox')}/poll",
            "MALL_KUAIDI100_KEY": self.kuaidi100_key,
            "MALL_KUAIDI100_SALT": self.kuaidi100_salt,
            "MALL_KUAIDI100_CALLBACK_URL": f"{self.url('gateway')}/api/logistics/notify",
            # A web build of the client or console on a dev server's port may call the gateway (CORS).
            "MALL_CORS_ORIGINS": orjson.dumps(DEV_ORIGINS).decode(),
            "MALL_CONSOLE_DIR": str(CONSOLE_DIR),  # the gateway serves the console from this checkout
            "MALL_CLIENT_DIR": str(CLIENT_DIR),  # and the mini-program's H5 build at /m/
            "MALL_ALIPAY_WEB_URL": self.url("alipay_sandbox"),  # where H5 buyers authorise and pay
            "PYTHONUNBUFFERED": "1",
        }
        if service in WITHOUT_DATABASE:  # stand-ins for Alipay and 快递100: they refuse to run outside development
            env["MALL_ENV"] = "development"
        for other in SERVICES:  # every replica's, for the gateway to spread its calls over
            env[f"MALL_{other.upper()}_URL"] = ",".join(self.urls(other))
        env.update(self.extra_env)
        return env

    async def start(self, timeout: float = 60.0) -> None:
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        for service in SERVICES:
            for replica in range(self.replicas[service]):
                await self.start_replica(service, replica)
        await asyncio.gather(*(self.wait_ready(service, replica, timeout) for service, replica in self.processes))

    async def start_replica(self, service: str, replica: int = 0) -> None:
        """Start one process (again, after `kill`); `wait_ready` waits for it."""
        log = open(self.log_path(service, replica), "ab")  # noqa: ASYNC230, SIM115 - handed to the child
        self.processes[service, replica] = await asyncio.create_subprocess_exec(
            sys.executable, "-m", f"services.{service}", cwd=ROOT, env=self.env(service, replica),
            stdout=log, stderr=asyncio.subprocess.STDOUT, start_new_session=True)
        log.close()

    async def kill(self, service: str, replica: int = 0) -> None:
        """SIGKILL one process, as a crash or an OOM kill would: no graceful anything."""
        process = self.processes[service, replica]
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()

    async def wait_ready(self, service: str, replica: int = 0, timeout: float = 60.0) -> None:
        path = "/healthz" if service in WITHOUT_DATABASE else "/readyz"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with aiohttp.ClientSession() as session:
            while True:
                process = self.processes[service, replica]
                log = self.log_path(service, replica)
                if process.returncode is not None:
                    raise RuntimeError(f"{service} exited with {process.returncode}; see {log}")
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with session.get(self.url(service, replica) + path,  # the gateway's /readyz wants it
                                           headers={"X-Internal-Token": self.internal_token}) as answer:
                        if answer.status == 200:
                            return
                if loop.time() > deadline:
                    raise RuntimeError(f"{service} not ready after {timeout}s; see {log}")
                await asyncio.sleep(0.2)

    def log_path(self, service: str, replica: int = 0) -> Path:
        return self.workdir / "logs" / (f"{service}.log" if replica == 0 else f"{service}-{replica}.log")

    async def seed(self) -> None:
        """Demo data, written by each service's own role so its events go out through its outbox."""
        for service in SEEDED:
            try:
                module = importlib.import_module(f"seeds.{service}")
            except ModuleNotFoundError:
                continue
            pool = await create_pool(service_dsn(self.database_url, service), service, max_size=2)
            try:
                await module.seed(Database(pool, service))
            finally:
                await pool.close()

    async def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM every process (graceful: in-flight messages and requests drain), SIGKILL stragglers."""
        for process in self.processes.values():
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        self.processes.clear()


# The in-store pickup the banner walks an operator through, on the seed's data (tests/e2e follows the same
# steps): a phone of mch_001, picked up at its 湖滨银泰店, verified by its demo staff.
PICKUP_DEMO = {"sku_id": "sku_0001_1", "store_id": "sto_001", "username": "staff1", "password": "mall-demo-1"}


def pickup_walkthrough(mall: LocalMall) -> str:
    gateway, sandbox = mall.url("gateway"), mall.url("alipay_sandbox")
    store_id, username, password = PICKUP_DEMO["store_id"], PICKUP_DEMO["username"], PICKUP_DEMO["password"]
    basket = json.dumps({"items": [{"sku_id": PICKUP_DEMO["sku_id"], "qty": 1}],
                         "delivery": {"method": "pickup", "store_id": store_id}})
    body, buyer, staff = "-H 'content-type: application/json'", '-H "Authorization: Bearer $B"', \
        '-H "Authorization: Bearer $S"'
    key = '-H "Idempotency-Key: $RANDOM$RANDOM"'
    return f"""Pick up in a store (B=<buyer token> from the login above; S=<staff token> from step 6):
  1 curl -s -XPOST {gateway}/api/checkout/preview {buyer} {body} -d '{basket}'
                                    # delivery_options: the merchant's pickup stores with their hours, freight 0
  2 curl -s -XPOST {gateway}/api/orders {buyer} {key} {body} -d '{basket}'      # -> {{"id": <order>}}
  3 curl -s -XPOST {gateway}/api/orders/<order>/pay {buyer} {key} {body} -d '{{"method": "alipay"}}'
                                    # -> {{"trade_no": ...}}
  4 curl -s -XPOST {sandbox}/sandbox/trades/<trade_no>/pay {body} -d '{{}}'      # the buyer pays in the cashier
  5 curl -s {gateway}/api/orders/<order> {buyer}                    # PAID, "pickup": {{"code", "qr_text"}}
  6 curl -s -XPOST {gateway}/api/merchant/session {body} \\
         -d '{{"username": "{username}", "password": "{password}"}}'   # -> {{"token": S}}
  7 curl -s -XPOST {gateway}/api/merchant/orders/<order>/ready {staff}     # READY_FOR_PICKUP: the buyer is told
  8 curl -s -XPOST {gateway}/api/merchant/pickups/verify {staff} {body} \\
         -d '{{"code": "<code or qr_text>", "store_id": "{store_id}"}}'   # COMPLETED; a second time: 409
"""


def banner(mall: LocalMall) -> str:
    gateway, sandbox = mall.url("gateway"), mall.url("alipay_sandbox")
    others = "".join(f"\n                                    {url}/api/ (replica {i})"
                     for i, url in enumerate(mall.urls("gateway")) if i)
    return f"""
mpmall is up.
  gateway (the only public entry):  {gateway}/api/   OpenAPI: {gateway}/api/openapi.json{others}
  merchant console:                 {gateway}/console/   (staff1 / mall-demo-1 for merchant mch_001)
  mini-program (H5 build):          {gateway}/m/
  Alipay sandbox:                   {sandbox}
  logistics sandbox (快递100):       {mall.url('logistics_sandbox')}
    move a parcel: POST /sandbox/shipments/<carrier>/<no>/advance {{"state": "3"}} (0, 5, 3, 2)
  logs:                             {mall.workdir / 'logs'}

Log in as a demo user, as a mini-program would:
  curl -s -XPOST {sandbox}/sandbox/auth-codes -H 'content-type: application/json' \\
       -d '{{"nickname": "小明", "credit_score": 720}}'          # -> {{"auth_code": ...}}
  curl -s -XPOST {gateway}/api/session -H 'content-type: application/json' -d '{{"auth_code": "<auth_code>"}}'
  curl -s '{gateway}/api/search?q=shouji' -H "Authorization: Bearer <token>"

{pickup_walkthrough(mall)}
Press Ctrl-C to stop.
"""


async def up(args: argparse.Namespace) -> None:
    mall = LocalMall(args.database_url, args.amqp_url, fixed_ports=True, replicas=args.replicas)
    await mall.prepare()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await mall.start()
        if not args.no_seed:
            await mall.seed()
        print(banner(mall), flush=True)
        await stop.wait()
    finally:
        print("stopping…", flush=True)
        await mall.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.local")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("up", help="bootstrap, start everything, seed demo data, serve until Ctrl-C")
    run.add_argument("--database-url", default=os.environ.get(
        "MALL_DATABASE_URL", "postgresql://postgres:postgres@127.0.0.1:5432/mpmall"))
    run.add_argument("--amqp-url", default=os.environ.get("MALL_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    run.add_argument("--no-seed", action="store_true")
    run.add_argument("--replicas", type=int, default=1, choices=range(1, 10), metavar="N",
                     help="processes of every service but the sandboxes (default 1)")
    args = parser.parse_args()
    asyncio.run(up(args))


if __name__ == "__main__":
    main()
