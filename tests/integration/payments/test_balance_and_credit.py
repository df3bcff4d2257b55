"""Stored value (top-ups, concurrent debits, the ledger), pay-later and Sesame deposit waivers."""

from __future__ import annotations

import asyncio

from tests.support import eventually


async def topped_up(mall, user_id: str, amount_fen: int) -> dict:
    top = await mall.top_up(user_id, amount_fen)
    await mall.sandbox.pay(top["trade_no"])

    async def credited() -> bool:
        return await mall.db.fetchval("SELECT status FROM top_ups WHERE id = $1", top["top_up_id"]) == "credited"
    await eventually(credited, timeout=10)
    return top


async def test_top_up_paid_through_alipay_with_bonus(mall):
    top = await topped_up(mall, "u1", 10_000)
    assert top["bonus_fen"] == 1_000
    balance = await (await mall.client.get("/me/balance", headers={"X-User-Id": "u1"})).json()
    assert balance["balance_fen"] == 11_000
    assert sorted((e["kind"], e["amount_fen"]) for e in balance["entries"]) == [("top_up", 10_000),
                                                                               ("top_up_bonus", 1_000)]
    assert (await mall.client.post("/me/balance/top-ups", json={"amount_fen": 0},
                                   headers={"X-User-Id": "u1", "Idempotency-Key": "z"})).status == 422


async def test_100_concurrent_debits_never_overdraw_and_the_ledger_balances(mall):
    await topped_up(mall, "u1", 10_000)  # + 1_000 bonus = 11_000 = 36 orders of 300 and 200 left
    orders = await asyncio.gather(*(mall.confirm_order("u1", 300) for _ in range(100)))
    answers = await asyncio.gather(*(mall.pay(o, "u1", method="balance") for o in orders))
    statuses = [a.status for a in answers]
    codes = [(await a.json()).get("code") for a in answers if a.status != 200]
    assert statuses.count(200) == 36 and set(codes) == {"insufficient_balance"}
    assert await mall.db.fetchval("SELECT balance_fen FROM balance_accounts WHERE user_id = 'u1'") == 200
    # double entry: everything sums to zero, and the user's rows explain the balance
    assert await mall.db.fetchval("SELECT sum(amount_fen) FROM ledger_entries") == 0
    assert await mall.db.fetchval(
        "SELECT count(*) FROM (SELECT movement_id FROM ledger_entries GROUP BY movement_id "
        "HAVING count(*) <> 2 OR sum(amount_fen) <> 0) bad") == 0
    assert await mall.db.fetchval("SELECT sum(amount_fen) FROM ledger_entries WHERE account = 'user:u1'") == 200
    assert len(await mall.events("payment.confirmed")) == 36


async def test_balance_refund_goes_back_to_the_balance(mall):
    await topped_up(mall, "u1", 5_000)
    order_id = await mall.confirm_order("u1", 3_000)
    paid = await (await mall.pay(order_id, "u1", method="balance")).json()
    assert paid["status"] == "succeeded"
    await mall.approve_refund(order_id, "u1", "r-b1", 1_000)
    await eventually(lambda: mall.events("payment.refunded"))
    assert await mall.db.fetchval("SELECT balance_fen FROM balance_accounts WHERE user_id = 'u1'") == 3_000
    assert await mall.db.fetchval("SELECT sum(amount_fen) FROM ledger_entries") == 0


async def test_pay_later_needs_the_score_and_makes_a_bill(mall):
    order_id = await mall.confirm_order("u1", 8_800)
    low = await mall.pay(order_id, "u1", score=600, method="pay_later")
    assert (low.status, (await low.json())["code"]) == (409, "credit_too_low")
    unknown = await mall.pay(order_id, "u1", score=None, method="pay_later")
    assert (await unknown.json())["code"] == "credit_too_low"
    ok = await (await mall.pay(order_id, "u1", score=650, method="pay_later")).json()
    assert ok["status"] == "succeeded"
    bills = await (await mall.client.get("/me/bills", headers={"X-User-Id": "u1"})).json()
    assert [(b["order_id"], b["due_fen"], b["status"]) for b in bills["items"]] == [(order_id, 8_800, "open")]
    again = await mall.pay(order_id, "u1", method="balance")
    assert (again.status, (await again.json())["code"]) == (409, "order_already_paid")
    await mall.approve_refund(order_id, "u1", "r-pl", 8_800)
    await eventually(lambda: mall.events("payment.refunded"))
    bills = await (await mall.client.get("/me/bills", headers={"X-User-Id": "u1"})).json()
    assert (bills["items"][0]["due_fen"], bills["items"][0]["status"]) == (0, "cancelled")


async def test_deposit_waived_by_score_or_held_and_released(mall):
    waived_order = await mall.confirm_order("u1", 2_000, deposit_fen=50_000)
    waived = await (await mall.pay(waived_order, "u1", score=700, method="alipay")).json()
    assert (await mall.sandbox.trade(waived["trade_no"]))["total_fen"] == 2_000

    held_order = await mall.confirm_order("u2", 2_000, deposit_fen=50_000)
    held = await (await mall.pay(held_order, "u2", score=600, method="alipay")).json()
    assert held["deposit_fen"] == 50_000
    assert (await mall.sandbox.trade(held["trade_no"]))["total_fen"] == 52_000
    await mall.sandbox.pay(held["trade_no"])
    await mall.wait_status(held["payment_id"], "succeeded")
    [confirmed] = await mall.events("payment.confirmed")
    assert (confirmed["amount_fen"], confirmed["deposit_fen"]) == (2_000, 50_000)
    deposits = await (await mall.client.get("/me/deposits", headers={"X-User-Id": "u2"})).json()
    assert [(d["status"], d["amount_fen"]) for d in deposits["items"]] == [("held", 50_000)]

    release = f"/merchant/orders/{held_order}/deposit/release"
    other = await mall.client.post(release, headers={"X-Merchant-Id": "m9"})
    assert other.status == 404
    released = await mall.client.post(release, headers={"X-Merchant-Id": "m1"})
    assert (await released.json())["status"] == "released"
    assert (await mall.sandbox.trade(held["trade_no"]))["refunds"] == {f"dep_{held_order}".replace("-", ""): 50_000}
    again = await mall.client.post(release, headers={"X-Merchant-Id": "m1"})
    assert (await again.json())["status"] == "released"  # idempotent: nothing more moves
    assert sum((await mall.sandbox.trade(held["trade_no"]))["refunds"].values()) == 50_000

    rented_later = await mall.confirm_order("u3", 2_000, deposit_fen=50_000)
    later = await (await mall.pay(rented_later, "u3", score=660, method="pay_later")).json()
    assert (later["status"], later["deposit_fen"]) == ("succeeded", 0)
    deposits = await (await mall.client.get("/me/deposits", headers={"X-User-Id": "u3"})).json()
    assert [d["status"] for d in deposits["items"]] == ["waived"]
