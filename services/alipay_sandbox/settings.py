"""Configuration of the sandbox (`MALL_*`); the key variables are the ones payments and the gateway read."""

from pydantic import Field

from shared.alipay import load_pem
from shared.settings import ServiceSettings


class SandboxSettings(ServiceSettings):
    service: str = "alipay_sandbox"
    http_port: int = 8090
    # The one mini-program app the sandbox knows, and its public key (to verify the app's requests).
    alipay_app_id: str = "2021000000000001"
    alipay_app_public_key: str = ""
    alipay_app_public_key_file: str = ""
    # The sandbox's own key pair, standing in for Alipay's: it signs responses and notifies with it.
    alipay_private_key: str = ""
    alipay_private_key_file: str = ""
    seller_id: str = "2088000000000001"
    default_credit_score: int = 700
    # Compressed version of Alipay's 4m,10m,10m,1h,2h,6h,15h (8 attempts in ~25 h; notes §2.3).
    notify_retry_delays_s: list[float] = Field(default_factory=lambda: [0.2, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0])
    notify_timeout_s: float = 5.0

    @property
    def app_public_key_pem(self) -> str:
        return load_pem(self.alipay_app_public_key, self.alipay_app_public_key_file)

    @property
    def private_key_pem(self) -> str:
        return load_pem(self.alipay_private_key, self.alipay_private_key_file)
