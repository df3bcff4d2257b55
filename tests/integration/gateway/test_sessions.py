"""Tokens and sessions through the real gateway app on real PostgreSQL, logging in through the Alipay sandbox:
forged and malformed tokens, key rotation, logout, refresh-token reuse, staff deactivation, no-store answers.
The gateway here runs as in production (no MALL_ENV=development) with random secrets."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from typing import Any

import jwt
import orjson
import pytest

from deploy.admin import set_staff_active
from services.alipay_sandbox.app import create_app as create_sandbox
from services.alipay_sandbox.settings import SandboxSettings
from services.gateway import store
from services.gateway.app import create_app
from services.gateway.auth import AUDIENCE, ISSUER, key_id, read_token
from services.gateway.deps import deps_of
from services.gateway.sessions import end_session, ensure_live
from shared.alipay import KeyPair, generate_key_pair
from shared.http import Unauthorized
from tests.integration.gateway.support import add_staff, gateway_settings

APP_ID = "2021000000000001"
OLD_DEFAULT_SECRET = "mpmall-local-dev-secret-change-me"  # what the gateway used to sign with by default


@pytest.fixture(scope="session")
def key_pairs() -> tuple[KeyPair, KeyPair]:
    return generate_key_pair(), generate_key_pair()


class Setup:
    def __init__(self, sandbox: Any, settings_for: Any, start_app: Any, keys: tuple[KeyPair, KeyPair]):
        self.sandbox, self.settings_for, self.start_app, self.keys = sandbox, settings_for, start_app, keys

    async def gateway(self, **overrides: Any) -> Any:
        app_keys, alipay_keys = self.keys
        values = {"env": "production", "internal_token": secrets.token_urlsafe(32),
                  "token_secret": secrets.token_urlsafe(32), **overrides}
        settings = gateway_settings(
            self.settings_for, alipay_gateway_url=str(self.sandbox.make_url("/gateway.do")), alipay_app_id=APP_ID,
            alipay_app_private_key=app_keys.private_pem, alipay_public_key=alipay_keys.public_pem, **values)
        client = await self.start_app(create_app(settings))
        client.settings = settings
        return client

    async def login(self, gateway: Any, user_id: str = "2088000000007777") -> dict[str, Any]:
        resp = await self.sandbox.post("/sandbox/auth-codes", json={"user_id": user_id, "credit_score": 600})
        code = (await resp.json())["auth_code"]
        resp = await gateway.post("/api/session", json={"auth_code": code})
        assert resp.status == 200, await resp.text()
        assert resp.headers["Cache-Control"] == "no-store"
        return await resp.json()


@pytest.fixture
async def setup(key_pairs: tuple[KeyPair, KeyPair], settings_for: Any, start_app: Any) -> Setup:
    app_keys, alipay_keys = key_pairs
    sandbox = await start_app(create_sandbox(SandboxSettings(
        alipay_app_id=APP_ID, alipay_app_public_key=app_keys.public_pem, alipay_private_key=alipay_keys.private_pem)))
    return Setup(sandbox, settings_for, start_app, key_pairs)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def me(gateway: Any, token: str) -> tuple[int, str | None]:
    resp = await gateway.get("/api/me", headers=bearer(token))
    body = await resp.json()
    return resp.status, body.get("code")


def sign(claims: dict[str, Any], secret: str) -> str:
    return jwt.encode(claims, secret, algorithm="HS256", headers={"kid": key_id(secret)})


async def test_a_token_forged_with_the_old_default_secret_is_refused(setup):
    gateway = await setup.gateway()
    user = (await setup.login(gateway))["user"]["id"]
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600, "sub": user, "k": "user",
              "sid": "s_forged", "sc": 950}
    assert await me(gateway, sign(claims, OLD_DEFAULT_SECRET)) == (401, "invalid_token")
    # The former hand-rolled format under the old default, as anyone reading the source could have minted.
    body = base64.urlsafe_b64encode(orjson.dumps({"k": "user", "sub": user, "exp": now + 600, "sc": 950}))
    body_text = body.rstrip(b"=").decode()
    mac = hmac.new(OLD_DEFAULT_SECRET.encode(), body_text.encode(), hashlib.sha256).digest()
    old_format = f"{body_text}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert await me(gateway, old_format) == (401, "invalid_token")
    # The same claims under the gateway's real key are accepted: the refusal is about the key.
    assert (await me(gateway, sign(claims, gateway.settings.token_secret)))[0] == 200


@pytest.mark.parametrize("change", [
    {"exp": "x"}, {"exp": [1]}, {"iat": "soon"}, {"sc": "abc"}, {"sc": 1.5}, {"sc": True}, {"sc": 10**30},
    {"sub": 5}, {"sub": ""}, {"sid": None}, {"sid": {"a": 1}}, {"k": "admin"}, {"aid": ["x"]},
    {"aud": "someone-else"}, {"iss": "someone-else"}, {"iat": int(time.time()) + 3600},
])
async def test_a_correctly_signed_token_with_a_malformed_claim_is_401(setup, change):
    gateway = await setup.gateway()
    session = await setup.login(gateway)
    claims = jwt.decode(session["token"], options={"verify_signature": False})
    assert (await me(gateway, sign(claims, gateway.settings.token_secret)))[0] == 200
    claims.update(change)
    claims = {k: v for k, v in claims.items() if v is not None}
    assert await me(gateway, sign(claims, gateway.settings.token_secret)) == (401, "invalid_token")


async def test_a_malformed_staff_merchant_claim_is_401(setup):
    gateway = await setup.gateway()
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60, "sub": "staff9", "k": "staff",
              "sid": "s_1", "mid": {"$ne": ""}}
    resp = await gateway.get("/api/merchant/orders", headers=bearer(sign(claims, gateway.settings.token_secret)))
    assert resp.status == 401 and (await resp.json())["code"] == "invalid_token"


async def test_the_previous_key_is_accepted_while_configured_and_refused_once_removed(setup):
    old_key, new_key = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    before = await setup.gateway(token_secret=old_key)
    token = (await setup.login(before))["token"]
    rotating = await setup.gateway(token_secret=new_key, token_secret_previous=old_key)
    assert (await me(rotating, token))[0] == 200
    renewed = (await setup.login(rotating))["token"]
    assert jwt.get_unverified_header(renewed)["kid"] == key_id(new_key)  # new tokens use the new key
    after = await setup.gateway(token_secret=new_key)
    assert await me(after, token) == (401, "invalid_token")
    assert (await me(after, renewed))[0] == 200


async def test_logout_stops_the_access_and_refresh_tokens_of_that_session_only(setup):
    gateway = await setup.gateway()
    session, other = await setup.login(gateway), await setup.login(gateway)
    assert (await me(gateway, session["token"]))[0] == 200
    resp = await gateway.delete("/api/session", headers=bearer(session["token"]))
    assert resp.status == 204
    assert await me(gateway, session["token"]) == (401, "session_revoked")
    resp = await gateway.post("/api/session/refresh", json={"refresh_token": session["refresh_token"]})
    assert resp.status == 401 and (await resp.json())["code"] == "invalid_refresh_token"
    assert (await me(gateway, other["token"]))[0] == 200  # the same user's other session lives on
    # Every gateway replica sees the logout: it is in the database, not in one process.
    replica = await setup.gateway(token_secret=gateway.settings.token_secret)
    assert await me(replica, session["token"]) == (401, "session_revoked")


async def test_a_logout_ends_the_session_on_a_replica_that_had_just_let_it_through(setup):
    # The replica takes a session it read live as live for a while without reading again (here for longer
    # than the test lasts): only PostgreSQL's announcement of the revocation can end it there.
    gateway = await setup.gateway(session_memo_seconds=60)
    replica = await setup.gateway(token_secret=gateway.settings.token_secret, session_memo_seconds=60)
    listening = deps_of(replica.server.app).sessions.changes
    for _ in range(100):  # the replica's LISTEN connection opens in the background
        if listening.listening:
            break
        await asyncio.sleep(0.05)
    session = await setup.login(gateway)
    assert (await me(replica, session["token"]))[0] == 200  # now in the replica's memo
    resp = await gateway.delete("/api/session", headers=bearer(session["token"]))
    assert resp.status == 204
    assert await me(gateway, session["token"]) == (401, "session_revoked")  # the replica that revoked: at once
    for _ in range(100):  # the other: as soon as the announcement (sent at the commit) arrives
        if await me(replica, session["token"]) == (401, "session_revoked"):
            break
        await asyncio.sleep(0.05)
    assert await me(replica, session["token"]) == (401, "session_revoked")


class GatedReads:
    """store.caller_standing counted, each read held until the test opens the gate (the real read follows)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.calls = 0
        self.gate = asyncio.Event()
        real = store.caller_standing

        async def gated(*args: Any) -> Any:
            self.calls += 1
            await self.gate.wait()
            return await real(*args)

        monkeypatch.setattr(store, "caller_standing", gated)

    async def until_a_read_began(self) -> None:
        for _ in range(1000):  # loop turns, not time: each call runs up to its read (or its wait) in turn
            if self.calls:
                break
            await asyncio.sleep(0)
        for _ in range(10):  # the other calls reach their own read, or the shared one
            await asyncio.sleep(0)


async def test_parallel_calls_of_one_session_share_one_read_of_it(setup, monkeypatch):
    # A client's parallel calls when its session is not in the memo (the memo lapsed, or a new replica): one
    # database read for all of them, not one each.
    gateway = await setup.gateway(session_memo_seconds=60)
    deps = deps_of(gateway.server.app)
    identity = read_token(deps.keyring, (await setup.login(gateway))["token"])
    reads = GatedReads(monkeypatch)
    calls = [asyncio.ensure_future(ensure_live(deps.db, deps.sessions, identity)) for _ in range(5)]
    await reads.until_a_read_began()
    reads.gate.set()
    assert await asyncio.gather(*calls) == [None] * 5  # each call passed, as a live user
    assert reads.calls == 1


async def test_a_call_after_a_logout_does_not_take_the_answer_of_a_read_begun_before_it(setup, monkeypatch):
    gateway = await setup.gateway(session_memo_seconds=60)
    deps = deps_of(gateway.server.app)
    identity = read_token(deps.keyring, (await setup.login(gateway))["token"])
    reads = GatedReads(monkeypatch)
    before = asyncio.ensure_future(ensure_live(deps.db, deps.sessions, identity))
    await reads.until_a_read_began()
    await end_session(deps.db, deps.sessions, gateway.settings, identity)  # the logout commits meanwhile
    after = asyncio.ensure_future(ensure_live(deps.db, deps.sessions, identity))
    await reads.until_a_read_began()
    reads.gate.set()
    with pytest.raises(Unauthorized) as refused:
        await after
    assert refused.value.code == "session_revoked"
    assert reads.calls == 2  # its own read
    with pytest.raises(Unauthorized):  # the held read reached the database after the logout's commit too
        await before


async def test_reusing_a_spent_refresh_token_revokes_the_whole_family(setup):
    gateway = await setup.gateway()
    first = await setup.login(gateway)
    resp = await gateway.post("/api/session/refresh", json={"refresh_token": first["refresh_token"]})
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
    second = await resp.json()
    assert (await me(gateway, second["token"]))[0] == 200
    # The first refresh token again: a thief or a replay. Everything of that login dies.
    resp = await gateway.post("/api/session/refresh", json={"refresh_token": first["refresh_token"]})
    assert resp.status == 401
    assert await me(gateway, second["token"]) == (401, "session_revoked")
    assert await me(gateway, first["token"]) == (401, "session_revoked")
    resp = await gateway.post("/api/session/refresh", json={"refresh_token": second["refresh_token"]})
    assert resp.status == 401 and (await resp.json())["code"] == "invalid_refresh_token"


async def test_a_deactivated_staff_account_is_refused_on_the_next_request(setup, database_url):
    gateway = await setup.gateway()
    await add_staff(gateway.settings, "clerk", "pw-clerk-1", "mch_001")
    resp = await gateway.post("/api/merchant/session", json={"username": "clerk", "password": "pw-clerk-1"})
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
    token = (await resp.json())["token"]
    resp = await gateway.get("/api/merchant/orders", headers=bearer(token))
    assert resp.status != 401  # (503: the orders service is not running in this test)

    assert await set_staff_active(database_url, "clerk", False)
    resp = await gateway.get("/api/merchant/orders", headers=bearer(token))
    assert resp.status == 401 and (await resp.json())["code"] == "session_revoked"
    resp = await gateway.post("/api/merchant/session", json={"username": "clerk", "password": "pw-clerk-1"})
    assert resp.status == 401
    assert not await set_staff_active(database_url, "nobody", False)


async def test_staff_logout_ends_the_staff_token(setup):
    gateway = await setup.gateway()
    await add_staff(gateway.settings, "clerk2", "pw-clerk-2", "mch_001")
    resp = await gateway.post("/api/merchant/session", json={"username": "clerk2", "password": "pw-clerk-2"})
    token = (await resp.json())["token"]
    assert (await gateway.delete("/api/merchant/session", headers=bearer(token))).status == 204
    resp = await gateway.get("/api/merchant/orders", headers=bearer(token))
    assert resp.status == 401 and (await resp.json())["code"] == "session_revoked"
