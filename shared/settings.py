"""Configuration from `MALL_*` environment variables: one pydantic-settings model per service."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.db import service_dsn

DEVELOPMENT = "development"
# Values that were ever written in this repository as defaults or examples: a secret equal to one of them
# (or containing a placeholder word) is as good as public.
KNOWN_DEFAULT_SECRETS = frozenset({
    "mpmall-local-dev-secret-change-me", "dev-only-store-code-secret", "dev-internal-token-change-me",
    "secret", "changeme", "change-me", "test-secret", "s3cret", "password", "postgres", "guest"})
PLACEHOLDER_WORDS = ("change-me", "changeme", "change_me", "replace-me", "example")
MIN_SECRET_LENGTH = 24


class InsecureSettings(RuntimeError):
    """A service was asked to start outside development with a secret that is empty or well known."""


def secret_problem(value: str) -> str | None:
    """Why `value` cannot be a production secret, or None when it can."""
    if not value:
        return "is empty"
    lowered = value.lower()
    if lowered in KNOWN_DEFAULT_SECRETS or any(word in lowered for word in PLACEHOLDER_WORDS):
        return "is a known default"
    if len(value) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    return None


class ServiceSettings(BaseSettings):
    """What every service reads. A service subclasses it with its own fields and `service` default."""

    model_config = SettingsConfigDict(env_prefix="MALL_", extra="ignore")

    service: str
    # MALL_ENV: "development" lets a service start with empty or default secrets (local runs, tests); any
    # other value (the default) makes it refuse to start until every secret it uses is set (check_secrets).
    env: str = "production"
    # The database every service lives in; each service logs in with its own role (see shared.db).
    database_url: str = "postgresql://postgres@127.0.0.1:5432/mpmall"
    # Password of the service's own role; empty means "same as the role name" (local trust setups).
    db_password: str = ""
    db_pool_min: int = 1
    # Every connection a service process holds comes from this one pool: requests, event handlers, the outbox
    # relay, jobs and the one LISTEN connection (shared.changes', which wakes the relay too). 7 services
    # with a database x 2 replicas x 6 = 84 of PostgreSQL's default 97 non-superuser connections
    # (docs/OPERATING.md).
    db_pool_max: int = 6
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    # Prefix of exchange and queue names, so test runs and tenants on one broker never meet.
    bus_prefix: str = ""
    prefetch: int = 64
    # Messages waiting together are handled in one transaction, up to `consume_batch` (shared.inbox), by
    # `consume_workers` batches at a time (each holds one pooled connection while it runs).
    consume_batch: int = Field(default=32, ge=1, le=500)
    consume_workers: int = Field(default=2, ge=1, le=16)
    retry_delays_ms: list[int] = Field(default_factory=lambda: [1_000, 5_000, 30_000])
    max_attempts: int = 5
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    max_body_bytes: int = 256 * 1024
    log_level: str = "INFO"
    outbox_poll_seconds: float = 1.0  # the relay's poll while its LISTEN connection is down
    # ... and while it is up, when commits wake the relay: a safety net for a lost wake-up only (its emitter
    # died between the commit and the NOTIFY), so idle services do not run a transaction a second each.
    outbox_listening_poll_seconds: float = 10.0
    # Shared secret the gateway sends in X-Internal-Token. When set, a service's internal API refuses every
    # other caller (defence in depth: those APIs trust X-User-Id and must never be reachable from outside).
    internal_token: str = ""
    # The mall's business day (visits, daily metrics): the merchants' local time, not UTC.
    timezone: str = "Asia/Shanghai"

    def secrets_in_use(self) -> dict[str, str]:
        """The secrets this service relies on, by environment variable; subclasses add their own."""
        return {"MALL_INTERNAL_TOKEN": self.internal_token}

    def check_secrets(self) -> None:
        """Raise InsecureSettings naming every empty or well-known secret, unless MALL_ENV=development."""
        if self.env == DEVELOPMENT:
            return
        problems = [f"{name} {why}" for name, value in self.secrets_in_use().items()
                    if (why := secret_problem(value))]
        if problems:
            raise InsecureSettings(
                f"{self.service} refuses to start: {'; '.join(problems)}. Set each to a random value (e.g. "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'), or MALL_ENV=development "
                "for a local run.")

    @property
    def own_dsn(self) -> str:
        """The DSN the service connects with: same server and database, its own login role."""
        return service_dsn(self.database_url, self.service, self.db_password or None)
