"""Operator steps around the services, for container platforms and scripts.

    python -m deploy.admin bootstrap          # roles, schemas, migrations of every service (admin DSN)
    python -m deploy.admin dev-keys DIR       # dev-only Alipay key pairs for the sandbox setup
    python -m deploy.admin seed               # demo data (run once the services are up)
    python -m deploy.admin block-term TERM    # never suggest searches or names holding TERM (platform-wide)
    python -m deploy.admin unblock-term TERM
    python -m deploy.admin blocked-terms      # the platform's blocked terms
    python -m deploy.admin deactivate-staff USERNAME   # the account's tokens are refused from the next request
    python -m deploy.admin activate-staff USERNAME
    python -m deploy.admin create-operator USERNAME    # a platform operator; prints its one-time set-password link

Reads MALL_DATABASE_URL (a superuser DSN for bootstrap; the services log in with their own roles).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import uuid
from datetime import UTC, datetime

from deploy.local import SEEDED, SERVICES, WITHOUT_DATABASE
from shared.alipay.keys import write_dev_keys
from shared.db import Database, bootstrap, create_pool, service_dsn

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")  # as the gateway's staff and operator usernames


async def bootstrap_all(database_url: str) -> None:
    # MALL_DB_PASSWORD: the password of every service's role (the services log in with the same variable);
    # empty keeps the local default, the role's name.
    password = os.environ.get("MALL_DB_PASSWORD") or None
    for service in SERVICES:
        if service not in WITHOUT_DATABASE:
            await bootstrap(database_url, service, password)
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


async def set_staff_active(database_url: str, username: str, active: bool) -> bool:
    """Through the gateway's own role, as the gateway would; False when there is no such account."""
    from services.gateway import store

    dsn = service_dsn(database_url, "gateway", os.environ.get("MALL_DB_PASSWORD") or None)
    pool = await create_pool(dsn, "gateway", max_size=1)
    try:
        return await store.set_staff_active(Database(pool, "gateway"), username, active)
    finally:
        await pool.close()


async def create_operator(database_url: str, username: str) -> str:
    """A platform operator (or a new password link for an existing one), through the gateway's own role; the
    set-password link, shown once (MALL_PUBLIC_URL, MALL_PASSWORD_LINK_TTL_SECONDS as the gateway reads them)."""
    from services.gateway.api.staff import link_view
    from services.gateway.flows.accounts import operator_link
    from services.gateway.settings import GatewaySettings

    settings = GatewaySettings(env="development")  # only public_url and the link lifetime are read here
    dsn = service_dsn(database_url, "gateway", os.environ.get("MALL_DB_PASSWORD") or None)
    pool = await create_pool(dsn, "gateway", max_size=1)
    try:
        created, link = await operator_link(Database(pool, "gateway"), username, datetime.now(UTC),
                                            settings.password_link_ttl_seconds)
    finally:
        await pool.close()
    view = link_view(settings, link)
    return (f"{username}: {'created' if created else 'exists; its password is reset by the link'}\n"
            f"set-password link (once, until {view['expires_at']}): {view['set_password_url']}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.admin")
    parser.add_argument("command", choices=["bootstrap", "dev-keys", "seed", "block-term", "unblock-term",
                                            "blocked-terms", "deactivate-staff", "activate-staff",
                                            "create-operator"])
    parser.add_argument("folder", nargs="?",
                        help="dev-keys: the folder (run/keys); block-term: the term; *-staff, create-operator: "
                             "the username")
    args = parser.parse_args()
    database_url = os.environ.get("MALL_DATABASE_URL", "postgresql://postgres:postgres@127.0.0.1:5432/mpmall")
    if args.command in ("block-term", "unblock-term", "blocked-terms"):
        asyncio.run(blocked_terms(database_url, args.command, args.folder))
    elif args.command == "bootstrap":
        asyncio.run(bootstrap_all(database_url))
    elif args.command == "dev-keys":
        for name, path in write_dev_keys(args.folder or "run/keys").items():
            print(f"{name}: {path}")
    elif args.command in ("deactivate-staff", "activate-staff"):
        active = args.command == "activate-staff"
        if not args.folder:
            raise SystemExit("a username is needed")
        if not asyncio.run(set_staff_active(database_url, args.folder, active)):
            raise SystemExit(f"no staff account {args.folder!r}")
        print(f"{args.folder}: {'active' if active else 'deactivated; its tokens are refused from now on'}")
    elif args.command == "create-operator":
        if not args.folder or not USERNAME.match(args.folder):
            raise SystemExit("a username is needed: 3-32 letters, digits, '_', '.', '-'")
        print(asyncio.run(create_operator(database_url, args.folder)))
    elif os.environ.get("MALL_ENV") != "development":  # the demo staff passwords are in the repository
        raise SystemExit("seed refuses to run: the demo data has staff accounts with public passwords; "
                         "set MALL_ENV=development for a local or demo mall.")
    else:
        asyncio.run(seed_all(database_url))


if __name__ == "__main__":
    main()
