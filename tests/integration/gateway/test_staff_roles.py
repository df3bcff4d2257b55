"""Staff roles and staff admin through the real gateway and services: an owner invites a clerk with a one-time
link, the clerk verifies a real pickup code but is refused a price change and staff admin, a role change and a
deactivation take effect on the next request, and no merchant's staff touches another's."""

from __future__ import annotations

import uuid
from typing import Any

from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.test_pickup import paid_pickup_order


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def invite(mall: Mall, username: str, role: str, owner: dict[str, str] | None = None) -> dict[str, Any]:
    resp = await mall.gateway.post("/api/merchant/staff", json={"username": username, "display_name": "小王",
                                                                "role": role}, headers=owner or mall.staff())
    assert resp.status == 201, await resp.text()
    assert resp.headers["Cache-Control"] == "no-store"
    return dict(await resp.json())


async def sign_in(mall: Mall, username: str, password: str) -> Any:
    return await mall.gateway.post("/api/merchant/session", json={"username": username, "password": password})


async def join(mall: Mall, username: str, role: str) -> dict[str, str]:
    """Invited, password set through the link, signed in: the new staff member's headers."""
    invited = await invite(mall, username, role)
    resp = await mall.gateway.post("/api/set-password", json={"token": invited["set_password_token"],
                                                              "password": f"pw-{username}-long"})
    assert resp.status == 200, await resp.text()
    resp = await sign_in(mall, username, f"pw-{username}-long")
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert (body["merchant_id"], body["role"]) == ("mch_001", role)
    return bearer(body["token"])


async def code_of(resp: Any) -> tuple[int, str | None]:
    body = await resp.json() if resp.content_type.endswith("json") else {}
    return resp.status, body.get("code")


async def test_an_invitation_link_sets_the_password_once(mall: Mall) -> None:
    gw = mall.gateway
    invited = await invite(mall, "newclerk", "clerk")
    assert invited["staff"] == {"username": "newclerk", "display_name": "小王", "role": "clerk", "active": True,
                                "created_at": invited["staff"]["created_at"]}
    assert invited["set_password_url"].endswith(f"/console/#/set-password?token={invited['set_password_token']}")
    resp = await sign_in(mall, "newclerk", "anything-at-all")  # no password before the link is used
    assert await code_of(resp) == (401, "invalid_credentials")

    body = {"token": invited["set_password_token"], "password": "first-password-1"}
    resp = await gw.post("/api/set-password", json=body)
    assert (resp.status, await resp.json()) == (200, {"kind": "staff", "username": "newclerk"})
    again = await gw.post("/api/set-password", json={**body, "password": "attacker-password"})
    assert await code_of(again) == (410, "link_invalid")
    assert (await sign_in(mall, "newclerk", "attacker-password")).status == 401
    assert (await sign_in(mall, "newclerk", "first-password-1")).status == 200

    taken = await gw.post("/api/merchant/staff", json={"username": "newclerk", "role": "clerk"},
                          headers=mall.staff("mch_002"))
    assert await code_of(taken) == (409, "username_taken")


async def test_a_clerk_verifies_a_pickup_and_ships_but_may_change_nothing_else(mall: Mall) -> None:
    gw = mall.gateway
    order = await paid_pickup_order(mall)  # mch_001's product sku_tea, a paid pickup order at sto_lake
    clerk = await join(mall, "clerk1", "clerk")

    me = await (await gw.get("/api/merchant/me", headers=clerk)).json()
    assert me == {"username": "clerk1", "merchant_id": "mch_001", "display_name": "小王", "role": "clerk"}
    orders = await gw.get("/api/merchant/orders", headers=clerk)
    assert orders.status == 200 and order["id"] in [o["id"] for o in (await orders.json())["items"]]

    ready = await gw.post(f"/api/merchant/orders/{order['id']}/ready", headers=clerk)
    assert ready.status == 200, await ready.text()
    verified = await gw.post("/api/merchant/pickups/verify", headers={**clerk, "Idempotency-Key": uuid.uuid4().hex},
                             json={"code": order["pickup"]["code"], "store_id": "sto_lake"})
    assert verified.status == 200, await verified.text()

    refused = [
        gw.patch("/api/merchant/skus/sku_tea", json={"price_fen": 1}, headers=clerk),  # a price change
        gw.post("/api/merchant/skus/sku_tea/stock", json={"delta": 5},
                headers={**clerk, "Idempotency-Key": uuid.uuid4().hex}),
        gw.get("/api/merchant/staff", headers=clerk),
        gw.post("/api/merchant/staff", json={"username": "sneaky", "role": "owner"}, headers=clerk),
        gw.patch("/api/merchant/staff/staff1", json={"active": False}, headers=clerk),
        gw.put("/api/merchant/profile", json={"name": "mine"}, headers=clerk),
        gw.post(f"/api/merchant/orders/{order['id']}/refund/approve", headers=clerk),
        gw.get("/api/merchant/metrics?from=2026-01-01&to=2026-01-31", headers=clerk),
    ]
    for call in refused:
        resp = await call
        body = await resp.json()
        assert (resp.status, body["code"], body["role"]) == (403, "role_forbidden", "clerk"), body
    listed = await (await gw.get("/api/merchant/products", headers=mall.staff())).json()
    product = await (await gw.get(f"/api/merchant/products/{listed['items'][0]['id']}", headers=mall.staff())).json()
    assert [(s["id"], s["price_fen"]) for s in product["skus"]] == [("sku_tea", 5_000)]  # the price is unchanged


async def test_a_role_change_and_a_deactivation_take_effect_on_the_next_request(mall: Mall) -> None:
    gw = mall.gateway
    clerk = await join(mall, "clerk2", "clerk")
    price = gw.patch("/api/merchant/skus/sku_missing", json={"price_fen": 100}, headers=clerk)
    assert await code_of(await price) == (403, "role_forbidden")

    resp = await gw.patch("/api/merchant/staff/clerk2", json={"role": "manager"}, headers=mall.staff())
    assert resp.status == 200 and (await resp.json())["role"] == "manager"
    price = await gw.patch("/api/merchant/skus/sku_missing", json={"price_fen": 100}, headers=clerk)
    assert price.status == 404  # the same token: now a manager, past the role check (no such SKU)
    assert await code_of(await gw.get("/api/merchant/staff", headers=clerk)) == (403, "role_forbidden")

    listed = await (await gw.get("/api/merchant/staff", headers=mall.staff())).json()
    assert {(s["username"], s["role"], s["active"]) for s in listed["items"]} >= {("clerk2", "manager", True)}

    resp = await gw.patch("/api/merchant/staff/clerk2", json={"active": False}, headers=mall.staff())
    assert resp.status == 200 and (await resp.json())["active"] is False
    assert await code_of(await gw.get("/api/merchant/orders", headers=clerk)) == (401, "session_revoked")
    assert (await sign_in(mall, "clerk2", "pw-clerk2-long")).status == 401


async def test_the_last_owner_stays_and_staff_of_one_merchant_never_touch_anothers(mall: Mall) -> None:
    gw = mall.gateway
    await join(mall, "clerk3", "clerk")
    for change in ({"role": "manager"}, {"active": False}):
        resp = await gw.patch("/api/merchant/staff/staff1", json=change, headers=mall.staff())
        assert await code_of(resp) == (409, "last_owner")

    other = mall.staff("mch_002")  # an owner, of another merchant
    assert await code_of(await gw.patch("/api/merchant/staff/clerk3", json={"active": False}, headers=other)) \
        == (404, "staff_not_found")
    assert await code_of(await gw.post("/api/merchant/staff/clerk3/password-link", headers=other)) \
        == (404, "staff_not_found")
    theirs = await (await gw.get("/api/merchant/staff", headers=other)).json()
    assert theirs == {"items": []}
    assert (await gw.get("/api/merchant/orders", headers=mall.staff())).status == 200  # clerk3 untouched too
