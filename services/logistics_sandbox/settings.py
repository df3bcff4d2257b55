"""Configuration of the logistics sandbox (`MALL_*`); the key and salt variables are the ones fulfilment reads."""

from pydantic import Field

from shared.settings import ServiceSettings


class LogisticsSandboxSettings(ServiceSettings):
    service: str = "logistics_sandbox"
    http_port: int = 8091
    # The one customer key it accepts (MALL_KUAIDI100_KEY); empty accepts any non-empty key.
    kuaidi100_key: str = ""
    # Pushes are retried until the subscriber answers result=true: 快递100's retries on a compressed clock.
    push_retry_delays_s: list[float] = Field(default_factory=lambda: [0.2, 0.5, 1.0, 2.0, 4.0])
    push_timeout_s: float = 5.0
