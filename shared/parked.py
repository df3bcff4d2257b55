"""Operator command: list and replay messages parked in a service's dead-letter queue.

    python -m shared.parked list orders [--limit 20]
    python -m shared.parked replay orders [--id MESSAGE_ID ...]

Reads MALL_AMQP_URL and MALL_BUS_PREFIX like the services do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from shared.bus import Bus, parked_messages, replay_parked
from shared.settings import ServiceSettings


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.parked", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["list", "replay"])
    parser.add_argument("service")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--id", dest="ids", action="append", help="replay only these message ids")
    args = parser.parse_args(argv)
    settings = ServiceSettings(service=args.service)
    bus = Bus(settings.amqp_url, prefix=settings.bus_prefix, service=args.service,
              retry_delays_ms=settings.retry_delays_ms)
    await bus.connect()
    try:
        if args.action == "list":
            for message in await parked_messages(bus, args.limit):
                print(json.dumps(message, ensure_ascii=False))
        else:
            count = await replay_parked(bus, set(args.ids) if args.ids else None)
            print(f"replayed {count} message(s) into {bus.names['main']}")
    finally:
        await bus.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
