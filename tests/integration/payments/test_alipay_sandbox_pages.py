"""The sandbox's pages for a browser (the mini-program's H5 build): authorisation gives a working auth code
back to the mall's page and signs the buyer in to Alipay in this browser; the cashier shows the trade and pays it
as that buyer (notify included), then returns; the signing page signs the agreement as that buyer; the freeze
sheet shows a request Alipay no longer takes as closed, with nothing to confirm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from aiohttp import web

from tests.integration.payments.test_alipay_sandbox import freeze_order_str
from tests.support import eventually

BACK = "http://127.0.0.1:8080/m/#/pages/home/index"


async def sign_in(sandbox, alipay, nickname: str = "沙箱买家") -> str:
    """The buyer agrees on the authorisation page (this browser is now signed in to Alipay as them) and the
    mall signs in with the auth code it came back with: the buyer's Alipay user id, as the mall knows it."""
    agreed = await sandbox.client.post("/sandbox/authorize", data={"redirect_uri": BACK, "nickname": nickname},
                                       allow_redirects=False)
    assert agreed.status == 303 and "sandbox_session" in agreed.cookies
    code = parse_qs(urlsplit(agreed.headers["Location"]).query)["auth_code"][0]
    return (await alipay.oauth_token(code)).user_id


async def test_authorisation_returns_a_code_the_mall_can_log_in_with(sandbox, alipay):
    page = await sandbox.client.get("/sandbox/authorize", params={"redirect_uri": BACK})
    assert page.status == 200 and "同意授权" in await page.text()
    agreed = await sandbox.client.post("/sandbox/authorize", data={"redirect_uri": BACK, "nickname": "小红"},
                                       allow_redirects=False)
    assert agreed.status == 303
    back = agreed.headers["Location"]
    # The code goes before the fragment, where the H5 build's router keeps its page.
    assert back.startswith("http://127.0.0.1:8080/m/?auth_code=") and back.endswith("#/pages/home/index")
    code = parse_qs(urlsplit(back).query)["auth_code"][0]
    token = await alipay.oauth_token(code)
    assert (await alipay.user_info(token.access_token)).nick_name == "小红"


async def test_only_absolute_http_pages_are_returned_to(sandbox):
    for bad in ("javascript:alert(1)", "/m/", "", "ftp://example.com/"):
        resp = await sandbox.client.post("/sandbox/authorize", data={"redirect_uri": bad}, allow_redirects=False)
        assert resp.status == 400 and (await resp.json())["code"] == "invalid_return_url", bad


async def test_the_cashier_shows_the_trade_pays_it_and_goes_back(sandbox, alipay, start_app):
    received: list[dict[str, str]] = []

    async def notify(request: web.Request) -> web.Response:
        received.append(dict(await request.post()))
        return web.Response(text="success")

    receiver = web.Application()
    receiver.router.add_post("/notify", notify)
    merchant = await start_app(receiver)
    buyer = await sign_in(sandbox, alipay)
    trade_no = await alipay.trade_create(out_trade_no="t_page", amount_fen=458_800, subject="华为手机",
                                         notify_url=str(merchant.make_url("/notify")), buyer_id=buyer,
                                         hb_fq_num=3, hb_fq_seller_percent=100)
    back = "http://127.0.0.1:8080/m/#/pages/paid/index?order_id=o1"
    shown = await sandbox.client.get("/sandbox/cashier", params={"trade_no": trade_no, "return_url": back})
    page = await shown.text()
    assert "¥4588.00" in page and "花呗分期：3 期" in page and "确认付款" in page
    paid = await sandbox.client.post("/sandbox/cashier", data={"trade_no": trade_no, "return_url": back},
                                     allow_redirects=False)
    assert paid.status == 303 and paid.headers["Location"] == back
    assert (await sandbox.trade(trade_no))["status"] == "TRADE_SUCCESS"
    async def notified() -> bool:
        return bool(received)

    await eventually(notified, timeout=5)
    assert received[0]["trade_no"] == trade_no and received[0]["trade_status"] == "TRADE_SUCCESS"
    again = await sandbox.client.post("/sandbox/cashier", data={"trade_no": trade_no, "return_url": back},
                                      allow_redirects=False)
    assert again.status == 409  # a trade is paid once
    unknown = await sandbox.client.get("/sandbox/cashier", params={"trade_no": "nope", "return_url": back})
    assert unknown.status == 404


async def test_the_cashier_pays_only_as_the_signed_in_buyer_the_trade_was_opened_for(sandbox, alipay):
    back = "http://127.0.0.1:8080/m/#/pages/paid/index?order_id=o2"
    buyer = await sign_in(sandbox, alipay)
    trade_no = await alipay.trade_create(out_trade_no="t_theirs", amount_fen=10_000, subject="耳机",
                                         notify_url=None, buyer_id=buyer)
    form = {"trade_no": trade_no, "return_url": back}
    sandbox.client.session.cookie_jar.clear()  # nobody signed in to Alipay in this browser
    anonymous = await (await sandbox.client.get("/sandbox/cashier", params=form)).text()
    assert "请先登录支付宝" in anonymous and "确认付款" not in anonymous
    refused = await sandbox.client.post("/sandbox/cashier", data=form, allow_redirects=False)
    assert (refused.status, (await refused.json())["code"]) == (401, "not_signed_in")

    await sign_in(sandbox, alipay, "别人")  # someone else's Alipay account
    shown = await (await sandbox.client.get("/sandbox/cashier", params=form)).text()
    assert "不属于当前登录的支付宝账号" in shown and "确认付款" not in shown
    refused = await sandbox.client.post("/sandbox/cashier", data=form, allow_redirects=False)
    assert (refused.status, (await refused.json())["code"]) == (409, "ACQ.PAYER_UNMATCHED")
    assert (await sandbox.trade(trade_no))["status"] == "WAIT_BUYER_PAY"


async def test_the_signing_page_signs_the_withholding_agreement_the_app_asked_for_as_the_signed_in_buyer(
        sandbox, alipay):
    sign_str = alipay.agreement_sign_str(external_agreement_no="ag_page_1")
    back = "http://127.0.0.1:8080/m/#/pages/bills/index"
    form = {"sign_str": sign_str, "return_url": back}
    # Nobody signed in to Alipay in this browser: the page asks for a sign-in and signs nothing.
    anonymous = await (await sandbox.client.get("/sandbox/agreement-sign", params=form)).text()
    assert "请先登录支付宝" in anonymous and "同意并开通" not in anonymous
    refused = await sandbox.client.post("/sandbox/agreement-sign", data=form, allow_redirects=False)
    assert (refused.status, (await refused.json())["code"]) == (401, "not_signed_in")

    buyer = await sign_in(sandbox, alipay)
    shown = await sandbox.client.get("/sandbox/agreement-sign", params=form)
    assert shown.status == 200 and "同意并开通" in await shown.text()
    signed = await sandbox.client.post("/sandbox/agreement-sign", data=form, allow_redirects=False)
    assert signed.status == 303 and signed.headers["Location"] == back
    agreement_no, status, principal = await alipay.agreement_query("ag_page_1")  # what the mall asks when back
    assert agreement_no and status == "NORMAL"
    assert principal == buyer  # the buyer who signed, the one the mall signed in with that auth code
    forged = await sandbox.client.post("/sandbox/agreement-sign", allow_redirects=False, data={
        "sign_str": sign_str.replace("ag_page_1", "ag_page_2"), "return_url": back})
    assert (forged.status, (await forged.json())["code"]) == (409, "invalid_signature")


async def test_the_freeze_sheet_shows_a_request_alipay_no_longer_takes_as_closed_with_nothing_to_confirm(
        sandbox, alipay):
    back = "http://127.0.0.1:8080/m/#/pages/deposits/index?order_id=o1"
    await sign_in(sandbox, alipay)
    good = freeze_order_str(alipay, "p1")
    shown = await (await sandbox.client.get("/sandbox/fund-auth",
                                            params={"order_str": good, "return_url": back})).text()
    assert "确认免押" in shown and "¥100.00" in shown

    # Signed 16 minutes ago with 15 minutes to confirm: shown as expired, no button (confirming is refused).
    expired = freeze_order_str(alipay, "p2", signed_at=datetime.now(UTC) - timedelta(minutes=16))
    page = {"order_str": expired, "return_url": back}
    shown = await (await sandbox.client.get("/sandbox/fund-auth", params=page)).text()
    assert "授权订单已超时关闭" in shown and "确认免押" not in shown and 'data-testid="sandbox-freeze"' not in shown
    assert "¥100.00" in shown  # still says what it was for
    refused = await sandbox.client.post("/sandbox/fund-auth", data=page, allow_redirects=False)
    assert (refused.status, (await refused.json())["code"]) == (409, "ACQ.AUTH_ORDER_HAS_CLOSED")

    # Cancelled by the merchant before the buyer confirmed it: closed too.
    cancelled = freeze_order_str(alipay, "p3")
    assert await alipay.fund_auth_cancel(out_order_no="da_p3", out_request_no="dr_p3", remark="superseded") == "close"
    shown = await (await sandbox.client.get("/sandbox/fund-auth", params={"order_str": cancelled,
                                                                          "return_url": back})).text()
    assert "授权订单已关闭" in shown and "确认免押" not in shown
