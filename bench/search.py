"""Catalog search on a large catalogue: the indexed query beside the previous one (the raw baseline), same run.

    python bench/search.py [--products 100000] [--concurrency 20] [--searches 3000] [--baseline-searches 300]
                           [--keep-database mall_NAME] [--single [--single-repeats 5]] [--previous COMMIT]
                           [--rounds 1]

Creates a scratch database (dropped afterwards; with --keep-database: that one, kept, and seeded only when it does
not hold the catalogue yet) with the catalog schema, seeds it with seeds/catalog_scale.py (products × 3 SKUs,
COPY), then from `concurrency` tasks runs the labelled query set (Chinese words, full
pinyin, initials, typos, several words) round-robin, one search per transaction as the buyer API does (first
page of 20), and prints p50/p99 latency, searches/s and how many labelled queries found their
product in the top 3, for:
  baseline  the query before migration 0010_search_scale: one WHERE ORing every condition (a full scan);
  previous  with --previous COMMIT: store/search.py as it was at that commit (read with `git show`) at its typo
            threshold (--previous-threshold: today's by default; 0.4, its word similarity, before a90d9cf,
            e.g. 3d5ebc8);
  indexed   store/search.py today: only the branches that apply, each served by an index.
--baseline-searches 0 leaves the baseline out (minutes of full scans). --single also times each query of SINGLE
one at a time (best of --single-repeats, 5: steadier than latencies under concurrency on a shared machine), with
--previous that commit's search too, the two taking turns search by search, and the CPU time PostgreSQL's backend
spent on each (median; from /proc, so with PostgreSQL on this machine): steadier still, as it leaves out the wait
for a core. --single-labelled: the 70 labelled queries instead of SINGLE, with the sum of their CPU (what one
round of the mix costs PostgreSQL).
The load average is printed with the figures: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch import scratch_database  # noqa: E402
from seeds.catalog_scale import QUERIES, anchor_id, seed_scale  # noqa: E402
from services.catalog.api.buyer import FUZZY_THRESHOLD  # noqa: E402
from services.catalog.domain import like_escape, plan_search  # noqa: E402
from services.catalog.settings import CatalogSettings  # noqa: E402
from services.catalog.store import search  # noqa: E402
from services.catalog.store.catalogue import CARD  # noqa: E402
from shared.db import bootstrap, service_dsn  # noqa: E402

PAGE = 20
COUNT_CAP = CatalogSettings().search_count_cap  # the deployed default (MALL_SEARCH_COUNT_CAP)
# One at a time: the labelled queries' kinds, and the common words with the most hits (the costliest).
SINGLE = ["手机", "sj", "奶粉", "纸尿裤", "zhiniaoku", "shouji", "保温杯", "kongqizaguo", "xiaomi 14 ultar", "iphnoe",
          "华为 平板", "pbj", "lining paobuxie"]

# store/search.py's SEARCH before this change, verbatim.
BASELINE = f"""
WITH hits AS (
    SELECT p.id,
        greatest(
            CASE WHEN p.search_text LIKE $2 THEN 1.0 ELSE 0 END,
            CASE WHEN p.pinyin LIKE $4 THEN 0.9 ELSE 0 END,
            CASE WHEN $5::text IS NOT NULL AND p.initials LIKE $5 || '%' THEN 0.85
                 WHEN $5::text IS NOT NULL AND p.initials LIKE '%' || $5 || '%' THEN 0.8 ELSE 0 END,
            word_similarity($1, p.search_text) * 0.7,
            word_similarity($3, p.pinyin) * 0.6,
            CASE WHEN cardinality($8::text[]) > 0 AND every_word.found THEN 0.95 ELSE 0 END
        ) AS score
    FROM products p
    CROSS JOIN LATERAL (
        SELECT coalesce(bool_and(p.search_text LIKE w.text_like
                                 OR (w.pinyin_like <> '%%' AND p.pinyin LIKE w.pinyin_like)), false) AS found
        FROM unnest($8::text[], $9::text[]) AS w(text_like, pinyin_like)
    ) every_word
    WHERE p.active AND (
        p.search_text LIKE $2 OR $1 <% p.search_text OR every_word.found
        OR ($3 <> '' AND (p.pinyin LIKE $4 OR (length($3) >= 4 AND $3 <% p.pinyin)))
        OR ($5::text IS NOT NULL AND p.initials LIKE '%' || $5 || '%'))
)
SELECT card.*, hits.score, count(*) OVER () AS total
FROM hits JOIN ({CARD}) card ON card.id = hits.id
ORDER BY hits.score DESC, card.sold DESC, card.id
LIMIT $6 OFFSET $7
"""


async def baseline(conn: asyncpg.Connection, q: str) -> list[asyncpg.Record]:
    plan = plan_search(q)
    words = [(f"%{like_escape(t)}%", f"%{like_escape(p)}%") for t, p in plan.words]
    async with conn.transaction():
        await conn.execute("SELECT set_config('pg_trgm.word_similarity_threshold', '0.4', true)")  # its threshold
        return await conn.fetch(BASELINE, plan.text, f"%{like_escape(plan.text)}%", plan.pinyin,
                                f"%{like_escape(plan.pinyin)}%", plan.initials, PAGE, 0,
                                [t for t, _ in words], [p for _, p in words])


async def indexed(conn: asyncpg.Connection, q: str) -> list[asyncpg.Record]:
    async with conn.transaction():
        return await search.search_products(conn, plan_search(q), PAGE, 0, FUZZY_THRESHOLD, COUNT_CAP)


def previous_search(commit: str, threshold: float):  # noqa: ANN201
    """store/search.py of an earlier commit, as a module of its own (the rest of the code is today's)."""
    root = Path(__file__).resolve().parent.parent
    source = subprocess.run(["git", "-C", str(root), "show", f"{commit}:services/catalog/store/search.py"],
                            check=True, capture_output=True, text=True).stdout
    module = types.ModuleType(f"search_at_{commit}")
    sys.modules[module.__name__] = module  # (a dataclass looks its module up there)
    exec(compile(source, f"{commit}:services/catalog/store/search.py", "exec"), module.__dict__)  # noqa: S102

    capped = "cap" in inspect.signature(module.search_products).parameters  # (since perf-search3)

    async def way(conn: asyncpg.Connection, q: str) -> list[asyncpg.Record]:
        async with conn.transaction():
            if capped:
                return await module.search_products(conn, plan_search(q), PAGE, 0, threshold, COUNT_CAP)
            return await module.search_products(conn, plan_search(q), PAGE, 0, threshold)
    return way


async def run(pool: asyncpg.Pool, way, searches: int, concurrency: int) -> tuple[list[float], float, int]:  # noqa: ANN001
    """Latencies (ms), seconds, and how many labelled queries had their product in the top 3."""
    queue = iter(range(searches))
    latencies: list[float] = []
    found: set[str] = set()

    async def worker() -> None:
        async with pool.acquire() as conn:
            for n in queue:
                q, name = QUERIES[n % len(QUERIES)]
                started = time.perf_counter()
                rows = await way(conn, q)
                latencies.append((time.perf_counter() - started) * 1000)
                if anchor_id(name) in [r["id"] for r in rows[:3]]:
                    found.add(q)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started, len(found)


def on_cpu_ns(pid: int) -> int | None:
    """Nanoseconds process `pid` has run on a CPU (Linux schedstat; None elsewhere): waiting for a core, which
    is most of a search's latency on a busy machine, is not counted."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


async def single(pool: asyncpg.Pool, ways: list, repeats: int,  # noqa: ANN001
                 queries: list[str]) -> list[list[tuple[str, float, float, str]]]:
    """For each way, (query, best of `repeats` in ms, median PostgreSQL CPU ms, total) of each query, one
    search at a time; the ways take turns search by search, so a change in the machine's load falls on both."""
    best = [[float("inf")] * len(queries) for _ in ways]
    cpu: list[list[list[float]]] = [[[] for _ in queries] for _ in ways]
    totals = [["0"] * len(queries) for _ in ways]
    async with pool.acquire() as conn:
        backend = await conn.fetchval("SELECT pg_backend_pid()")
        for n, q in enumerate(queries):
            for _ in range(repeats):
                for w, way in enumerate(ways):
                    cpu_before, started = on_cpu_ns(backend), time.perf_counter()
                    rows = await way(conn, q)
                    best[w][n] = min(best[w][n], (time.perf_counter() - started) * 1000)
                    cpu_after = on_cpu_ns(backend)
                    if cpu_before is not None and cpu_after is not None:
                        cpu[w][n].append((cpu_after - cpu_before) / 1e6)
                    exact = not rows or "total_exact" not in rows[0].keys() or rows[0]["total_exact"]  # noqa: SIM118
                    totals[w][n] = f"{rows[0]['total'] if rows else 0}{'' if exact else '+'}"
    return [[(q, best[w][n], statistics.median(cpu[w][n]) if cpu[w][n] else float("nan"), totals[w][n])
             for n, q in enumerate(queries)] for w in range(len(ways))]


def line(label: str, latencies: list[float], seconds: float, found: int) -> str:
    cuts = statistics.quantiles(latencies, n=100)
    return (f"{label:9} p50 {cuts[49]:7.1f} ms  p95 {cuts[94]:7.1f} ms  p99 {cuts[98]:7.1f} ms"
            f"  {len(latencies) / seconds:7.1f} searches/s"
            f"  top-3 {found}/{len(QUERIES)}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("MALL_DATABASE_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--searches", type=int, default=3000)
    parser.add_argument("--baseline-searches", type=int, default=len(QUERIES) * 2,
                        help="the full scan is slow: fewer (at least one round of the queries)")
    parser.add_argument("--previous", metavar="COMMIT", help="also time store/search.py of this commit")
    parser.add_argument("--previous-threshold", type=float, default=FUZZY_THRESHOLD,
                        help="the typo threshold of that commit: today's, or 0.4 before a90d9cf (3d5ebc8)")
    parser.add_argument("--single", action="store_true", help="also time SINGLE queries one at a time")
    parser.add_argument("--single-labelled", action="store_true",
                        help="--single times the 70 labelled queries instead, and sums their CPU (the mix's cost)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of the concurrent searches (each way in turn)")
    parser.add_argument("--single-repeats", type=int, default=5, help="--single: the best of this many searches")
    parser.add_argument("--keep-database", metavar="NAME",
                        help="use this database and keep it (seeding takes minutes): created and seeded if needed")
    args = parser.parse_args()

    async with scratch_database(args.database_url, keep=args.keep_database) as database:
        dsn = database.url
        await bootstrap(dsn, "catalog")
        started = time.perf_counter()
        conn = await asyncpg.connect(service_dsn(dsn, "catalog"), server_settings={"search_path": "catalog"})
        seeded = await conn.fetchval("SELECT count(*) FROM products WHERE id LIKE 'p\\_scale\\_%'")
        if seeded != args.products:
            await seed_scale(conn, args.products)
            seconds = time.perf_counter() - started
            print(f"seeded {args.products} products / {args.products * 3} SKUs in {seconds:.0f} s")
        await conn.close()
        pool = await asyncpg.create_pool(service_dsn(dsn, "catalog"), min_size=args.concurrency,
                                         max_size=args.concurrency, server_settings={"search_path": "catalog"})
        await run(pool, indexed, len(QUERIES), args.concurrency)  # warm up connections and caches
        load = os.getloadavg()
        base = await run(pool, baseline, args.baseline_searches, args.concurrency) if args.baseline_searches else None
        earlier = previous_search(args.previous, args.previous_threshold) if args.previous else None
        rounds: list[tuple[str, tuple[list[float], float, int]]] = []
        for n in range(args.rounds):  # with --previous, the two take turns, the first changing each round
            ways = [("previous", earlier), ("indexed", indexed)] if earlier else [("indexed", indexed)]
            for label, way in ways if n % 2 == 0 else ways[::-1]:
                rounds.append((label, await run(pool, way, args.searches, args.concurrency)))
        load_after = os.getloadavg()
        queries = [q for q, _ in QUERIES] if args.single_labelled else SINGLE
        alone = await single(pool, [indexed, *([earlier] if earlier else [])], args.single_repeats, queries) \
            if args.single else []
        await pool.close()
        print(f"products={args.products} concurrency={args.concurrency} queries={len(QUERIES)} (mixed, round-robin)")
        print(f"load average before {load[0]:.1f} / after {load_after[0]:.1f} (1 min), {os.cpu_count()} CPUs")
        if base:
            print(line("baseline", *base))
        for label, figures in rounds:
            print(line(label, *figures))
        for label, timings in zip(["indexed", "previous"], alone, strict=False):
            print(f"{label} one at a time, best of {args.single_repeats} and PostgreSQL's CPU per search (median)"
                  f" (load average {os.getloadavg()[0]:.1f}): "
                  + ", ".join(f"{q} {ms:.1f} ms, CPU {on_cpu:.1f} ms ({total} hits)"
                              for q, ms, on_cpu, total in timings)
                  + f"; CPU of all {len(timings)}: {sum(on_cpu for _, _, on_cpu, _ in timings):.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
