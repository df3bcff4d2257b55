"""Configuration of the catalog service (env MALL_*)."""

from shared.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    service: str = "catalog"
    http_port: int = 8081
    search_history_size: int = 20  # entries kept per user, newest first
    nearby_max_radius_m: int = 50_000
