"""Fixtures of the payments tests: throwaway key pairs, the Alipay sandbox in-process, a client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from services.alipay_sandbox.app import create_app as create_sandbox
from services.alipay_sandbox.settings import SandboxSettings
from shared.alipay import AlipayClient, KeyPair, generate_key_pair

APP_ID = "2021000000000001"


@dataclass(frozen=True)
class Keys:
    app: KeyPair
    alipay: KeyPair


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(app=generate_key_pair(), alipay=generate_key_pair())


@dataclass
class RunningSandbox:
    client: TestClient
    gateway_url: str

    async def auth_code(self, **body: Any) -> dict[str, Any]:
        resp = await self.client.post("/sandbox/auth-codes", json=body)
        assert resp.status == 201, await resp.text()
        return await resp.json()

    async def pay(self, trade_no: str, channel: str | None = None) -> dict[str, Any]:
        resp = await self.client.post(f"/sandbox/trades/{trade_no}/pay",
                                      json={"channel": channel} if channel else {})
        assert resp.status == 200, await resp.text()
        return await resp.json()

    async def trade(self, trade_no: str) -> dict[str, Any]:
        return await (await self.client.get(f"/sandbox/trades/{trade_no}")).json()

    async def notifies(self, trade_no: str | None = None) -> list[dict[str, Any]]:
        params = {"trade_no": trade_no} if trade_no else {}
        return (await (await self.client.get("/sandbox/notifies", params=params)).json())["items"]


@pytest.fixture
async def sandbox(keys: Keys, start_app: Any) -> RunningSandbox:
    settings = SandboxSettings(alipay_app_id=APP_ID, alipay_app_public_key=keys.app.public_pem,
                               alipay_private_key=keys.alipay.private_pem,
                               notify_retry_delays_s=[0.1, 0.2, 0.3, 0.5])
    client = await start_app(create_sandbox(settings))
    return RunningSandbox(client, str(client.make_url("/gateway.do")))


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def alipay(sandbox: RunningSandbox, keys: Keys, http: aiohttp.ClientSession) -> AlipayClient:
    return AlipayClient(sandbox.gateway_url, APP_ID, keys.app.private_pem, keys.alipay.public_pem, http)
