"""Our Alipay client against the sandbox, both speaking gateway.do with RSA2 signatures both ways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from aiohttp import web

from shared.alipay import AlipayClient, AlipayError, AlipayResponseError, generate_key_pair, verify_notify
from tests.integration.payments.conftest import APP_ID
from tests.support import eventually


async def test_login_nickname_and_sesame_score(sandbox, alipay):
    issued = await sandbox.auth_code(nickname="小明", credit_score=688)
    token = await alipay.oauth_token(issued["auth_code"])
    assert token.user_id == issued["user_id"] and token.user_id.startswith("2088") and len(token.user_id) == 16
    assert token.open_id
    assert (await alipay.user_info(token.access_token)).nick_name == "小明"
    assert await alipay.credit_score(token.access_token, "tx1") == 688
    with pytest.raises(AlipayError) as used:
        await alipay.oauth_token(issued["auth_code"])  # single use
    assert used.value.sub_code == "isv.code-invalid"
    refreshed = await alipay.oauth_token(refresh_token=token.refresh_token)
    assert refreshed.user_id == token.user_id


async def test_request_signed_with_another_key_is_refused(sandbox, keys, http):
    stranger = AlipayClient(sandbox.gateway_url, APP_ID, generate_key_pair().private_pem, keys.alipay.public_pem, http)
    with pytest.raises(AlipayError) as refused:
        await stranger.trade_query("nope")
    assert refused.value.sub_code == "isv.invalid-signature"


async def test_response_from_an_impostor_is_not_trusted(sandbox, keys, http):
    wrong_alipay_key = AlipayClient(sandbox.gateway_url, APP_ID, keys.app.private_pem,
                                    generate_key_pair().public_pem, http)
    issued = await sandbox.auth_code()
    with pytest.raises(AlipayResponseError):
        await wrong_alipay_key.oauth_token(issued["auth_code"])


async def test_trade_paid_notified_until_success_then_refunded(sandbox, alipay, keys, start_app):
    answers = ["fail", "<html>ok</html>", "success"]
    received: list[dict[str, str]] = []

    async def notify(request: web.Request) -> web.Response:
        received.append(dict(await request.post()))
        return web.Response(text=answers[min(len(received), len(answers)) - 1])

    receiver = web.Application()
    receiver.router.add_post("/notify", notify)
    merchant = await start_app(receiver)
    trade_no = await alipay.trade_create(out_trade_no="t_1", amount_fen=12345, subject="花呗 test",
                                         notify_url=str(merchant.make_url("/notify")), buyer_id="2088102116773037",
                                         hb_fq_num=6, hb_fq_seller_percent=100)
    assert (await alipay.trade_query("t_1")).trade_status == "WAIT_BUYER_PAY"
    paid = await sandbox.pay(trade_no)
    assert paid["channel"] == "PCREDIT"
    await eventually(lambda: _delivered(sandbox, trade_no), timeout=5)
    assert len(received) == 3
    assert len({n["notify_id"] for n in received}) == 1  # stable across retries
    assert all(verify_notify(n, keys.alipay.public_pem) for n in received)
    assert received[0]["total_amount"] == "123.45" and received[0]["trade_status"] == "TRADE_SUCCESS"

    query = await alipay.trade_query("t_1")
    assert (query.trade_status, query.amount_fen, query.fund_channels) == ("TRADE_SUCCESS", 12345, ["PCREDIT"])
    first = await alipay.trade_refund(out_trade_no="t_1", refund_fen=10000, out_request_no="r1")
    again = await alipay.trade_refund(out_trade_no="t_1", refund_fen=10000, out_request_no="r1")
    assert (first.fund_change, first.refund_fee_fen) == (True, 10000)
    assert (again.fund_change, again.refund_fee_fen) == (False, 10000)
    with pytest.raises(AlipayError) as too_much:
        await alipay.trade_refund(out_trade_no="t_1", refund_fen=2346, out_request_no="r2")
    assert too_much.value.sub_code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    await alipay.trade_refund(out_trade_no="t_1", refund_fen=2345, out_request_no="r2")
    status = await alipay.refund_query(out_trade_no="t_1", out_request_no="r2")
    assert (status.refund_status, status.refund_fen) == ("REFUND_SUCCESS", 2345)
    assert (await alipay.refund_query(out_trade_no="t_1", out_request_no="r9")).refund_status == ""
    assert (await alipay.trade_query("t_1")).trade_status == "TRADE_CLOSED"


async def test_close_only_unpaid_trades(sandbox, alipay):
    await alipay.trade_create(out_trade_no="c_1", amount_fen=100, subject="x", notify_url=None,
                              buyer_id="2088102116773037")
    await alipay.trade_close("c_1")
    assert (await alipay.trade_query("c_1")).trade_status == "TRADE_CLOSED"
    paid = await alipay.trade_create(out_trade_no="c_2", amount_fen=100, subject="x", notify_url=None,
                                     buyer_id="2088102116773037")
    await sandbox.pay(paid)
    with pytest.raises(AlipayError) as refused:
        await alipay.trade_close("c_2")
    assert refused.value.sub_code == "ACQ.TRADE_HAS_SUCCESS"
    with pytest.raises(AlipayError) as missing:
        await alipay.trade_close("c_404")
    assert missing.value.sub_code == "ACQ.TRADE_NOT_EXIST"


async def test_bad_sandbox_input_is_a_problem_not_a_crash(sandbox):
    resp = await sandbox.client.post("/sandbox/auth-codes", json={"credit_score": 1000})
    assert resp.status == 422
    resp = await sandbox.client.post("/sandbox/trades/nope/pay", json={})
    assert resp.status == 404
    raw = await sandbox.client.post("/gateway.do", data=b"garbage", headers={"Content-Type": "text/plain"})
    assert raw.status == 200 and "isv.invalid-app-id" in await raw.text()


async def _delivered(sandbox, trade_no) -> bool:
    items = await sandbox.notifies(trade_no)
    return bool(items) and items[0]["delivered"]



def freeze_order_str(alipay: AlipayClient, request_no: str, *, signed_at: datetime | None = None,
                     timeout_express: str = "15m") -> str:
    """A freeze order string as payments signs it, `signed_at` (now by default)."""
    biz = {"out_order_no": f"da_{request_no}", "out_request_no": f"dr_{request_no}", "order_title": "押金 相机",
           "amount": "100.00", "product_code": "PRE_AUTH_ONLINE", "deposit_product_mode": "DEPOSIT_ONLY",
           "timeout_express": timeout_express}
    query, body = alipay.build_request("alipay.fund.auth.order.app.freeze", biz, now=signed_at)
    return urlencode({**query, **body})


async def test_a_freeze_request_is_confirmed_only_until_it_expires_or_is_cancelled(sandbox, alipay):
    async def confirm(order_str: str) -> tuple[int, dict[str, object]]:
        resp = await sandbox.client.post("/sandbox/fund-auths/confirm",
                                         json={"order_str": order_str, "user_id": "2088000000000042"})
        return resp.status, await resp.json()

    # Signed 16 minutes ago with 15 minutes to confirm: Alipay has closed it.
    expired = freeze_order_str(alipay, "r1", signed_at=datetime.now(UTC) - timedelta(minutes=16))
    status, answer = await confirm(expired)
    assert (status, answer["code"]) == (409, "ACQ.AUTH_ORDER_HAS_CLOSED")

    # Cancelled before the buyer confirmed it: closed, and the buyer can no longer confirm it.
    unconfirmed = freeze_order_str(alipay, "r2")
    assert await alipay.fund_auth_cancel(out_order_no="da_r2", out_request_no="dr_r2", remark="superseded") == "close"
    status, answer = await confirm(unconfirmed)
    assert (status, answer["code"]) == (409, "ACQ.AUTH_ORDER_HAS_CLOSED")

    # Cancelled after: all of it goes back, once however often it is asked.
    status, frozen = await confirm(freeze_order_str(alipay, "r3"))
    assert status == 201
    for _ in range(2):
        assert await alipay.fund_auth_cancel(out_order_no="da_r3", out_request_no="dr_r3", remark="late") == "unfreeze"
    shown = await (await sandbox.client.get(f"/sandbox/fund-auths/{frozen['auth_no']}")).json()
    assert (shown["status"], shown["cancelled"], shown["rest_fen"], shown["unfrozen"]) == (
        "CLOSED", True, 0, {"cancel": 10_000})
