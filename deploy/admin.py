"""Operator steps around the services, for container platforms and scripts.

    python -m deploy.admin bootstrap          # roles, schemas, migrations of every service (admin DSN)
    python -m deploy.admin dev-keys DIR       # dev-only Alipay key pairs for the sandbox setup
    python -m deploy.admin seed               # demo data (run once the services are up)
    python -m deploy.admin block-term TERM    # never suggest searches or names holding TERM (platform-wide)
    python -m deploy.admin unblock-term TERM
    python -m deploy.admin blocked-terms      # the platform's blocked terms

Reads MALL_DATABASE_URL (a superuser DSN for bootstrap; the services log in with their own roles).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import uuid

from deploy.local import SEEDED, SERVICES, WITHOUT_DATABASE
from shared.alipay.keys import write_dev_keys
from shared.db import bootstrap


async def bootstrap_all(database_url: str) -> None:
    for service in SERVICES:
        if service not in WITHOUT_DATABASE:
            await bootstrap(database_url, service)
            print(f"bootstrapped {service}")


async def seed_all(database_url: str) -> None:
    from deploy.local import LocalMall

    mall = LocalMall(database_url, os.environ.get("MALL_AMQP_URL", ""))
    await mall.seed()
    print(f"seeded {', '.join(SEEDED)}")


async def blocked_terms(database_url: str, command: str, term: str | None) -> None:
    """The platform's blocked suggestion terms, in catalog's schema (merchants keep theirs through the console)."""
    import asyncpg

    from services.catalog.domain import normalise_query
    from services.catalog.store import search

    conn = await asyncpg.connect(database_url, server_settings={"search_path": "catalog"})
    try:
        text = normalise_query(term or "")
        if command != "blocked-terms" and not text:
            raise SystemExit("a term is needed")
        if command == "block-term":
            row = await search.add_blocked_term(conn, f"bt_{uuid.uuid4().hex[:16]}", None, text)
            print(f"blocked {row['term']!r} ({row['id']})")
        elif command == "unblock-term":
            print(f"unblocked {text!r}" if await search.remove_blocked_term_text(conn, None, text)
                  else f"{text!r} was not blocked")
        else:
            for row in await search.blocked_terms(conn, None):
                print(f"{row['id']}\t{row['term']}")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.admin")
    parser.add_argument("command", choices=["bootstrap", "dev-keys", "seed", "block-term", "unblock-term",
                                            "blocked-terms"])
    parser.add_argument("folder", nargs="?", help="dev-keys: the folder (run/keys); block-term: the term")
    args = parser.parse_args()
    database_url = os.environ.get("MALL_DATABASE_URL", "postgresql://postgres:postgres@127.0.0.1:5432/mpmall")
    if args.command in ("block-term", "unblock-term", "blocked-terms"):
        asyncio.run(blocked_terms(database_url, args.command, args.folder))
    elif args.command == "bootstrap":
        asyncio.run(bootstrap_all(database_url))
    elif args.command == "dev-keys":
        for name, path in write_dev_keys(args.folder or "run/keys").items():
            print(f"{name}: {path}")
    else:
        asyncio.run(seed_all(database_url))


if __name__ == "__main__":
    main()
