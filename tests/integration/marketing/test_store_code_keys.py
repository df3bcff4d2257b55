"""Rotating MALL_QR_SECRET: store codes printed under the previous key claim while it is configured, and
no longer once it is removed; a correctly signed code with a malformed payload is refused, never a 500."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from services.marketing.app import create_app
from services.marketing.settings import MarketingSettings
from tests.integration.marketing.conftest import make_campaign, make_template, staff, user
from tests.integration.marketing.test_stores import add_stores


async def marketing(settings_for: Any, start_app: Any, clock: Any, **keys: str) -> Any:
    return await start_app(create_app(settings_for(MarketingSettings, **keys), clock=clock))


async def test_a_code_of_the_previous_key_claims_only_while_that_key_is_configured(
        settings_for, start_app, clock, sql, publish):
    old_key, new_key = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    before = await marketing(settings_for, start_app, clock, qr_secret=old_key)
    await add_stores(publish, sql)
    template = await make_template(before, (await make_campaign(before))["id"], channel="store_code",
                                   store_id="sto_mid", per_user_limit=5)
    minted = await before.post("/merchant/store-codes", json={"template_id": template["id"]}, headers=staff())
    old_code = (await minted.json())["code"]

    rotating = await marketing(settings_for, start_app, clock, qr_secret=new_key, qr_secret_previous=old_key)
    assert (await rotating.post("/store-codes/claim", json={"code": old_code}, headers=user("u1"))).status == 201
    minted = await rotating.post("/merchant/store-codes", json={"template_id": template["id"]}, headers=staff())
    new_code = (await minted.json())["code"]

    after = await marketing(settings_for, start_app, clock, qr_secret=new_key)
    refused = await after.post("/store-codes/claim", json={"code": old_code}, headers=user("u2"))
    assert refused.status == 409 and (await refused.json())["code"] == "store_code_invalid"
    assert (await after.post("/store-codes/claim", json={"code": new_code}, headers=user("u2"))).status == 201


def signed(key: str, doc: Any) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()
    mac = hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest()
    return f"MPSC.{payload}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


async def test_a_correctly_signed_code_with_a_malformed_payload_is_refused(settings_for, start_app, clock):
    key = secrets.token_urlsafe(32)
    market = await marketing(settings_for, start_app, clock, qr_secret=key)
    for doc in ({"t": "tpl", "s": "sto", "e": "x"}, {"t": "tpl", "s": "sto", "e": 10**30},
                {"t": "tpl", "s": "sto", "e": 1e300}, {"t": "tpl", "s": "sto", "e": -10**15}, ["t"], "text"):
        resp = await market.post("/store-codes/claim", json={"code": signed(key, doc)}, headers=user("u1"))
        assert resp.status == 409 and (await resp.json())["code"] == "store_code_invalid", doc
