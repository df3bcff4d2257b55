"""Configuration of the fulfilment service (env MALL_*)."""

from pydantic import Field

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
