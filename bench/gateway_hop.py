"""What one gateway-to-service call costs the gateway: aiohttp's client beside the gateway's own
(services/gateway/hop.py), the same calls in the same run.

    python -m bench.gateway_hop [--requests 5000] [--concurrency 50] [--rounds 5]

A stand-in service (an aiohttp app under uvloop in its own process, as the services run) answers GET
/products/{id} with a product-sized JSON document. This process, under uvloop too, sends it `--requests`
GETs at `--concurrency` with the headers the gateway sends (user, request and correlation ids, the internal
token), once with an aiohttp ClientSession set up as the gateway's was and once with `ServiceClient`,
interleaved and the order swapped each round. Reported per call, medians over the rounds: this process's
CPU (the client's whole cost: its requests, answer parsing, event loop and socket calls) and the stand-in's.
No database, no other service: the figure is the hop's alone, steadier than bench.gateway's on a shared
machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable

import aiohttp
import orjson
import uvloop

from bench.gateway import commit, cpu_seconds
from services.gateway.hop import ServiceClient

TOKEN = "bench-internal-token"
SERVICE = """
import sys, orjson, uvloop
from aiohttp import web
product = orjson.loads(sys.argv[2])
async def answer(request):
    return web.Response(body=orjson.dumps(product), content_type="application/json")
app = web.Application()
app.router.add_get("/products/{id}", answer)
uvloop.install()
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""
PRODUCT = {"id": "p_" + "1" * 24, "merchant_id": "mch_001", "title": "华为 Mate 手机 256G", "price_fen": 599900,
           "description": "旗舰手机 " * 40, "images": [f"https://img.example/{n}.jpg" for n in range(6)],
           "skus": [{"id": f"sku_{n}", "name": f"颜色 {n}", "price_fen": 599900 + n, "stock": 10} for n in range(6)]}

Call = Callable[[dict[str, str]], Awaitable[bytes]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def run(call: Call, requests: int, concurrency: int, server_pid: int) -> tuple[float, float, float]:
    """Calls per second, and this process's and the stand-in's CPU ms per call."""
    left = requests
    user = f"u_{uuid.uuid4().hex[:12]}"

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            request_id = uuid.uuid4().hex
            body = await call({"X-Request-Id": request_id, "X-Correlation-Id": request_id, "X-User-Id": user})
            assert body.startswith(b'{"id"'), body[:100]

    server_before, started, cpu_before = cpu_seconds(server_pid) or 0.0, time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_before
    server = (cpu_seconds(server_pid) or 0.0) - server_before
    return requests / elapsed, 1000 * cpu / requests, 1000 * server / requests


async def measure(base: str, requests: int, concurrency: int, rounds: int, server_pid: int
                  ) -> dict[str, list[tuple[float, float, float]]]:
    target = "/products/p_" + "1" * 24
    session = aiohttp.ClientSession(  # as services/gateway/upstream.py set it up before hop.py
        timeout=aiohttp.ClientTimeout(total=5, connect=2),
        connector=aiohttp.TCPConnector(limit=200, limit_per_host=100))
    client = ServiceClient(fixed_headers={"X-Internal-Token": TOKEN})

    async def with_aiohttp(headers: dict[str, str]) -> bytes:
        async with session.request("GET", f"{base}{target}", headers={**headers, "X-Internal-Token": TOKEN}) as r:
            body = await r.read()
            assert r.status == 200 and r.content_type == "application/json"
            return body

    async def with_hop(headers: dict[str, str]) -> bytes:
        answer = await client.request(base, "GET", target, headers=headers, timeout=5, resend_stale=True)
        assert answer.status == 200 and answer.content_type == "application/json"
        return answer.body

    sides: list[tuple[str, Call]] = [("aiohttp ClientSession", with_aiohttp), ("hop.ServiceClient", with_hop)]
    figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _ in sides}
    try:
        for _, call in sides:  # warm-up: connections opened, code paths hot
            await run(call, 500, concurrency, server_pid)
        for turn in range(rounds):
            for name, call in sides if turn % 2 == 0 else reversed(sides):
                figures[name].append(await run(call, requests, concurrency, server_pid))
    finally:
        await session.close()
        await client.close()
    return figures


async def wait_listening(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError("the stand-in service did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVICE, str(port), orjson.dumps(PRODUCT).decode()])
    try:
        uvloop.install()
        load_before = os.getloadavg()[0]

        async def go() -> dict[str, list[tuple[float, float, float]]]:
            await wait_listening(port)
            return await measure(f"http://127.0.0.1:{port}", args.requests, args.concurrency, args.rounds,
                                 server.pid)

        figures = asyncio.run(go())
        load_after = os.getloadavg()[0]
    finally:
        server.terminate()
        server.wait()
    print(f"commit {commit()}; {args.requests} GETs per run ({len(orjson.dumps(PRODUCT))}-byte answer), "
          f"concurrency {args.concurrency}, median of {args.rounds} interleaved rounds; "
          f"load average {load_before:.1f} before, {load_after:.1f} after")
    for name, runs in figures.items():
        rate, client_ms, server_ms = (statistics.median(f[i] for f in runs) for i in range(3))
        each = "  ".join(f"{f[1]:.3f}" for f in runs)
        print(f"  {name + ':':24}{rate:7.0f} calls/s   client CPU {client_ms:.3f} ms per call (rounds: {each})   "
              f"stand-in service CPU {server_ms:.3f} ms")


if __name__ == "__main__":
    main()
