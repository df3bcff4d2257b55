"""What the gateway hop costs: the same reads through the gateway and from catalog directly, in one run.

    python -m bench.gateway [--requests 2000] [--concurrency 50] [--rounds 3] [--reads product,search]

Uses MALL_TEST_DATABASE_URL / MALL_TEST_AMQP_URL or the local servers; creates and drops its own database
and bus prefix. Starts the whole mall with deploy.local.LocalMall (every service its own process, the
gateway's rate limits raised out of the way), seeds the demo data and logs one demo user in, then measures
with aiohttp at the same concurrency:
  product  GET /api/products/{id} through the gateway (Bearer token) beside GET /products/{id} on catalog
           with the headers the gateway would have sent (X-User-Id, and X-Internal-Token when the mall
           has one);
  search   GET /api/search?q=shouji through the gateway beside GET /search?q=shouji on catalog, also with
           X-User-Id, so catalog does the same work (it records the user's search history) both ways.
After a warm-up of both, each pair runs `--rounds` times direct and through the gateway, interleaved (the
order swapped each round, so a machine getting busier weighs on both alike), with the same client session
and concurrency; every answer must be 200. Figures are medians over the rounds. Beside each figure, the CPU
per request of the gateway and catalog processes, of this load generator and of PostgreSQL's backends
serving the scratch database (utime + stime from /proc/<pid>/stat before and after, less what each spends
in that time when idle, measured for 5 s before the rounds): on this shared machine a steadier measure of
what the hop costs than the rates, which move with whatever else runs; their sums give the share of the
direct rate the gateway would reach on a machine these processes had to themselves. Each pair of rounds
gives its own ratios too (of the rates, and that share on CPU), with their medians. The output names the
commit and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg

from bench.scratch import PG, scratch_mall
from deploy.local import LocalMall

QUERY = "shouji"
WARMUP = 200
IDLE_SECONDS = 5.0


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of one process so far (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # fields 14 and 15 of proc(5), after pid and comm


@dataclass
class Figures:
    rate: float  # requests per second
    p50_ms: float
    p99_ms: float
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per request, of each service process watched


def cpu_of(pids: Mapping[str, list[int]]) -> dict[tuple[str, int], float]:
    return {(name, pid): seconds for name, group in pids.items() for pid in group
            if (seconds := cpu_seconds(pid)) is not None}


def cpu_used(before: Mapping[tuple[str, int], float], pids: Mapping[str, list[int]]) -> dict[str, float]:
    """CPU seconds each group of processes used since `before` (a process gone meanwhile is left out)."""
    after = cpu_of(pids)
    used = dict.fromkeys(pids, 0.0)
    for key, seconds in before.items():
        if key in after:
            used[key[0]] += after[key] - seconds
    return used


async def idle_cpu(pids: Mapping[str, list[int]], seconds: float = IDLE_SECONDS) -> dict[str, float]:
    """Each group's CPU seconds per second while no request comes (relays, jobs, listeners polling)."""
    before = cpu_of(pids)
    await asyncio.sleep(seconds)
    return {name: used / seconds for name, used in cpu_used(before, pids).items()}


async def hammer(session: aiohttp.ClientSession, url: str, headers: Mapping[str, str], requests: int,
                 concurrency: int, pids: Mapping[str, list[int]] | None = None,
                 idle: Mapping[str, float] | None = None) -> Figures:
    """`requests` GETs of `url` from `concurrency` workers; every answer must be 200. `pids`: processes whose
    CPU per request is reported, less what they spend idle (`idle`, per second) in that time."""
    latencies: list[float] = []
    left = requests
    before = cpu_of(pids or {})

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            started = time.perf_counter()
            async with session.get(url, headers=headers) as resp:
                body = await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"GET {url} answered {resp.status}: {body[:300]!r}")
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    cpu = {name: 1000 * (used - (idle or {}).get(name, 0.0) * elapsed) / len(latencies)
           for name, used in cpu_used(before, pids or {}).items()}
    return Figures(len(latencies) / elapsed, 1000 * latencies[len(latencies) // 2],
                   1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], cpu)


async def log_in(session: aiohttp.ClientSession, mall: LocalMall) -> tuple[str, str]:
    """A demo user's bearer token and mall user id, the way a mini-program logs in."""
    async with session.post(f"{mall.url('alipay_sandbox')}/sandbox/auth-codes",
                            json={"nickname": "压测", "credit_score": 720}) as resp:
        assert resp.status == 201, await resp.text()
        code = (await resp.json())["auth_code"]
    async with session.post(f"{mall.url('gateway')}/api/session", json={"auth_code": code}) as resp:
        assert resp.status == 200, await resp.text()
        answer = await resp.json()
    return answer["token"], answer["user"]["id"]


async def database_backends(database: str) -> list[int]:
    """The PostgreSQL backends serving the mall's scratch database (the services' pools, opened by now)."""
    conn = await asyncpg.connect(PG)
    try:
        return [r["pid"] for r in await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database)]
    finally:
        await conn.close()


async def measure(mall: LocalMall, database: str, requests: int, concurrency: int, rounds: int, names: list[str]
                  ) -> tuple[dict[str, tuple[list[Figures], list[Figures]]], dict[str, float]]:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        token, user_id = await log_in(session, mall)
        gateway_headers = {"Authorization": f"Bearer {token}"}
        catalog_headers = {"X-User-Id": user_id}
        # Where the services admit only the gateway (a shared token), the direct calls carry it as it does.
        internal_token = getattr(mall, "internal_token", "")
        if internal_token:
            catalog_headers["X-Internal-Token"] = internal_token
        async with session.get(f"{mall.url('gateway')}/api/search", params={"q": QUERY},
                               headers=gateway_headers) as resp:
            assert resp.status == 200, await resp.text()
            found = await resp.json()
        assert found["items"], f"no product for q={QUERY}"
        product_id = found["items"][0]["id"]
        pairs = {
            "product": (f"{mall.url('catalog')}/products/{product_id}",
                        f"{mall.url('gateway')}/api/products/{product_id}"),
            "search": (f"{mall.url('catalog')}/search?q={QUERY}", f"{mall.url('gateway')}/api/search?q={QUERY}"),
        }
        pids = {service: [mall.processes[service, 0].pid] for service in ("gateway", "catalog")}
        pids["load generator"] = [os.getpid()]  # this process: the same client and concurrency both ways
        pids["postgresql"] = await database_backends(database)
        idle = await idle_cpu(pids)
        figures: dict[str, tuple[list[Figures], list[Figures]]] = {}
        for name in names:
            direct_url, gateway_url = pairs[name]
            await hammer(session, direct_url, catalog_headers, WARMUP, concurrency)
            await hammer(session, gateway_url, gateway_headers, WARMUP, concurrency)
            directs, throughs = [], []
            for turn in range(rounds):  # interleaved, the order swapped each round: drift hits both alike
                sides = [(directs, direct_url, catalog_headers), (throughs, gateway_url, gateway_headers)]
                for runs, url, headers in sides if turn % 2 == 0 else reversed(sides):
                    runs.append(await hammer(session, url, headers, requests, concurrency, pids, idle))
            figures[name] = (directs, throughs)
        return figures, idle


def median_figures(runs: list[Figures]) -> Figures:
    """Each figure's median over the rounds."""
    return Figures(statistics.median(f.rate for f in runs), statistics.median(f.p50_ms for f in runs),
                   statistics.median(f.p99_ms for f in runs),
                   {name: statistics.median(f.cpu_ms[name] for f in runs) for name in runs[0].cpu_ms})


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="direct and gateway runs per read, interleaved")
    parser.add_argument("--reads", default="product,search", help="which reads: product, search or both")
    args = parser.parse_args()
    limit = str(100 * (args.rounds * args.requests + WARMUP) * 4)  # every request of the run fits in one window
    async with scratch_mall(env={"MALL_RATE_USER_LIMIT": limit, "MALL_RATE_IP_LIMIT": limit}) as (mall, database):
        load_before = os.getloadavg()[0]
        figures, idle = await measure(mall, database.name, args.requests, args.concurrency, args.rounds,
                                      args.reads.split(","))
        load_after = os.getloadavg()[0]
    print(f"commit {commit()}; requests: {args.requests} per run, concurrency {args.concurrency}, "
          f"median of {args.rounds} interleaved rounds; load average {load_before:.1f} before, {load_after:.1f} after")
    print("idle CPU (subtracted below): " + ", ".join(f"{name} {100 * rate:.1f} %" for name, rate in idle.items()))
    for label, (directs, throughs) in figures.items():
        direct, through = median_figures(directs), median_figures(throughs)
        print(f"{label}:")
        for who, f in (("catalog direct", direct), ("via gateway", through)):
            cpu = "   ".join(f"{name} {ms:.2f}" for name, ms in f.cpu_ms.items())
            print(f"  {who + ':':16}{f.rate:7.0f} req/s   p50 {f.p50_ms:6.1f} ms   p99 {f.p99_ms:6.1f} ms   "
                  f"CPU ms per request: {cpu}")
        whole = {who: sum(f.cpu_ms.values()) for who, f in (("direct", direct), ("gateway", through))}
        print(f"  CPU per read, all of the above: direct {whole['direct']:.2f} ms, via gateway "
              f"{whole['gateway']:.2f} ms: were the machine ours, the gateway would serve "
              f"{whole['direct'] / whole['gateway']:.0%} of the direct rate")
        pairs = list(zip(directs, throughs, strict=True))
        rates = [t.rate / d.rate for d, t in pairs]
        shares = [sum(d.cpu_ms.values()) / sum(t.cpu_ms.values()) for d, t in pairs]
        print(f"  gateway/direct: {through.rate / direct.rate:.0%} of the rate (rounds: "
              f"{'  '.join(f'{r:.0%}' for r in rates)}; their median {statistics.median(rates):.0%}), "
              f"p50 x{through.p50_ms / direct.p50_ms:.1f}, p99 x{through.p99_ms / direct.p99_ms:.1f}")
        print(f"  share on CPU, each round: {'  '.join(f'{r:.0%}' for r in shares)}; "
              f"their median {statistics.median(shares):.0%}")


def commit() -> str:
    """The tree measured: its commit, with + when it has uncommitted changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+" if dirty else "")


if __name__ == "__main__":
    asyncio.run(main())
