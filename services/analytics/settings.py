from shared.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    service: str = "analytics"
    http_port: int = 8085
    # The shop's calendar: an event's day is its occurred_at in this zone (the mall trades in China).
    timezone: str = "Asia/Shanghai"
    top_products: int = 10
