"""The sandbox's pages for a browser (the mini-program's H5 build): authorisation gives a working auth code
back to the mall's page; the cashier shows the trade and pays it (notify included), then returns."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from aiohttp import web

from tests.support import eventually

BACK = "http://127.0.0.1:8080/m/#/pages/home/index"


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
    trade_no = await alipay.trade_create(out_trade_no="t_page", amount_fen=458_800, subject="华为手机",
                                         notify_url=str(merchant.make_url("/notify")), buyer_id="2088102116773037",
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


async def test_the_signing_page_signs_the_withholding_agreement_the_app_asked_for(sandbox, alipay):
    sign_str = alipay.agreement_sign_str(external_agreement_no="ag_page_1")
    back = "http://127.0.0.1:8080/m/#/pages/bills/index"
    shown = await sandbox.client.get("/sandbox/agreement-sign", params={"sign_str": sign_str, "return_url": back})
    assert shown.status == 200 and "同意并开通" in await shown.text()
    signed = await sandbox.client.post("/sandbox/agreement-sign", data={"sign_str": sign_str, "return_url": back},
                                       allow_redirects=False)
    assert signed.status == 303 and signed.headers["Location"] == back
    agreement_no, status, _ = await alipay.agreement_query("ag_page_1")  # what the mall asks when back
    assert agreement_no and status == "NORMAL"
    forged = await sandbox.client.post("/sandbox/agreement-sign", allow_redirects=False, data={
        "sign_str": sign_str.replace("ag_page_1", "ag_page_2"), "return_url": back})
    assert (forged.status, (await forged.json())["code"]) == (409, "invalid_signature")
