"""Group buying (拼团) through the gateway on the real services: a merchant's deal, a buyer opening a group at
the group price, others joining by placing orders; a full group's orders go on to fulfilment, a group short
of members at its deadline refunds every paid member and cancels the unpaid (marketing's clock moved by hand).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from shared.clock import ManualClock
from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.test_routing import create_product
from tests.support import eventually

PRICE_FEN, GROUP_PRICE_FEN = 5_000, 3_000
PRODUCT = {"name": "阳山水蜜桃 6只装", "brand": "阳山", "store_ids": [],
           "skus": [{"id": "sku_peach", "specs": {"规格": "6只"}, "price_fen": PRICE_FEN, "stock": 100}]}


@pytest.fixture
def marketing_clock() -> ManualClock:
    return ManualClock()


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


async def open_deal(mall: Mall, size: int, hours: int = 24) -> tuple[str, str]:
    """The peach product and a running deal on its SKU: (product id, deal id)."""
    product = await create_product(mall, PRODUCT)
    ends = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    resp = await mall.gateway.post("/api/merchant/group-buy/deals", headers={**mall.staff(), **key()}, json={
        "sku_id": "sku_peach", "name": "三人团", "group_price_fen": GROUP_PRICE_FEN, "group_size": size,
        "time_limit_hours": hours, "ends_at": ends})
    assert resp.status == 201, await resp.text()
    deal = await resp.json()
    listed = await (await mall.gateway.get("/api/merchant/group-buy/deals", headers=mall.staff())).json()
    assert [d["id"] for d in listed["items"]] == [deal["id"]]
    other = await mall.gateway.get(f"/api/merchant/group-buy/deals/{deal['id']}", headers=mall.staff("mch_002"))
    assert (other.status, (await other.json())["code"]) == (404, "group_deal_not_found")

    async def priced() -> bool:  # orders learns the SKU from catalog's sku.changed
        resp = await mall.gateway.post("/api/checkout/preview", headers=mall.user(),
                                       json={"items": [{"sku_id": "sku_peach", "qty": 1}]})
        return resp.status == 200

    await eventually(priced, timeout=15)
    running = await (await mall.gateway.get("/api/group-buy/deals", params={"sku_id": "sku_peach"},
                                            headers=mall.user())).json()
    assert [(d["id"], d["group_price_fen"]) for d in running["items"]] == [(deal["id"], GROUP_PRICE_FEN)]
    return str(product["id"]), str(deal["id"])


async def place(mall: Mall, user: str, group_buy: dict[str, str], delivery: dict[str, str] | None = None) -> Any:
    """Place as a client does: a 503 (the orders service slow to answer a burst on a loaded machine) is tried
    again with the same Idempotency-Key, so the order is placed once whatever happened to the first try."""
    headers = {**mall.user(user), **key()}
    body: dict[str, Any] = {"items": [{"sku_id": "sku_peach", "qty": 1}], "group_buy": group_buy}
    if delivery is not None:
        body["delivery"] = delivery
    for attempt in range(1, 6):
        resp = await mall.gateway.post("/api/orders", headers=headers, json=body)
        if resp.status != 503:
            break
        await asyncio.sleep(0.5 * attempt)
    return resp


async def preview(mall: Mall, user: str, group_buy: dict[str, str], **extra: Any) -> Any:
    return await mall.gateway.post("/api/checkout/preview", headers=mall.user(user), json={
        "items": [{"sku_id": "sku_peach", "qty": 1}], "group_buy": group_buy, **extra})


async def decided(mall: Mall, user: str, order_id: str) -> dict[str, Any]:
    """The order once the saga has decided (the gateway's short wait may end first under a burst)."""
    async def probe() -> dict[str, Any] | None:
        found = await (await mall.gateway.get(f"/api/orders/{order_id}", headers=mall.user(user))).json()
        return found if found["status"] != "PENDING" else None

    return await eventually(probe, timeout=30)


async def pay(mall: Mall, user: str, order_id: str) -> None:
    resp = await mall.gateway.post(f"/api/orders/{order_id}/pay", json={"method": "alipay"},
                                   headers={**mall.user(user), **key()})
    assert resp.status in (200, 201), await resp.text()
    paid = await mall.sandbox.post(f"/sandbox/trades/{(await resp.json())['trade_no']}/pay", json={})  # type: ignore[union-attr]
    assert paid.status == 200, await paid.text()

    async def is_paid() -> bool:
        found = await (await mall.gateway.get(f"/api/orders/{order_id}", headers=mall.user(user))).json()
        return found["status"] == "PAID"

    await eventually(is_paid, timeout=20)


async def group_page(mall: Mall, group_id: str, user: str) -> dict[str, Any]:
    resp = await mall.gateway.get(f"/api/group-buys/{group_id}", headers=mall.user(user))
    assert resp.status == 200, await resp.text()
    return dict(await resp.json())


async def ship(mall: Mall, order_id: str) -> Any:
    return await mall.gateway.post(f"/api/merchant/orders/{order_id}/ship", headers={**mall.staff(), **key()},
                                   json={})


async def metrics(mall: Mall) -> dict[str, Any]:
    today = date.today()
    resp = await mall.gateway.get("/api/merchant/metrics", headers=mall.staff(), params={
        "from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=2)).isoformat()})
    assert resp.status == 200, await resp.text()
    return dict((await resp.json())["kpis"])


async def test_thirty_buyers_racing_for_a_five_person_group_seat_exactly_five_and_a_full_group_ships(
        mall: Mall) -> None:
    _, deal_id = await open_deal(mall, size=5)
    # The checkout preview prices the basket as the order will be: the group's price, from the server.
    quoted = await preview(mall, "u_opener", {"deal_id": deal_id})
    assert quoted.status == 200, await quoted.text()
    assert ((await quoted.json())["payable_fen"], (await quoted.json())["usable_coupons"]) == (GROUP_PRICE_FEN, [])
    with_points = await preview(mall, "u_opener", {"deal_id": deal_id}, points=100)
    assert (with_points.status, (await with_points.json())["code"]) == (422, "group_buy_no_promotion")
    resp = await place(mall, "u_opener", {"deal_id": deal_id})
    assert resp.status == 201, await resp.text()
    opened = await resp.json()
    group_id = opened["group_buy"]["group_id"]  # the id the opener shares
    joining = await preview(mall, "u_racer_0", {"group_id": group_id})
    assert (await joining.json())["payable_fen"] == GROUP_PRICE_FEN
    again = await preview(mall, "u_opener", {"group_id": group_id})  # the opener is in it already
    assert (again.status, (await again.json())["code"]) == (409, "already_in_group")
    opened = await decided(mall, "u_opener", opened["id"])
    assert (opened["status"], opened["payable_fen"]) == ("AWAITING_PAYMENT", GROUP_PRICE_FEN)  # the server's price
    await pay(mall, "u_opener", opened["id"])
    held = await ship(mall, opened["id"])  # paid, but the group is not full: held
    assert (held.status, (await held.json())["code"]) == (409, "group_buy_pending")
    refund = await mall.gateway.post(f"/api/orders/{opened['id']}/refund", json={"reason": "changed my mind"},
                                     headers={**mall.user("u_opener"), **key()})
    assert (refund.status, (await refund.json())["code"]) == (409, "group_buy_pending")

    async def seat_paid() -> dict[str, Any]:  # marketing marks the seat on order.paid, a moment after orders
        page = await group_page(mall, group_id, "u_racer_0")
        assert page["members"] == [{"nickname": "匿名", "opener": True, "paid": True, "is_me": False}]
        return page

    page = await eventually(seat_paid)
    assert (page["status"], page["size"], page["seats_left"]) == ("open", 5, 4)
    assert 23 * 3600 < page["seconds_left"] <= 24 * 3600
    assert "u_opener" not in str(page)  # members are masked: never a user id

    racers = [f"u_racer_{i}" for i in range(30)]
    replies = await asyncio.gather(*(place(mall, racer, {"group_id": group_id}) for racer in racers))
    assert all(r.status == 201 for r in replies), [(r.status, await r.text()) for r in replies if r.status != 201]
    placed = [await r.json() for r in replies]
    outcomes = await asyncio.gather(*(decided(mall, racer, p["id"]) for racer, p in zip(racers, placed, strict=True)))
    seated = [(racer, o) for racer, o in zip(racers, outcomes, strict=True) if o["status"] == "AWAITING_PAYMENT"]
    refused = [o for o in outcomes if o["status"] == "CANCELLED"]
    assert len(seated) == 4 and len(refused) == 26  # with the opener: exactly 5 members
    assert {o["reason"] for o in refused} == {"group_full"}
    assert all(o["payable_fen"] == GROUP_PRICE_FEN for _, o in seated)

    page = await group_page(mall, group_id, seated[0][0])
    assert (page["seats_left"], len(page["members"])) == (0, 5)
    assert sum(m["is_me"] for m in page["members"]) == 1

    twice = await place(mall, seated[0][0], {"group_id": group_id})  # a buyer joins a group once
    assert (twice.status, (await twice.json())["code"]) == (409, "already_in_group")
    again = await place(mall, "u_opener", {"group_id": group_id})
    assert (again.status, (await again.json())["code"]) == (409, "already_in_group")

    await asyncio.gather(*(pay(mall, racer, o["id"]) for racer, o in seated))  # the last payment fills it

    async def succeeded() -> bool:
        state = (await group_page(mall, group_id, "u_opener"))["status"]
        orders = [await decided(mall, user, oid) for user, oid in
                  [("u_opener", opened["id"]), *((r, o["id"]) for r, o in seated)]]
        return state == "succeeded" and all(o["group_buy"]["state"] == "succeeded" for o in orders)

    await eventually(succeeded, timeout=20)
    for order_id in [opened["id"], *(o["id"] for _, o in seated)]:
        shipped = await ship(mall, order_id)
        assert shipped.status == 200, await shipped.text()
        assert (await shipped.json())["status"] == "SHIPPED"

    async def counted() -> dict[str, Any] | None:
        kpis = await metrics(mall)
        return kpis if kpis["group_buys_succeeded"] == 1 else None

    kpis = await eventually(counted, timeout=15)
    assert (kpis["group_buys_failed"], kpis["group_buy_success_rate"]) == (0, 1.0)


async def test_a_group_short_of_members_at_its_deadline_refunds_every_paid_member_and_releases_the_stock(
        mall: Mall, marketing_clock: ManualClock) -> None:
    product_id, deal_id = await open_deal(mall, size=3, hours=2)
    opened = await (await place(mall, "u_opener", {"deal_id": deal_id})).json()
    group_id = opened["group_buy"]["group_id"]
    assert (await decided(mall, "u_opener", opened["id"]))["status"] == "AWAITING_PAYMENT"
    quitter = await (await place(mall, "u_quitter", {"group_id": group_id})).json()
    assert (await decided(mall, "u_quitter", quitter["id"]))["status"] == "AWAITING_PAYMENT"
    assert (await group_page(mall, group_id, "u_quitter"))["seats_left"] == 1
    resp = await mall.gateway.post(f"/api/orders/{quitter['id']}/cancel", headers={**mall.user("u_quitter"), **key()})
    assert resp.status == 200, await resp.text()

    async def seat_released() -> bool:  # an unpaid order's seat goes back to the group
        return (await group_page(mall, group_id, "u_opener"))["seats_left"] == 2

    await eventually(seat_released, timeout=15)
    joined = await (await place(mall, "u_friend", {"group_id": group_id})).json()
    unpaid = await (await place(mall, "u_late", {"group_id": group_id})).json()
    for user, order in (("u_friend", joined), ("u_late", unpaid)):
        assert (await decided(mall, user, order["id"]))["status"] == "AWAITING_PAYMENT"
    await pay(mall, "u_opener", opened["id"])
    await pay(mall, "u_friend", joined["id"])
    assert (await group_page(mall, group_id, "u_friend"))["seats_left"] == 0  # the unpaid seat is held

    marketing_clock.advance(hours=2, seconds=1)  # the deadline job fails the group

    async def ended() -> dict[str, dict[str, Any]] | None:
        found = {user: await decided(mall, user, oid) for user, oid in
                 (("u_opener", opened["id"]), ("u_friend", joined["id"]), ("u_late", unpaid["id"]))}
        done = (found["u_opener"]["status"], found["u_friend"]["status"], found["u_late"]["status"])
        return found if done == ("REFUNDED", "REFUNDED", "CANCELLED") else None

    found = await eventually(ended, timeout=30)
    for user in ("u_opener", "u_friend"):
        (refund,) = found[user]["refunds"]
        assert (refund["status"], refund["amount_fen"], refund["reason"]) == ("refunded", GROUP_PRICE_FEN,
                                                                             "group_buy_failed")
        assert found[user]["group_buy"]["state"] == "failed"
    assert found["u_late"]["reason"] == "group_buy_failed"
    page = await group_page(mall, group_id, "u_opener")
    assert (page["status"], page["seats_left"], page["seconds_left"]) == ("failed", 0, 0)
    late = await place(mall, "u_new", {"group_id": group_id})  # nobody joins an ended group
    assert (await decided(mall, "u_new", (await late.json())["id"]))["reason"] == "group_closed"

    async def restocked() -> bool:  # the refunded units and the unpaid order's reservation are back on sale
        resp = await mall.gateway.get(f"/api/merchant/products/{product_id}", headers=mall.staff())
        (sku,) = (await resp.json())["skus"]
        return (sku["available"], sku["reserved"], sku["sold"]) == (100, 0, 0)

    await eventually(restocked, timeout=20)

    async def counted() -> dict[str, Any] | None:
        kpis = await metrics(mall)
        return kpis if kpis["group_buys_failed"] == 1 else None

    kpis = await eventually(counted, timeout=15)
    assert (kpis["group_buys_succeeded"], kpis["group_buy_success_rate"]) == (0, 0.0)


PICKUP = {"method": "pickup", "store_id": "sto_lake"}


async def test_a_held_pickup_order_gets_its_code_only_when_its_group_fills_and_a_failed_group_never(
        mall: Mall, marketing_clock: ManualClock) -> None:
    gw, staff = mall.gateway, mall.staff()
    _, deal_id = await open_deal(mall, size=2, hours=2)
    resp = await gw.put("/api/merchant/stores/sto_lake", headers=staff, json={
        "name": "湖滨店", "address": "上城区延安路1号", "lat": 30.2577, "lng": 120.1664})
    assert resp.status == 200, await resp.text()

    async def store_known() -> bool:  # fulfilment learns the store from catalog's store.changed
        resp = await gw.post("/api/checkout/preview", headers=mall.user(), json={
            "items": [{"sku_id": "sku_peach", "qty": 1}]})
        return any(o.get("store_id") == "sto_lake" for o in (await resp.json())["delivery_options"])

    await eventually(store_known, timeout=15)

    async def opened_and_paid(user: str, group_buy: dict[str, str]) -> dict[str, Any]:
        placed = await place(mall, user, group_buy, PICKUP)
        assert placed.status == 201, await placed.text()
        order = await decided(mall, user, (await placed.json())["id"])
        assert order["status"] == "AWAITING_PAYMENT", order
        await pay(mall, user, order["id"])
        return order

    filling = await opened_and_paid("u_opener", {"deal_id": deal_id})
    failing = await opened_and_paid("u_alone", {"deal_id": deal_id})
    for user, order in (("u_opener", filling), ("u_alone", failing)):  # paid, but held for the group
        ready = await gw.post(f"/api/merchant/orders/{order['id']}/ready", headers=staff)
        assert (ready.status, (await ready.json())["code"]) == (409, "group_buy_pending")
        found = await (await gw.get(f"/api/orders/{order['id']}", headers=mall.user(user))).json()
        assert found["status"] == "PAID" and "pickup" not in found  # no code to show at the counter yet

    friend = await opened_and_paid("u_friend", {"group_id": filling["group_buy"]["group_id"]})  # fills the group

    async def with_code(user: str, order_id: str) -> dict[str, Any] | None:
        found = await (await gw.get(f"/api/orders/{order_id}", headers=mall.user(user))).json()
        return found if found.get("pickup") else None

    for user, order in (("u_opener", filling), ("u_friend", friend)):
        pickup = (await eventually(lambda u=user, o=order: with_code(u, o["id"]), timeout=20))["pickup"]
        verified = await gw.post("/api/merchant/pickups/verify", headers=staff,
                                 json={"code": pickup["code"], "store_id": "sto_lake"})
        assert verified.status == 200, await verified.text()

    marketing_clock.advance(hours=2, seconds=1)  # the other group fails: its paid order is refunded

    async def refunded() -> dict[str, Any] | None:
        found = await (await gw.get(f"/api/orders/{failing['id']}", headers=mall.user("u_alone"))).json()
        return found if found["status"] == "REFUNDED" else None

    assert "pickup" not in await eventually(refunded, timeout=30)  # never a code to hand goods over with
    ready = await gw.post(f"/api/merchant/orders/{failing['id']}/ready", headers=staff)
    assert (ready.status, (await ready.json())["code"]) == (409, "pickup_closed")
