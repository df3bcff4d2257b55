"""The Alipay app settings a service needs to call Alipay: the gateway (login) and payments (trades)."""

import aiohttp

from shared.alipay.client import AlipayClient
from shared.alipay.keys import load_pem
from shared.settings import ServiceSettings


class AlipayAppSettings(ServiceSettings):
    """`MALL_ALIPAY_*`: the sandbox locally, https://openapi.alipay.com/gateway.do in production.
    Keys are PEM text or files, never code."""

    alipay_gateway_url: str = "http://127.0.0.1:8090/gateway.do"
    alipay_app_id: str = "2021000000000001"
    alipay_app_private_key: str = ""
    alipay_app_private_key_file: str = ""
    alipay_public_key: str = ""
    alipay_public_key_file: str = ""
    alipay_timeout_s: float = 15.0

    @property
    def app_private_key_pem(self) -> str:
        return load_pem(self.alipay_app_private_key, self.alipay_app_private_key_file)

    @property
    def alipay_public_key_pem(self) -> str:
        return load_pem(self.alipay_public_key, self.alipay_public_key_file)

    def alipay_client(self, session: aiohttp.ClientSession) -> AlipayClient:
        return AlipayClient(self.alipay_gateway_url, self.alipay_app_id, self.app_private_key_pem,
                            self.alipay_public_key_pem, session, timeout_s=self.alipay_timeout_s)
