"""Operator steps around the services, for container platforms and scripts.

    python -m deploy.admin bootstrap          # roles, schemas, migrations of every service (admin DSN)
    python -m deploy.admin dev-keys DIR       # dev-only Alipay key pairs for the sandbox setup
    python -m deploy.admin seed               # demo data (run once the services are up)
    python -m deploy.admin deactivate-staff USERNAME   # the account's tokens are refused from the next request
    python -m deploy.admin activate-staff USERNAME

Reads MALL_DATABASE_URL (a superuser DSN for bootstrap; the services log in with their own roles).
"""

from __future__ import annotations

import argparse
import asyncio
import os

from deploy.local import SEEDED, SERVICES, WITHOUT_DATABASE
from shared.alipay.keys import write_dev_keys
from shared.db import Database, bootstrap, create_pool, service_dsn


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


async def set_staff_active(database_url: str, username: str, active: bool) -> bool:
    """Through the gateway's own role, as the gateway would; False when there is no such account."""
    from services.gateway import store

    dsn = service_dsn(database_url, "gateway", os.environ.get("MALL_DB_PASSWORD") or None)
    pool = await create_pool(dsn, "gateway", max_size=1)
    try:
        return await store.set_staff_active(Database(pool, "gateway"), username, active)
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.admin")
    parser.add_argument("command", choices=["bootstrap", "dev-keys", "seed", "deactivate-staff", "activate-staff"])
    parser.add_argument("folder", nargs="?", default="run/keys", help="dev-keys: the folder; *-staff: the username")
    args = parser.parse_args()
    database_url = os.environ.get("MALL_DATABASE_URL", "postgresql://postgres:postgres@127.0.0.1:5432/mpmall")
    if args.command == "bootstrap":
        asyncio.run(bootstrap_all(database_url))
    elif args.command == "dev-keys":
        for name, path in write_dev_keys(args.folder).items():
            print(f"{name}: {path}")
    elif args.command in ("deactivate-staff", "activate-staff"):
        active = args.command == "activate-staff"
        if not asyncio.run(set_staff_active(database_url, args.folder, active)):
            raise SystemExit(f"no staff account {args.folder!r}")
        print(f"{args.folder}: {'active' if active else 'deactivated; its tokens are refused from now on'}")
    elif os.environ.get("MALL_ENV") != "development":  # the demo staff passwords are in the repository
        raise SystemExit("seed refuses to run: the demo data has staff accounts with public passwords; "
                         "set MALL_ENV=development for a local or demo mall.")
    else:
        asyncio.run(seed_all(database_url))


if __name__ == "__main__":
    main()
