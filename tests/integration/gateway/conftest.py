"""The services the gateway routes to, run in-process on this test's database and bus (never mocked)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.integration.gateway.support import add_staff, gateway_settings, staff_token, user_token

SERVICES = {"catalog": "CatalogSettings", "orders": "OrdersSettings", "marketing": "MarketingSettings",
            "payments": "PaymentsSettings", "analytics": "AnalyticsSettings"}


@dataclass
class Mall:
    gateway: TestClient
    settings: GatewaySettings
    services: dict[str, TestClient] = field(default_factory=dict)

    def user(self, user_id: str = "u_alice", score: int | None = 700) -> dict[str, str]:
        return {"Authorization": f"Bearer {user_token(self.settings, user_id, score)}"}

    def staff(self, merchant_id: str = "mch_001") -> dict[str, str]:
        return {"Authorization": f"Bearer {staff_token(self.settings, merchant_id)}"}


@pytest.fixture
async def mall(settings_for: Any, start_app: Any) -> Mall:
    """Every service that exists in the tree, in-process, and a gateway routing to them."""
    urls: dict[str, str] = {}
    clients: dict[str, TestClient] = {}
    for name, settings_name in SERVICES.items():
        try:
            app_module = importlib.import_module(f"services.{name}.app")
            settings_cls = getattr(importlib.import_module(f"services.{name}.settings"), settings_name)
        except (ModuleNotFoundError, AttributeError):
            continue
        client = await start_app(app_module.create_app(settings_for(settings_cls)))
        clients[name] = client
        urls[f"{name}_url"] = str(client.make_url("")).rstrip("/")
    settings = gateway_settings(settings_for, **urls)
    await add_staff(settings, "staff1", "pw-staff-1", "mch_001")
    gateway = await start_app(create_app(settings))
    return Mall(gateway, settings, clients)
