"""Helpers of the gateway tests: a gateway on this test's servers, tokens, staff accounts."""

from __future__ import annotations

from typing import Any

from services.gateway import store
from services.gateway.app import create_app
from services.gateway.auth import Identity, hash_password, issue_token
from services.gateway.settings import GatewaySettings
from shared.db import Database, create_pool

# Nothing listens here: a service that is down.
DOWN = "http://127.0.0.1:9"


def gateway_settings(settings_for: Any, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {f"{name}_url": DOWN for name in ("catalog", "orders", "payments", "marketing",
                                                               "analytics", "fulfilment",
                                                               "notifications")}
    # The services being down is immediate (nothing listens); a timeout here would only be a busy machine (the
    # tests run in several processes at once), never what a test is about.
    values.update({"upstream_timeout_seconds": 10.0, "order_wait_ms": 1500})
    values.update(overrides)
    return settings_for(GatewaySettings, **values)


def user_token(settings: GatewaySettings, user_id: str = "u_test", score: int | None = 700) -> str:
    return issue_token(settings.token_secret, Identity(kind="user", subject=user_id, credit_score=score,
                                                       alipay_user_id="2088000000000099"), 600)


def staff_token(settings: GatewaySettings, merchant_id: str = "mch_001") -> str:
    """A staff token of `merchant_id`. The gateway refuses a token naming an existing account of another
    merchant, so only mch_001's is `staff1` (the account the gateway conftest creates)."""
    username = "staff1" if merchant_id == "mch_001" else f"staff_{merchant_id}"
    return issue_token(settings.token_secret, Identity(kind="staff", subject=username, merchant_id=merchant_id),
                       600)


async def add_staff(settings: GatewaySettings, username: str, password: str, merchant_id: str) -> None:
    pool = await create_pool(settings.own_dsn, "gateway")
    try:
        await store.upsert_staff(Database(pool, "gateway"), username=username, merchant_id=merchant_id,
                                 password_hash=hash_password(password))
    finally:
        await pool.close()


__all__ = ["create_app", "gateway_settings", "user_token", "staff_token", "add_staff"]
