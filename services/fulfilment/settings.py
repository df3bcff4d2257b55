"""Configuration of the fulfilment service (env MALL_*)."""

from pydantic import Field

from shared.settings import ServiceSettings


class FulfilmentSettings(ServiceSettings):
    service: str = "fulfilment"
    http_port: int = 8086
    # Addresses one buyer may keep (MALL_MAX_ADDRESSES_PER_BUYER); more is refused with address_book_full.
    max_addresses_per_buyer: int = Field(default=20, ge=1, le=200)
