"""A Sesame deposit-free rental's freeze (issue 16/19), through the gateway, the real services and the Alipay
sandbox: the rent waits for the freeze (paying before it is refused, deposit_not_frozen); the buyer who never
confirmed asks again (the same request while its order string is good, then a new one); a late confirmation of a
superseded request is cancelled at Alipay and never counted; a rental still unconfirmed at its deadline is closed
on the services' injected clock, its stock back and no rent taken; an unpaid rental cancelled gives its confirmed
freeze back."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.clock import ManualClock
from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.test_alipay_native import RENTAL, counter, merchant_order
from tests.support import eventually

ALICE_ALIPAY = "2088000000000099"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def orders_clock(clock: ManualClock) -> ManualClock:
    return clock  # the deposit's deadline


@pytest.fixture
def payments_clock(clock: ManualClock) -> ManualClock:
    return clock  # when a freeze order string expires


async def rent(mall: Mall, who: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A camera ordered and its deposit's freeze asked for: (the order, the deposit-auth answer with
    `deposit_auth`)."""
    gw = mall.gateway
    order = await (await gw.post("/api/orders", json={"items": [{"sku_id": "sku_a7_rent", "qty": 1}]},
                                 headers={**who, "Idempotency-Key": uuid.uuid4().hex})).json()
    assert order["status"] == "AWAITING_PAYMENT", order
    resp = await gw.post(f"/api/orders/{order['id']}/deposit-auth", headers=who)
    assert resp.status == 200, await resp.text()
    return order, await resp.json()


async def pay(mall: Mall, order_id: str, who: dict[str, str], method: str = "alipay") -> Any:
    return await mall.gateway.post(f"/api/orders/{order_id}/pay", json={"method": method},
                                   headers={**who, "Idempotency-Key": uuid.uuid4().hex})


async def confirm(mall: Mall, order_str: str) -> str:
    """The buyer confirms a freeze order string in Alipay: its auth_no."""
    assert mall.sandbox is not None
    resp = await mall.sandbox.post("/sandbox/fund-auths/confirm",
                                   json={"order_str": order_str, "user_id": ALICE_ALIPAY})
    assert resp.status == 201, await resp.text()
    return str((await resp.json())["auth_no"])


async def fund_auth(mall: Mall, auth_no: str) -> dict[str, Any]:
    """The freeze as the sandbox (Alipay) has it."""
    assert mall.sandbox is not None
    return dict(await (await mall.sandbox.get(f"/sandbox/fund-auths/{auth_no}")).json())


async def test_the_rent_is_paid_only_once_the_deposit_is_frozen(mall: Mall) -> None:
    gw, alice = mall.gateway, mall.user("u_alice", score=700)
    await counter(mall, store_checkout=False, sesame_deposit=True, product=RENTAL)
    order = await (await gw.post("/api/orders", json={"items": [{"sku_id": "sku_a7_rent", "qty": 1}]},
                                 headers={**alice, "Idempotency-Key": uuid.uuid4().hex})).json()
    # Nothing asked for yet, nor once asked and not confirmed: no rent is taken, whatever the method.
    for method in ("alipay", "balance", "pay_later"):
        refused = await pay(mall, order["id"], alice, method)
        assert (refused.status, (await refused.json())["code"]) == (409, "deposit_not_frozen"), method
    assert (await gw.post(f"/api/orders/{order['id']}/deposit-auth", headers=mall.user("u_bob"))).status == 404
    resp = await gw.post(f"/api/orders/{order['id']}/deposit-auth", headers=alice)
    assert resp.status == 200, await resp.text()
    asked = await resp.json()
    assert (asked["status"], asked["deposit_auth"]["amount_fen"]) == ("authorising", 800_000)
    refused = await pay(mall, order["id"], alice)
    assert (refused.status, (await refused.json())["code"]) == (409, "deposit_not_frozen")
    listed = (await (await gw.get("/api/me/deposits", headers=alice)).json())["items"]
    assert [(d["status"], d["mode"]) for d in listed] == [("authorising", "fund_auth")]

    # Confirmed in Alipay: the buyer pays at once (before Alipay's notify, payments asks Alipay), the rent only.
    await confirm(mall, asked["deposit_auth"]["order_str"])
    resp = await pay(mall, order["id"], alice)
    assert resp.status == 200, await resp.text()
    payment = await resp.json()
    assert (payment["amount_fen"], payment["deposit_fen"]) == (20_000, 0)
    assert mall.sandbox is not None
    trade = await (await mall.sandbox.get(f"/sandbox/trades/{payment['trade_no']}")).json()
    assert trade["total_fen"] == 20_000
    assert (await mall.sandbox.post(f"/sandbox/trades/{payment['trade_no']}/pay")).status == 200
    await merchant_order(mall, order["id"], "PAID")
    check = await (await gw.post(f"/api/orders/{order['id']}/deposit-check", headers=alice)).json()
    assert (check["status"], check["credit_fen"]) == ("frozen", 800_000)


async def test_asked_again_the_buyer_gets_the_same_request_then_a_new_one_and_a_late_freeze_of_the_old_is_cancelled(
        mall: Mall, clock: ManualClock) -> None:
    gw, alice = mall.gateway, mall.user("u_alice", score=700)
    await counter(mall, store_checkout=False, sesame_deposit=True, product=RENTAL)
    order, asked = await rent(mall, alice)
    first = asked["deposit_auth"]
    again = f"/api/orders/{order['id']}/deposit-auth"
    assert (await gw.post(again, headers=mall.user("u_bob"))).status == 404  # another buyer's rental

    # Back at once (the sheet closed, the app killed): the same request, still good at Alipay.
    resp = await gw.post(again, headers=alice)
    assert resp.status == 200, await resp.text()
    same = await resp.json()
    assert same["status"] == "authorising" and same["authorise_by"]
    assert (same["deposit_auth"]["out_order_no"], same["deposit_auth"]["out_request_no"]) == (
        first["out_order_no"], first["out_request_no"])

    # Its order string expired (15 minutes) with nothing frozen: a new request supersedes it.
    clock.advance(minutes=16)
    renewed = (await (await gw.post(again, headers=alice)).json())["deposit_auth"]
    assert renewed["out_request_no"] != first["out_request_no"]
    assert renewed["out_order_no"] != first["out_order_no"]
    assert renewed["amount_fen"] == 800_000

    # The first request had been confirmed after all; Alipay's notify comes late: it is cancelled, not counted.
    late = await confirm(mall, first["order_str"])

    async def cancelled() -> dict[str, Any] | None:
        found = await fund_auth(mall, late)
        return found if found["cancelled"] else None

    undone = await eventually(cancelled, timeout=15)
    assert (undone["status"], undone["rest_fen"], undone["unfrozen"]) == ("CLOSED", 0, {"cancel": 800_000})
    check = await (await gw.post(f"/api/orders/{order['id']}/deposit-check", headers=alice)).json()
    assert (check["status"], check["auth_no"]) == ("authorising", None)

    # The new request confirmed: that is the rental's one freeze.
    auth_no = await confirm(mall, renewed["order_str"])

    async def frozen() -> list[dict[str, Any]] | None:
        listed = (await (await gw.get("/api/me/deposits", headers=alice)).json())["items"]
        return listed if [d["status"] for d in listed] == ["frozen"] else None

    await eventually(frozen, timeout=15)
    check = await (await gw.post(f"/api/orders/{order['id']}/deposit-check", headers=alice)).json()
    assert (check["status"], check["auth_no"], check["credit_fen"]) == ("frozen", auth_no, 800_000)
    assert not (await fund_auth(mall, auth_no))["cancelled"]
    answer = await (await gw.post(again, headers=alice)).json()  # nothing left to ask for
    assert (answer["status"], answer.get("deposit_auth")) == ("frozen", None)


async def test_a_rental_whose_freeze_is_never_confirmed_is_closed_at_its_deadline_and_its_stock_released(
        mall: Mall, clock: ManualClock) -> None:
    gw, alice, sandbox = mall.gateway, mall.user("u_alice", score=700), mall.sandbox
    assert sandbox is not None
    await counter(mall, store_checkout=False, sesame_deposit=True, product=RENTAL)
    order, asked = await rent(mall, alice)

    async def stock() -> tuple[int, int]:
        listed = await (await gw.get("/api/merchant/products", headers=mall.staff())).json()
        product_id = next(p["id"] for p in listed["items"] if p["name"] == RENTAL["name"])
        (sku,) = (await (await gw.get(f"/api/merchant/products/{product_id}", headers=mall.staff())).json())["skus"]
        return sku["available"], sku["reserved"]

    assert await eventually(lambda: _when(stock, (2, 1)), timeout=15)

    # Past authorise_by (and the order's own pay_by: both windows are 30 minutes, whichever the deadline job
    # meets first closes it): the rental is cancelled, and no rent was ever taken.
    clock.advance(minutes=31)
    closed_order = await merchant_order(mall, order["id"], "CANCELLED")
    assert closed_order["id"] == order["id"]
    shown = await (await gw.get(f"/api/orders/{order['id']}", headers=alice)).json()
    assert shown["reason"] in ("deposit_not_authorised", "payment_timeout"), shown
    assert (await (await gw.get(f"/api/orders/{order['id']}/refunds", headers=alice)).json())["items"] == []
    assert await eventually(lambda: _when(stock, (3, 0)), timeout=15)

    async def closed() -> bool:
        listed = (await (await gw.get("/api/me/deposits", headers=alice)).json())["items"]
        return [d["status"] for d in listed] == ["closed"]

    await eventually(closed, timeout=15)
    refused = await gw.post(f"/api/orders/{order['id']}/deposit-auth", headers=alice)
    assert (refused.status, (await refused.json())["code"]) == (409, "deposit_closed")

    # A confirmation that reaches the mall after the rental closed is cancelled at Alipay.
    late = await confirm(mall, asked["deposit_auth"]["order_str"])

    async def cancelled() -> bool:
        return bool((await fund_auth(mall, late))["cancelled"])

    await eventually(cancelled, timeout=15)
    check = await (await gw.post(f"/api/orders/{order['id']}/deposit-check", headers=alice)).json()
    assert (check["status"], check["auth_no"]) == ("closed", None)


async def _when(read: Any, wanted: tuple[int, int]) -> bool:
    return bool(await read() == wanted)


async def test_a_rental_cancelled_before_its_rent_is_paid_gives_its_confirmed_freeze_back(
        mall: Mall, clock: ManualClock) -> None:
    gw, alice = mall.gateway, mall.user("u_alice", score=700)
    await counter(mall, store_checkout=False, sesame_deposit=True, product=RENTAL)
    order, asked = await rent(mall, alice)
    auth_no = await confirm(mall, asked["deposit_auth"]["order_str"])
    check = await (await gw.post(f"/api/orders/{order['id']}/deposit-check", headers=alice)).json()
    assert check["status"] == "frozen"
    resp = await gw.post(f"/api/orders/{order['id']}/cancel", headers={**alice, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 200, await resp.text()

    async def unfrozen() -> dict[str, Any] | None:
        found = await fund_auth(mall, auth_no)
        return found if found["rest_fen"] == 0 else None

    released = await eventually(unfrozen, timeout=15)
    assert (released["paid_fen"], sum(released["unfrozen"].values())) == (0, 800_000)

    async def shown_released() -> bool:  # payments commits once Alipay has answered
        listed = (await (await gw.get("/api/me/deposits", headers=alice)).json())["items"]
        return [d["status"] for d in listed] == ["released"]

    await eventually(shown_released, timeout=15)
