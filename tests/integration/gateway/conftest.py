"""The services the gateway routes to, run in-process on this test's database and bus (never mocked),
with the Alipay sandbox for logins and payments."""

from __future__ import annotations

import importlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.alipay_sandbox.app import create_app as create_sandbox
from services.alipay_sandbox.settings import SandboxSettings
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.logistics_sandbox.app import create_app as create_logistics_sandbox
from services.logistics_sandbox.settings import LogisticsSandboxSettings
from shared.alipay import KeyPair, generate_key_pair
from shared.clock import Clock
from tests.integration.gateway.support import add_staff, gateway_settings, staff_token, user_token
from tests.support import held_address, server_on

APP_ID = "2021000000000001"
SERVICES = {"catalog": "CatalogSettings", "orders": "OrdersSettings", "marketing": "MarketingSettings",
            "payments": "PaymentsSettings", "analytics": "AnalyticsSettings",
            "fulfilment": "FulfilmentSettings", "notifications": "NotificationsSettings"}


@dataclass
class Mall:
    gateway: TestClient
    settings: GatewaySettings
    services: dict[str, TestClient] = field(default_factory=dict)
    sandbox: TestClient | None = None
    logistics: TestClient | None = None  # the 快递100 stand-in

    def user(self, user_id: str = "u_alice", score: int | None = 700) -> dict[str, str]:
        return {"Authorization": f"Bearer {user_token(self.settings, user_id, score)}"}

    def staff(self, merchant_id: str = "mch_001") -> dict[str, str]:
        return {"Authorization": f"Bearer {staff_token(self.settings, merchant_id)}"}


@pytest.fixture(scope="session")
def alipay_keys() -> tuple[KeyPair, KeyPair]:
    """(the mall's app key pair, the sandbox's key pair standing in for Alipay's)."""
    return generate_key_pair(), generate_key_pair()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def orders_clock() -> Clock | None:
    """The orders service's clock: None is the real one; a test module may override this fixture with a
    ManualClock to move deadlines (auto-confirm) by hand."""
    return None


@pytest.fixture
def marketing_clock() -> Clock | None:
    """The marketing service's clock (group-buy deadlines): as `orders_clock`."""
    return None


@pytest.fixture
def payments_clock() -> Clock | None:
    """The payments service's clock (when a freeze order string expires): as `orders_clock`."""
    return None


# The 快递100 key and salt of the test mall (test values, never used anywhere else).
KUAIDI100_KEY, KUAIDI100_SALT = "test-kuaidi100-customer-key-0001", "test-kuaidi100-push-salt-0001"


@pytest.fixture
async def mall(settings_for: Any, start_app: Any, alipay_keys: tuple[KeyPair, KeyPair],
               orders_clock: Clock | None, marketing_clock: Clock | None, payments_clock: Clock | None,
               tmp_path: Any) -> AsyncIterator[Mall]:
    """Every service that exists in the tree, in-process, and a gateway routing to them."""
    app_keys, sandbox_keys = alipay_keys
    logistics = await start_app(create_logistics_sandbox(LogisticsSandboxSettings(
        kuaidi100_key=KUAIDI100_KEY, push_retry_delays_s=[0.2, 0.5, 1.0])))
    sandbox = await start_app(create_sandbox(SandboxSettings(
        alipay_app_id=APP_ID, alipay_app_public_key=app_keys.public_pem, alipay_private_key=sandbox_keys.private_pem,
        notify_retry_delays_s=[0.2, 0.5, 1.0])))
    address = held_address()  # the gateway's, named in the services' settings before it starts
    port = address.getsockname()[1]
    alipay = {"alipay_gateway_url": str(sandbox.make_url("/gateway.do")), "alipay_app_id": APP_ID,
              "alipay_app_private_key": app_keys.private_pem, "alipay_public_key": sandbox_keys.public_pem}
    urls: dict[str, str] = {}
    clients: dict[str, TestClient] = {}
    for name, settings_name in SERVICES.items():
        try:
            app_module = importlib.import_module(f"services.{name}.app")
            settings_cls = getattr(importlib.import_module(f"services.{name}.settings"), settings_name)
        except (ModuleNotFoundError, AttributeError):
            continue
        # A store charge whose outcome stays unknown is cancelled after 1.5 s here (20 s in production).
        extra = {**alipay, "alipay_notify_url": f"http://127.0.0.1:{port}/api/alipay/notify",
                 "store_charge_poll_s": 0.2, "store_charge_deadline_s": 1.5} if name == "payments" else {}
        if name == "notifications":
            extra = {**alipay, "message_poll_seconds": 0.2, "webhook_poll_seconds": 0.2,
                     "stream_keepalive_seconds": 2.0}
        if name == "marketing":  # member cards pushed to the sandbox's card package
            extra = {**alipay, "card_sync_seconds": 0.2, "voucher_sync_seconds": 0.2}
        if name == "fulfilment":
            extra = {"kuaidi100_url": str(logistics.make_url("/poll")), "kuaidi100_key": KUAIDI100_KEY,
                     "kuaidi100_salt": KUAIDI100_SALT, "subscribe_poll_seconds": 0.2,
                     "kuaidi100_callback_url": f"http://127.0.0.1:{port}/api/logistics/notify"}
        clock = {"orders": orders_clock, "marketing": marketing_clock, "payments": payments_clock}.get(name)
        client = await start_app(app_module.create_app(settings_for(settings_cls, **extra), clock=clock))
        clients[name] = client
        urls[f"{name}_url"] = str(client.make_url("")).rstrip("/")
    # Every test here calls from one address, some in bursts (the fault storm): the rate limits have tests of
    # their own (test_edges, test_hardening), so here they must never be what a test runs into.
    settings = gateway_settings(settings_for, **urls, **alipay, rate_ip_limit=1_000_000, rate_user_limit=1_000_000,
                                object_dir=str(tmp_path / "objects"))
    await add_staff(settings, "staff1", "pw-staff-1", "mch_001")
    gateway = TestClient(server_on(create_app(settings), address))
    await gateway.start_server()
    try:
        yield Mall(gateway, settings, clients, sandbox, logistics)
    finally:
        await gateway.close()
