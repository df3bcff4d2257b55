"""Configuration from `MALL_*` environment variables: one pydantic-settings model per service."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.db import service_dsn


class ServiceSettings(BaseSettings):
    """What every service reads. A service subclasses it with its own fields and `service` default."""

    model_config = SettingsConfigDict(env_prefix="MALL_", extra="ignore")

    service: str
    # The database every service lives in; each service logs in with its own role (see shared.db).
    database_url: str = "postgresql://postgres@127.0.0.1:5432/mpmall"
    # Password of the service's own role; empty means "same as the role name" (local trust setups).
    db_password: str = ""
    db_pool_min: int = 1
    # Every connection a service process holds comes from this one pool: requests, event handlers, the outbox
    # relay, jobs and the relay's LISTEN connection (which keeps one). 6 services with a database x 2
    # replicas x 7 = 84 of PostgreSQL's default 97 non-superuser connections (docs/operations.md).
    db_pool_max: int = 7
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    # Prefix of exchange and queue names, so test runs and tenants on one broker never meet.
    bus_prefix: str = ""
    prefetch: int = 64
    retry_delays_ms: list[int] = Field(default_factory=lambda: [1_000, 5_000, 30_000])
    max_attempts: int = 5
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    max_body_bytes: int = 256 * 1024
    log_level: str = "INFO"
    outbox_poll_seconds: float = 1.0
    # Shared secret the gateway sends in X-Internal-Token. When set, a service's internal API refuses every
    # other caller (defence in depth: those APIs trust X-User-Id and must never be reachable from outside).
    internal_token: str = ""
    # The mall's business day (visits, daily metrics): the merchants' local time, not UTC.
    timezone: str = "Asia/Shanghai"

    @property
    def own_dsn(self) -> str:
        """The DSN the service connects with: same server and database, its own login role."""
        return service_dsn(self.database_url, self.service, self.db_password or None)
