"""The buyer's address book through the gateway and the real fulfilment service."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.integration.gateway.conftest import Mall

HOME = {"name": "张三", "phone": "138 1234 5678", "province": "浙江省", "city": "杭州市", "district": "西湖区",
        "detail": "文三路90号", "region_code": "330106"}


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


async def add(mall: Mall, body: dict[str, Any], user: str = "u_alice", **extra: str) -> Any:
    return await mall.gateway.post("/api/me/addresses", json=body, headers={**mall.user(user), **key(), **extra})


async def test_first_address_is_the_default_and_the_book_lists_the_default_first(mall: Mall) -> None:
    first = await add(mall, HOME)
    assert first.status == 201, await first.text()
    home = await first.json()
    assert home["phone"] == "13812345678" and home["is_default"] is True and home["id"].startswith("adr_")
    office = await (await add(mall, {**HOME, "detail": "延安路1号", "region_code": "330102"})).json()
    assert office["is_default"] is False
    moved = await mall.gateway.put(f"/api/me/addresses/{office['id']}", json={**HOME, "is_default": True},
                                   headers=mall.user())
    assert moved.status == 200 and (await moved.json())["is_default"] is True
    book = await (await mall.gateway.get("/api/me/addresses", headers=mall.user())).json()
    assert [(a["id"], a["is_default"]) for a in book["items"]] == [(office["id"], True), (home["id"], False)]
    gone = await mall.gateway.delete(f"/api/me/addresses/{office['id']}", headers=mall.user())
    assert gone.status == 204
    book = await (await mall.gateway.get("/api/me/addresses", headers=mall.user())).json()
    assert [(a["id"], a["is_default"]) for a in book["items"]] == [(home["id"], True)]


async def test_alipay_address_is_accepted(mall: Mall) -> None:
    reply = await add(mall, {"alipay_address": {"fullname": "李四", "mobilePhone": "13912345678", "prov": "江苏省",
                                                "city": "南京市", "area": "玄武区", "address": "中山路1号"}})
    assert reply.status == 201, await reply.text()
    assert {k: v for k, v in (await reply.json()).items() if k not in ("id", "is_default")} == {
        "name": "李四", "phone": "13912345678", "province": "江苏省", "city": "南京市", "district": "玄武区",
        "detail": "中山路1号", "region_code": "320000"}


async def test_bad_input_is_refused_and_nothing_is_written(mall: Mall) -> None:
    cases = [({**HOME, "phone": "12812345678"}, "invalid_phone"),
             ({**HOME, "region_code": "990106"}, "invalid_region_code"),
             ({**HOME, "region_code": "310101"}, "region_mismatch"),
             ({**HOME, "detail": " "}, "address_incomplete")]
    for body, code in cases:
        reply = await add(mall, body)
        assert reply.status == 422, (code, await reply.text())
        assert (await reply.json())["code"] == code
    book = await (await mall.gateway.get("/api/me/addresses", headers=mall.user())).json()
    assert book["items"] == []


async def test_another_buyers_address_is_not_found(mall: Mall) -> None:
    mine = await (await add(mall, HOME, user="u_alice")).json()
    for call in (mall.gateway.put(f"/api/me/addresses/{mine['id']}", json=HOME, headers=mall.user("u_bob")),
                 mall.gateway.delete(f"/api/me/addresses/{mine['id']}", headers=mall.user("u_bob"))):
        reply = await call
        assert reply.status == 404 and (await reply.json())["code"] == "address_not_found"
    assert (await (await mall.gateway.get("/api/me/addresses", headers=mall.user("u_bob"))).json())["items"] == []
    alice = await (await mall.gateway.get("/api/me/addresses", headers=mall.user("u_alice"))).json()
    assert [a["detail"] for a in alice["items"]] == [HOME["detail"]]


async def test_idempotency_key_gives_one_address(mall: Mall) -> None:
    same = key()
    replies = [await add(mall, HOME, **same) for _ in range(2)]
    assert [r.status for r in replies] == [201, 201]
    assert (await replies[0].json())["id"] == (await replies[1].json())["id"]
    assert len((await (await mall.gateway.get("/api/me/addresses", headers=mall.user())).json())["items"]) == 1
    missing = await mall.gateway.post("/api/me/addresses", json=HOME, headers=mall.user())
    assert missing.status == 400 and (await missing.json())["code"] == "idempotency_key_missing"


async def test_concurrent_defaults_leave_exactly_one(mall: Mall) -> None:
    replies = await asyncio.gather(*(add(mall, {**HOME, "detail": f"{i}号", "is_default": True}) for i in range(6)))
    assert [r.status for r in replies] == [201] * 6
    book = (await (await mall.gateway.get("/api/me/addresses", headers=mall.user())).json())["items"]
    assert len(book) == 6 and sum(a["is_default"] for a in book) == 1
