"""Configuration of the fulfilment service (env MALL_*)."""

import aiohttp
from pydantic import Field

from shared.kuaidi100 import Kuaidi100Client
from shared.settings import ServiceSettings


class FulfilmentSettings(ServiceSettings):
    service: str = "fulfilment"
    http_port: int = 8086
    # Addresses one buyer may keep (MALL_MAX_ADDRESSES_PER_BUYER); more is refused with address_book_full.
    max_addresses_per_buyer: int = Field(default=20, ge=1, le=200)
    # Wrong pickup codes one store may try per window (MALL_PICKUP_MISSES_PER_WINDOW per
    # MALL_PICKUP_MISS_WINDOW_SECONDS); past that, verification at that store answers 429 until the window ends.
    pickup_misses_per_window: int = Field(default=10, ge=1)
    pickup_miss_window_seconds: int = Field(default=600, ge=1)
    # 快递100 (or the logistics sandbox): where subscriptions go (MALL_KUAIDI100_URL; empty: tracking
    # subscriptions wait, nothing is sent), the customer key and the salt that signs its pushes (secrets), and
    # the mall's public push address (the gateway's /api/logistics/notify).
    kuaidi100_url: str = ""
    kuaidi100_key: str = ""
    kuaidi100_salt: str = ""
    kuaidi100_callback_url: str = ""
    # The subscription job: how often it looks for waybills to subscribe, how many per round, and the first
    # retry delay after a failed attempt (doubling up to an hour).
    subscribe_poll_seconds: float = Field(default=5.0, gt=0)
    subscribe_batch: int = Field(default=20, ge=1, le=500)
    subscribe_retry_seconds: float = Field(default=30.0, gt=0)

    def secrets_in_use(self) -> dict[str, str]:
        return {**super().secrets_in_use(), "MALL_KUAIDI100_KEY": self.kuaidi100_key,
                "MALL_KUAIDI100_SALT": self.kuaidi100_salt}

    def kuaidi100_client(self, session: aiohttp.ClientSession) -> Kuaidi100Client:
        return Kuaidi100Client(session, self.kuaidi100_url, self.kuaidi100_key, self.kuaidi100_salt,
                               self.kuaidi100_callback_url)
