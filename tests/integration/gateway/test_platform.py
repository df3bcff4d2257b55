"""Onboarding and the platform through the real gateway and services: an operator made by deploy.admin signs in
through its one-time link, decides applications (approval creates the merchant in catalog and its first owner),
keeps the category tree, and suspends a merchant (products gone from search, staff refused) and reinstates it."""

from __future__ import annotations

import re
import uuid
from typing import Any

from deploy.admin import create_operator
from tests.integration.gateway.conftest import Mall
from tests.support import eventually

LICENCE = "91350100M000100Y43"
APPLICATION = {"merchant_name": "西湖茶庄", "licence_no": LICENCE, "contact_name": "王芳",
               "contact_phone": "13800001234", "contact_email": "wang@example.com", "owner_username": "xihu_owner"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def code_of(resp: Any) -> tuple[int, str | None]:
    return resp.status, (await resp.json()).get("code")


async def operator(mall: Mall, database_url: str, username: str = "ops1") -> dict[str, str]:
    printed = await create_operator(database_url, username)
    token = re.search(r"token=([A-Za-z0-9_-]+)", printed)
    assert token is not None and "created" in printed, printed
    resp = await mall.gateway.post("/api/set-password", json={"token": token[1], "password": "operator-pass-1"})
    assert (resp.status, await resp.json()) == (200, {"kind": "operator", "username": username})
    resp = await mall.gateway.post("/api/platform/session", json={"username": username,
                                                                  "password": "operator-pass-1"})
    assert resp.status == 200, await resp.text()
    return bearer((await resp.json())["token"])


async def test_a_merchant_applies_is_approved_and_its_owner_signs_in(mall: Mall, database_url: str) -> None:
    gw = mall.gateway
    ops = await operator(mall, database_url)
    bad = await gw.post("/api/merchant-applications", json={**APPLICATION, "licence_no": "91350100M000100Y44"})
    assert (await code_of(bad)) == (422, "invalid_licence_no")
    resp = await gw.post("/api/merchant-applications", json={**APPLICATION, "licence_no": LICENCE.lower()})
    assert resp.status == 201, await resp.text()
    application = await resp.json()
    assert application["status"] == "pending"
    again = await gw.post("/api/merchant-applications", json={**APPLICATION, "owner_username": "other_owner"})
    assert await code_of(again) == (409, "application_exists")

    # Only operators see and decide applications.
    for who in (mall.staff(), mall.user(), {}):
        resp = await gw.get("/api/platform/applications", headers=who)
        assert resp.status in (401, 403)
    listed = await (await gw.get("/api/platform/applications?status=pending", headers=ops)).json()
    assert [(a["id"], a["licence_no"], a["owner_username"]) for a in listed["items"]] == \
        [(application["id"], LICENCE, "xihu_owner")]

    resp = await gw.post(f"/api/platform/applications/{application['id']}/approve", headers=ops)
    assert resp.status == 200, await resp.text()
    approved = await resp.json()
    merchant_id = approved["application"]["merchant_id"]
    assert approved["application"]["status"] == "approved" and approved["application"]["decided_by"] == "ops1"
    twice = await gw.post(f"/api/platform/applications/{application['id']}/approve", headers=ops)
    assert await code_of(twice) == (409, "application_decided")
    merchants = (await (await gw.get("/api/platform/merchants", headers=ops)).json())["items"]
    assert (merchants[0]["merchant_id"], merchants[0]["merchant_name"], merchants[0]["licence_no"],
            merchants[0]["suspended"]) == (merchant_id, "西湖茶庄", LICENCE, False)

    resp = await gw.post("/api/set-password", json={"token": approved["set_password_token"],
                                                    "password": "owner-password-1"})
    assert resp.status == 200
    resp = await gw.post("/api/merchant/session", json={"username": "xihu_owner", "password": "owner-password-1"})
    session = await resp.json()
    assert (session["merchant_id"], session["role"]) == (merchant_id, "owner")
    owner = bearer(session["token"])

    async def product_created() -> Any:  # catalog knows the merchant once it heard merchant.approved
        resp = await gw.post("/api/merchant/products", headers={**owner, "Idempotency-Key": uuid.uuid4().hex},
                             json={"name": "明前龙井", "skus": [{"price_fen": 9_900, "stock": 5}]})
        return resp.status == 201
    await eventually(product_created, timeout=15)
    staff = await (await gw.get("/api/merchant/staff", headers=owner)).json()
    assert [(s["username"], s["role"]) for s in staff["items"]] == [("xihu_owner", "owner")]


async def test_an_operator_rejects_and_a_rejected_licence_may_apply_again(mall: Mall, database_url: str) -> None:
    gw = mall.gateway
    ops = await operator(mall, database_url)
    first = await (await gw.post("/api/merchant-applications", json=APPLICATION)).json()
    resp = await gw.post(f"/api/platform/applications/{first['id']}/reject", json={"reason": "执照模糊"},
                         headers=ops)
    assert resp.status == 200 and (await resp.json())["status"] == "rejected"
    assert (await gw.post("/api/merchant/session", json={"username": "xihu_owner", "password": "x"})).status == 401
    resp = await gw.post("/api/merchant-applications", json=APPLICATION)
    assert resp.status == 201
    missing = await gw.post("/api/platform/applications/app_missing/approve", headers=ops)
    assert await code_of(missing) == (404, "application_not_found")


async def test_operators_keep_the_category_tree(mall: Mall, database_url: str) -> None:
    gw = mall.gateway
    ops = await operator(mall, database_url)
    tea = await (await gw.post("/api/platform/categories", json={"name": "茶叶"}, headers=ops)).json()
    green = await (await gw.post("/api/platform/categories", json={"name": "绿茶", "parent_id": tea["id"]},
                                 headers=ops)).json()
    assert green["parent_id"] == tea["id"]
    assert await code_of(await gw.post("/api/platform/categories", json={"name": "x", "parent_id": "cat_nope"},
                                       headers=ops)) == (422, "parent_not_found")
    under_itself = await gw.patch(f"/api/platform/categories/{tea['id']}", json={"parent_id": green["id"]},
                                  headers=ops)
    assert await code_of(under_itself) == (422, "category_cycle")
    renamed = await gw.patch(f"/api/platform/categories/{green['id']}", json={"name": "绿茶类", "to_top": True},
                             headers=ops)
    assert (await renamed.json()) == {"id": green["id"], "parent_id": None, "name": "绿茶类", "position": 0}
    moved = await gw.patch(f"/api/platform/categories/{green['id']}", json={"parent_id": tea["id"]}, headers=ops)
    assert (await moved.json())["parent_id"] == tea["id"]

    assert await code_of(await gw.delete(f"/api/platform/categories/{tea['id']}", headers=ops)) \
        == (409, "category_not_empty")
    tree = await (await gw.get("/api/platform/categories", headers=ops)).json()
    assert [(c["name"], [k["name"] for k in c["children"]]) for c in tree["items"]] == [("茶叶", ["绿茶类"])]
    assert (await gw.delete(f"/api/platform/categories/{green['id']}", headers=ops)).status == 204
    assert (await gw.delete(f"/api/platform/categories/{tea['id']}", headers=ops)).status == 204
    assert (await gw.post("/api/platform/categories", json={"name": "x"}, headers=mall.staff())).status == 403


async def test_a_suspended_merchant_leaves_search_and_its_staff_are_refused(mall: Mall, database_url: str) -> None:
    gw = mall.gateway
    ops = await operator(mall, database_url)
    resp = await gw.put("/api/merchant/profile", json={"name": "数码店"}, headers=mall.staff())
    assert resp.status == 200
    resp = await gw.post("/api/merchant/products", headers={**mall.staff(), "Idempotency-Key": uuid.uuid4().hex},
                         json={"name": "蓝牙耳机 Pro", "skus": [{"price_fen": 19_900, "stock": 5}]})
    assert resp.status == 201, await resp.text()

    async def found() -> int:
        return (await (await gw.get("/api/search?q=蓝牙耳机", headers=mall.user())).json())["total"]
    assert await found() == 1
    login = await gw.post("/api/merchant/session", json={"username": "staff1", "password": "pw-staff-1"})
    token = bearer((await login.json())["token"])

    resp = await gw.post("/api/platform/merchants/mch_001/suspend", json={"reason": "售假投诉"}, headers=ops)
    assert resp.status == 200, await resp.text()
    assert await code_of(await gw.get("/api/merchant/orders", headers=token)) == (403, "merchant_suspended")
    relogin = await gw.post("/api/merchant/session", json={"username": "staff1", "password": "pw-staff-1"})
    assert await code_of(relogin) == (403, "merchant_suspended")
    assert await code_of(await gw.post("/api/platform/merchants/mch_001/suspend", json={"reason": "again"},
                                       headers=ops)) == (409, "already_suspended")
    listed = await (await gw.get("/api/platform/merchants?suspended=true", headers=ops)).json()
    assert [(m["merchant_id"], m["suspended"], m["suspension"]["reason"], m["suspension"]["by"])
            for m in listed["items"]] == [("mch_001", True, "售假投诉", "ops1")]
    assert (await gw.get("/api/platform/merchants", headers=token)).status in (401, 403)

    async def gone() -> bool:
        return await found() == 0
    await eventually(gone, timeout=15)

    resp = await gw.post("/api/platform/merchants/mch_001/reinstate", headers=ops)
    assert resp.status == 200
    assert (await gw.get("/api/merchant/orders", headers=token)).status == 200
    listed = await (await gw.get("/api/platform/merchants", headers=ops)).json()
    assert {m["merchant_id"]: m["suspended"] for m in listed["items"]}["mch_001"] is False

    async def back() -> bool:
        return await found() == 1
    await eventually(back, timeout=15)


async def test_operator_logins_are_locked_out_after_wrong_passwords(mall: Mall, database_url: str) -> None:
    gw = mall.gateway
    await operator(mall, database_url, "ops2")
    for _ in range(mall.settings.login_account_failures):
        resp = await gw.post("/api/platform/session", json={"username": "ops2", "password": "wrong-password"})
        assert resp.status in (401, 429)
    resp = await gw.post("/api/platform/session", json={"username": "ops2", "password": "operator-pass-1"})
    assert resp.status == 429 and "Retry-After" in resp.headers
    staff = await gw.post("/api/merchant/session", json={"username": "staff1", "password": "pw-staff-1"})
    assert staff.status == 200  # the lock is on that operator account, not on the address
