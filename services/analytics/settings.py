from shared.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    service: str = "analytics"
    http_port: int = 8085
    # The shop's calendar (`timezone`, shared): an event's day is its occurred_at in that zone.
    top_products: int = 10
