"""What the gateway process itself spends on a product read, with nothing else of the mall running.

    python -m bench.gateway_alone [--requests 3000] [--rounds 6] [--baseline DIR] [--profile FILE] [--gc]

bench.gateway measures the gateway inside the whole mall, where its CPU per read moves with what catalog,
PostgreSQL and the load generator do to the two CPUs. Here the gateway runs alone on a scratch database
and bus (deploy.local.LocalMall, its rate limits raised out of the way) and catalog is a stand-in answering
a product-sized document (bench.gateway_hop's); this process sends GET /api/products/{id} with a signed
user token and the headers aiohttp's client sends, at concurrency 50, through the gateway's own lean client
(services/gateway/hop.py), so that little of the machine goes to the load itself.

Beside it, in the same run, rounds interleaved and the order swapped each round:
  --baseline DIR  the gateway of another tree (e.g. `git archive <commit> | tar -x -C DIR`), as a second
                  process on the same database;
  bare relay      the floor: an aiohttp server under uvloop with one route and no middleware, signal or
                  check, relaying through the same hop client.
Reported per read, medians over the rounds: each process's CPU (utime + stime from /proc) and rate, and the
transactions PostgreSQL committed in the round (the gateway's session reads and rate-limit syncs, plus
background polling). `--profile FILE` runs this tree's gateway under a CPU-time sampler (SIGPROF every
0.5 ms of the process's own CPU, so time spent waiting for a CPU on a busy machine is not counted, unlike a
wall-clock sampler's) and writes its stacks, collapsed (`frame;frame;... count`), to FILE at its stop.
`--gc` runs each gateway with a watch on Python's garbage collector (gc.callbacks) and reports, per 1,000
reads of the rounds, its collections (the full ones apart) and the CPU they took.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import orjson
import uvloop

import deploy.local
from bench.gateway import commit, cpu_seconds
from bench.gateway_hop import PRODUCT, SERVICE, free_port
from bench.scratch import scratch_mall
from services.gateway.auth import Identity, Keyring, issue_token
from services.gateway.hop import ServiceClient

ROOT = Path(__file__).resolve().parent.parent
PRODUCT_PATH = "/api/products/p_111111111111111111111111"
# What bench.gateway's aiohttp client sends beside the token: the gateway parses these too.
CLIENT_HEADERS = {"User-Agent": "Python/3.11 aiohttp/3.14.5", "Accept": "*/*", "Accept-Encoding": "gzip, deflate"}
BARE_RELAY = """
import sys, uvloop
from aiohttp import web
from services.gateway.hop import ServiceClient
catalog = sys.argv[2]
ids = {"X-Request-Id": "r" * 32, "X-Correlation-Id": "r" * 32, "X-User-Id": "u_bench"}
async def start(app):
    app["client"] = ServiceClient(fixed_headers={"X-Internal-Token": "t"}, limit_per_replica=100)
async def product(request):
    answer = await request.app["client"].request(catalog, "GET", "/products/" + request.match_info["id"],
                                                 headers=ids, timeout=10, resend_stale=True)
    return web.Response(body=answer.body, status=answer.status, content_type=answer.content_type)
app = web.Application()
app.on_startup.append(start)
app.router.add_get("/api/products/{id}", product)
uvloop.install()
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""
GC_WATCH = """
import gc, os, runpy, sys, time
log = open(os.environ["BENCH_GC_LOG"], "w", buffering=1)
began = [0.0]
def watch(phase, info):
    if phase == "start":
        began[0] = time.process_time()
    else:
        log.write(f"{time.monotonic()} {info['generation']} {time.process_time() - began[0]}\\n")
gc.callbacks.append(watch)
sys.argv = ["services.gateway"]
runpy.run_module("services.gateway", run_name="__main__", alter_sys=True)
"""
SAMPLER = """
import atexit, collections, os, runpy, signal, sys
counts = collections.Counter()
def sample(signum, frame):
    stack = []
    while frame is not None:
        code = frame.f_code
        stack.append(f"{code.co_qualname} ({code.co_filename.rsplit('/site-packages/', 1)[-1]})")
        frame = frame.f_back
    counts[";".join(reversed(stack))] += 1
def write():
    with open(os.environ["BENCH_PROFILE"], "w") as out:
        out.writelines(f"{stack} {n}\\n" for stack, n in counts.items())
atexit.register(write)
signal.signal(signal.SIGPROF, sample)
signal.setitimer(signal.ITIMER_PROF, 0.0005, 0.0005)
sys.argv = ["services.gateway"]
runpy.run_module("services.gateway", run_name="__main__", alter_sys=True)
"""


async def start_gateway(mall: deploy.local.LocalMall, replica: int, tree: Path, profile: str | None,
                        gc_log: Path | None) -> int:
    """The gateway of `tree` as `replica` (under the CPU sampler writing to `profile`, or the collector's
    watch writing to `gc_log`, when given); its pid."""
    deploy.local.ROOT = tree  # where LocalMall starts it from
    if profile is None and gc_log is None:
        await mall.start_replica("gateway", replica)
    else:
        script, extra = (SAMPLER, {"BENCH_PROFILE": profile}) if profile else (GC_WATCH, {"BENCH_GC_LOG": str(gc_log)})
        log = open(mall.log_path("gateway", replica), "ab")  # noqa: ASYNC230, SIM115 - handed to the child
        mall.processes["gateway", replica] = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, cwd=tree, env={**mall.env("gateway", replica), **extra},
            stdout=log, stderr=asyncio.subprocess.STDOUT, start_new_session=True)
        log.close()
    await mall.wait_ready("gateway", replica)
    return mall.processes["gateway", replica].pid


async def wait_listening(port: int) -> None:
    for _ in range(300):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise RuntimeError(f"nothing listens on {port}")


Figures = dict[str, list[tuple[float, float, int]]]  # per process: (CPU ms per read, reads/s, commits) per round
Windows = dict[str, list[tuple[float, float]]]  # per process: each round's (start, end), time.monotonic()


def collections_in(log: Path, windows: list[tuple[float, float]], reads: int) -> str:
    """What the collector did within the rounds, per 1,000 reads, from a GC_WATCH log."""
    young = full = 0
    seconds = 0.0
    for line in log.read_text().splitlines():
        at, generation, took = line.split()
        if any(start <= float(at) <= end for start, end in windows):
            full += generation == "2"
            young += generation != "2"
            seconds += float(took)
    per = 1000 / reads
    return (f"collections per 1,000 reads {young * per:.1f} young, {full * per:.2f} full, "
            f"CPU {1000 * seconds * per:.1f} ms")


async def measure(args: argparse.Namespace, trees: dict[str, Path], catalog_port: int, relay_port: int,
                  relay_pid: int
                  ) -> tuple[Figures, dict[str, str], float]:
    """Each process's (CPU ms per read, reads/s, PostgreSQL commits) per round; with --gc, what each gateway's
    collector did; the load average at the end."""
    limits = {"MALL_RATE_USER_LIMIT": "1000000000", "MALL_RATE_IP_LIMIT": "1000000000"}
    async with scratch_mall("benchalone", start=False, env=limits) as (mall, database):
        mall.extra_env["MALL_CATALOG_URL"] = f"http://127.0.0.1:{catalog_port}"
        mall.replicas["gateway"] = len(trees)
        mall.ports["gateway"] += [free_port() for _ in range(len(trees) - 1)]
        (mall.workdir / "logs").mkdir(parents=True, exist_ok=True)
        pids, bases, gc_logs = {}, {}, {}
        for replica, (name, tree) in enumerate(trees.items()):
            if args.gc:
                gc_logs[name] = mall.workdir / f"gc-{replica}.log"
            pids[name] = await start_gateway(mall, replica, tree, args.profile if replica == 0 else None,
                                             gc_logs.get(name))
            bases[name] = mall.url("gateway", replica)
        await wait_listening(relay_port)
        pids["bare relay"], bases["bare relay"] = relay_pid, f"http://127.0.0.1:{relay_port}"
        token = issue_token(Keyring(mall.token_secret),
                            Identity("user", "u_bench", session_id=f"s_{uuid.uuid4().hex}"), 3600)
        headers = {"Authorization": f"Bearer {token}", **CLIENT_HEADERS}
        client = ServiceClient(limit_per_replica=args.concurrency)
        commits: Callable[[], Awaitable[int]] = lambda: database.admin.fetchval(  # noqa: E731
            "SELECT xact_commit FROM pg_stat_database WHERE datname = $1", database.name)

        async def run(base: str, requests: int) -> None:
            left = requests

            async def worker() -> None:
                nonlocal left
                while left > 0:
                    left -= 1
                    answer = await client.request(base, "GET", PRODUCT_PATH, headers=headers, timeout=30,
                                                  resend_stale=True)
                    if answer.status != 200:
                        raise RuntimeError(f"{base} answered {answer.status}: {answer.body[:300]!r}")

            await asyncio.gather(*(worker() for _ in range(args.concurrency)))

        for base in bases.values():
            await run(base, 500)  # warm-up: connections, the token's verification, the session's memo
        figures: Figures = {name: [] for name in bases}
        windows: Windows = {name: [] for name in bases}
        for turn in range(args.rounds):
            names = list(bases) if turn % 2 == 0 else list(reversed(bases))
            for name in names:
                committed, cpu, started = await commits(), cpu_seconds(pids[name]) or 0.0, time.perf_counter()
                began = time.monotonic()
                await run(bases[name], args.requests)
                windows[name].append((began, time.monotonic()))
                elapsed = time.perf_counter() - started
                used = (cpu_seconds(pids[name]) or 0.0) - cpu
                await asyncio.sleep(0.6)  # PostgreSQL's statistics are reported at most every 500 ms
                figures[name].append((1000 * used / args.requests, args.requests / elapsed,
                                      await commits() - committed))
        await client.close()
        collector = {name: collections_in(log, windows[name], args.requests * args.rounds)
                     for name, log in gc_logs.items()}
        return figures, collector, os.getloadavg()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--baseline", help="another tree, whose gateway runs beside this one's")
    parser.add_argument("--profile", help="write this tree's gateway's CPU-time stacks here")
    parser.add_argument("--gc", action="store_true", help="report what each gateway's garbage collector did")
    args = parser.parse_args()
    if args.profile and args.gc:
        parser.error("--profile and --gc each run the gateway under their own watch: one at a time")
    trees = {"this tree": ROOT, **({"baseline": Path(args.baseline).resolve()} if args.baseline else {})}
    load_before = os.getloadavg()[0]
    catalog_port, relay_port = free_port(), free_port()
    catalog = subprocess.Popen([sys.executable, "-c", SERVICE, str(catalog_port), orjson.dumps(PRODUCT).decode()])
    relay = subprocess.Popen([sys.executable, "-c", BARE_RELAY, str(relay_port), f"http://127.0.0.1:{catalog_port}"],
                             cwd=ROOT)
    uvloop.install()
    try:
        figures, collector, load_after = asyncio.run(measure(args, trees, catalog_port, relay_port, relay.pid))
    finally:
        relay.terminate()
        catalog.terminate()
    print(f"commit {commit()}; {args.requests} product reads per round, concurrency {args.concurrency}, "
          f"medians of {args.rounds} interleaved rounds; load average {load_before:.1f} before, {load_after:.1f} after")
    for name, runs in figures.items():
        cpu = statistics.median(c for c, _, _ in runs)
        print(f"  {name + ':':12} CPU {cpu:.3f} ms per read (rounds {' '.join(f'{c:.3f}' for c, _, _ in runs)}), "
              f"{statistics.median(r for _, r, _ in runs):.0f} reads/s, PostgreSQL commits per round "
              f"{statistics.median(n for _, _, n in runs):.0f}")
        if name in collector:
            print(f"  {'':12} {collector[name]}")


if __name__ == "__main__":
    main()
