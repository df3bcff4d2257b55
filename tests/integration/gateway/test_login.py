"""Mini-program login through the Alipay sandbox (its real gateway.do protocol and RSA2 signatures)."""

from typing import Any

import pytest

from services.alipay_sandbox.app import create_app as create_sandbox
from services.alipay_sandbox.settings import SandboxSettings
from services.gateway.app import create_app
from shared.alipay import KeyPair, generate_key_pair
from tests.integration.gateway.support import gateway_settings

APP_ID = "2021000000000001"


@pytest.fixture(scope="session")
def key_pairs() -> tuple[KeyPair, KeyPair]:
    return generate_key_pair(), generate_key_pair()


@pytest.fixture
async def login_setup(key_pairs: tuple[KeyPair, KeyPair], settings_for: Any, start_app: Any) -> Any:
    app_keys, alipay_keys = key_pairs
    sandbox = await start_app(create_sandbox(SandboxSettings(
        alipay_app_id=APP_ID, alipay_app_public_key=app_keys.public_pem,
        alipay_private_key=alipay_keys.private_pem)))
    settings = gateway_settings(
        settings_for, alipay_gateway_url=str(sandbox.make_url("/gateway.do")), alipay_app_id=APP_ID,
        alipay_app_private_key=app_keys.private_pem, alipay_public_key=alipay_keys.public_pem)
    gateway = await start_app(create_app(settings))
    return sandbox, gateway


async def auth_code(sandbox: Any, **body: Any) -> str:
    resp = await sandbox.post("/sandbox/auth-codes", json=body)
    assert resp.status == 201, await resp.text()
    return (await resp.json())["auth_code"]


async def test_an_auth_code_logs_in_and_the_same_alipay_user_is_the_same_mall_user(login_setup):
    sandbox, gateway = login_setup
    resp = await gateway.post("/api/session", json={"auth_code": await auth_code(
        sandbox, user_id="2088000000001234", nickname="小明", credit_score=655)})
    assert resp.status == 200, await resp.text()
    first = await resp.json()
    assert first["user"]["nickname"] == "小明" and first["expires_in"] > 0 and first["refresh_token"]
    # The 2088 id and the Sesame score ride in the token, for payments and credit-gated offers.
    resp = await gateway.get("/api/me", headers={"Authorization": f"Bearer {first['token']}"})
    assert resp.status == 200
    me = await resp.json()
    assert me["user"] == first["user"] and me["credit_tier"] == "very_good"
    assert me["points"] is None and me["balance_fen"] is None  # marketing and payments are down here

    resp = await gateway.post("/api/session", json={"auth_code": await auth_code(
        sandbox, user_id="2088000000001234")})
    assert (await resp.json())["user"]["id"] == first["user"]["id"]


async def test_an_auth_code_works_once(login_setup):
    sandbox, gateway = login_setup
    code = await auth_code(sandbox)
    assert (await gateway.post("/api/session", json={"auth_code": code})).status == 200
    resp = await gateway.post("/api/session", json={"auth_code": code})
    assert resp.status == 401 and (await resp.json())["code"] == "auth_code_invalid"


async def test_a_refresh_token_is_rotated(login_setup):
    sandbox, gateway = login_setup
    session = await (await gateway.post("/api/session", json={"auth_code": await auth_code(sandbox)})).json()
    resp = await gateway.post("/api/session/refresh", json={"refresh_token": session["refresh_token"]})
    assert resp.status == 200
    renewed = await resp.json()
    assert renewed["user"] == session["user"] and renewed["refresh_token"] != session["refresh_token"]
    resp = await gateway.post("/api/session/refresh", json={"refresh_token": session["refresh_token"]})
    assert resp.status == 401
