"""What a buyer sees of Alipay in a browser, for the mini-program's H5 build in local runs and tests: the
authorisation page (what `my.getAuthCode` shows inside Alipay), the cashier (what `my.tradePay` shows) and the
withholding agreement's signing page (what `my.paySignCenter` shows).
Plain HTML forms, no script: each form posts here and is answered with a redirect back to the mall's page,
as Alipay's web authorisation and wap cashier do with their `redirect_uri` and `return_url`."""

from __future__ import annotations

import secrets
from html import escape
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from services.alipay_sandbox.api import SANDBOX, pay_and_notify, sign_agreement
from shared.http import NotFound, Problem
from shared.money import fen_to_yuan

routes = web.RouteTableDef()

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body style="font-family: sans-serif; margin: 0; background: #f5f5f5">
<header style="background: #1677ff; color: #fff; padding: 14px 16px; font-size: 18px">支付宝（沙箱）</header>
<main style="padding: 16px">{body}</main></body></html>"""
BUTTON = ('style="display: block; width: 100%; padding: 12px; margin-top: 16px; background: #1677ff; color: #fff; '
          'border: 0; border-radius: 6px; font-size: 17px"')


def _back_to(url: str) -> str:
    """The mall's page to return to: an absolute http(s) URL (nothing else is followed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2048:
        raise Problem("The page to return to must be an absolute http(s) URL", code="invalid_return_url")
    return url


def _with_query(url: str, **params: str) -> str:
    """`url` with params added before its fragment (the H5 build routes in the fragment)."""
    base, hash_mark, fragment = url.partition("#")
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}{urlencode(params)}{hash_mark}{fragment}"


def _html(title: str, body: str) -> web.Response:
    return web.Response(text=PAGE.format(title=escape(title), body=body), content_type="text/html",
                        charset="utf-8", headers={"Cache-Control": "no-store"})


@routes.get("/sandbox/authorize")
async def authorize_page(request: web.Request) -> web.Response:
    back = _back_to(request.query.get("redirect_uri", ""))
    body = f"""<h2>授权登录</h2><p>商城小程序申请获取你的支付宝账号信息（昵称、芝麻分）。</p>
<form method="post" action="/sandbox/authorize">
<input type="hidden" name="redirect_uri" value="{escape(back)}">
<label>昵称 <input name="nickname" value="沙箱买家" maxlength="64" data-testid="sandbox-nickname"></label>
<button type="submit" {BUTTON} data-testid="sandbox-authorize">同意授权</button></form>"""
    return _html("支付宝授权", body)


@routes.post("/sandbox/authorize")
async def authorize(request: web.Request) -> web.Response:
    """The buyer agrees: a fresh auth code goes back to the mall's page as `auth_code`."""
    form = await request.post()
    back = _back_to(str(form.get("redirect_uri", "")))
    nickname = str(form.get("nickname") or "").strip()[:64] or None
    code, _ = request.app[SANDBOX].issue_auth_code(None, nickname, None)
    raise web.HTTPSeeOther(_with_query(back, auth_code=code))


@routes.get("/sandbox/cashier")
async def cashier_page(request: web.Request) -> web.Response:
    back = _back_to(request.query.get("return_url", ""))
    trade = request.app[SANDBOX].trades.get(request.query.get("trade_no", ""))
    if trade is None:
        raise NotFound("No such trade", code="trade_not_found")
    plan = f"<p data-testid=\"sandbox-huabei\">花呗分期：{trade.hb_fq_num} 期</p>" if trade.hb_fq_num else ""
    paid = trade.status != "WAIT_BUYER_PAY"
    button = ("<p>这笔交易已支付。</p>" if paid else
              f'<button type="submit" {BUTTON} data-testid="sandbox-pay">确认付款</button>')
    body = f"""<h2>{escape(trade.subject)}</h2>
<p style="font-size: 28px" data-testid="sandbox-amount">¥{fen_to_yuan(trade.total_fen)}</p>{plan}
<form method="post" action="/sandbox/cashier">
<input type="hidden" name="trade_no" value="{escape(trade.trade_no)}">
<input type="hidden" name="return_url" value="{escape(back)}">{button}</form>
<p><a href="{escape(back)}">返回商家</a></p>"""
    return _html("支付宝收银台", body)


@routes.post("/sandbox/cashier")
async def cashier_pay(request: web.Request) -> web.Response:
    """The buyer confirms: the trade is paid (the signed notify goes out), then back to the mall's page."""
    form = await request.post()
    back = _back_to(str(form.get("return_url", "")))
    pay_and_notify(request.app, str(form.get("trade_no", "")), None, notify=True)
    raise web.HTTPSeeOther(back)


@routes.get("/sandbox/agreement-sign")
async def agreement_page(request: web.Request) -> web.Response:
    back = _back_to(request.query.get("return_url", ""))
    sign_str = request.query.get("sign_str", "")
    if not sign_str or len(sign_str) > 8192:
        raise Problem("sign_str is the app's signed alipay.user.agreement.page.sign order string",
                      code="invalid_sign_str")
    body = f"""<h2>开通商户代扣</h2><p>授权商家在账单到期时从你的支付宝扣款（先享后付还款）。</p>
<form method="post" action="/sandbox/agreement-sign">
<input type="hidden" name="sign_str" value="{escape(sign_str)}">
<input type="hidden" name="return_url" value="{escape(back)}">
<button type="submit" {BUTTON} data-testid="sandbox-sign">同意并开通</button></form>
<p><a href="{escape(back)}">暂不开通</a></p>"""
    return _html("支付宝协议签约", body)


@routes.post("/sandbox/agreement-sign")
async def agreement_sign(request: web.Request) -> web.Response:
    """The buyer agrees: the agreement is signed (by a sandbox buyer), then back to the mall's page, which asks
    the mall to check it (alipay.user.agreement.query)."""
    form = await request.post()
    back = _back_to(str(form.get("return_url", "")))
    buyer = "2088" + "".join(secrets.choice("0123456789") for _ in range(12))
    sign_agreement(request.app, str(form.get("sign_str", "")), buyer)
    raise web.HTTPSeeOther(back)
