"""What a buyer sees of Alipay in a browser, for the mini-program's H5 build in local runs and tests: the
authorisation page (what `my.getAuthCode` shows inside Alipay), the cashier (what `my.tradePay` shows), the
deposit-free freeze sheet (what `my.tradePay({orderStr})` shows for a fund authorisation) and the withholding
agreement's signing page (what `my.paySignCenter` shows).
The authorisation page also signs the buyer in to Alipay in this browser (a cookie), as the Alipay app is: the
cashier, the freeze sheet and the signing page confirm as that buyer (the one whose auth code the mall signed in
with), and without one they ask for a sign-in and confirm nothing.
Plain HTML forms, no script: each form posts here and is answered with a redirect back to the mall's page,
as Alipay's web authorisation and wap cashier do with their `redirect_uri` and `return_url`."""

from __future__ import annotations

from html import escape
from urllib.parse import quote, urlencode, urlsplit

from aiohttp import web

from services.alipay_sandbox.api import (
    SANDBOX,
    confirm_freeze_and_notify,
    freeze_request,
    pay_and_notify,
    sign_agreement,
)
from services.alipay_sandbox.domain import Failure
from shared.http import Conflict, NotFound, Problem, Unauthorized
from shared.money import fen_to_yuan, yuan_to_fen

routes = web.RouteTableDef()
SESSION_COOKIE = "sandbox_session"

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


def _confirm_form(action: str, asked: dict[str, str], back: str, button: str, leave: str = "返回商家") -> str:
    """The form every page ends with: `button` posts `asked` (what the app sent) and the page to return to
    back to `action` (in its place, why there is nothing to confirm); the link returns without confirming."""
    fields = "".join(f'<input type="hidden" name="{name}" value="{escape(value)}">\n' for name, value in asked.items())
    return f"""<form method="post" action="{action}">
{fields}<input type="hidden" name="return_url" value="{escape(back)}">{button}</form>
<p><a href="{escape(back)}">{leave}</a></p>"""


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
    sandbox = request.app[SANDBOX]
    code, user_id = sandbox.issue_auth_code(None, nickname, None)
    # The buyer stays signed in to Alipay in this browser, as in the Alipay app: the freeze sheet knows them.
    answer = web.HTTPSeeOther(_with_query(back, auth_code=code))
    answer.set_cookie(SESSION_COOKIE, sandbox.start_web_session(user_id), path="/sandbox", httponly=True,
                      samesite="Lax")
    raise answer


def _buyer(request: web.Request) -> str | None:
    """The Alipay user signed in in this browser (on the authorisation page: the user whose auth code the mall
    signed in with), if any. Every confirmation page confirms as this buyer, as Alipay's own do."""
    return request.app[SANDBOX].web_sessions.get(request.cookies.get(SESSION_COOKIE, ""))


def _signed_in_buyer(request: web.Request) -> str:
    """The signed-in buyer a confirmation (a form's post) is made as; 401 `not_signed_in` without one."""
    buyer = _buyer(request)
    if buyer is None:
        raise Unauthorized("Sign in to Alipay first", code="not_signed_in")
    return buyer


def _sign_in_first(request: web.Request, title: str, heading: str, back: str) -> web.Response:
    """A confirmation page with nobody signed in to Alipay in this browser: it asks for a sign-in (which comes
    back to this page) and confirms nothing."""
    sign_in = f"/sandbox/authorize?redirect_uri={quote(str(request.url), safe='')}"
    body = f"""{heading}<p data-testid="sandbox-sign-in-first">请先登录支付宝。</p>
<p><a href="{escape(sign_in)}" data-testid="sandbox-sign-in">登录</a></p>
<p><a href="{escape(back)}">返回商家</a></p>"""
    return _html(title, body)


@routes.get("/sandbox/cashier")
async def cashier_page(request: web.Request) -> web.Response:
    back = _back_to(request.query.get("return_url", ""))
    trade = request.app[SANDBOX].trades.get(request.query.get("trade_no", ""))
    if trade is None:
        raise NotFound("No such trade", code="trade_not_found")
    plan = f"<p data-testid=\"sandbox-huabei\">花呗分期：{trade.hb_fq_num} 期</p>" if trade.hb_fq_num else ""
    heading = f"""<h2>{escape(trade.subject)}</h2>
<p style="font-size: 28px" data-testid="sandbox-amount">¥{fen_to_yuan(trade.total_fen)}</p>{plan}"""
    buyer = _buyer(request)
    if buyer is None:
        return _sign_in_first(request, "支付宝收银台", heading, back)
    if trade.status != "WAIT_BUYER_PAY":
        button = "<p>这笔交易已支付。</p>"
    elif not request.app[SANDBOX].may_pay(trade, buyer):
        button = '<p data-testid="sandbox-not-your-trade">这笔交易不属于当前登录的支付宝账号。</p>'
    else:
        button = f'<button type="submit" {BUTTON} data-testid="sandbox-pay">确认付款</button>'
    body = f"""{heading}
{_confirm_form("/sandbox/cashier", {"trade_no": trade.trade_no}, back, button)}"""
    return _html("支付宝收银台", body)


@routes.post("/sandbox/cashier")
async def cashier_pay(request: web.Request) -> web.Response:
    """The signed-in buyer confirms: the trade is paid by them (the signed notify goes out), then back to the
    mall's page."""
    form = await request.post()
    back = _back_to(str(form.get("return_url", "")))
    pay_and_notify(request.app, str(form.get("trade_no", "")), None, notify=True, payer=_signed_in_buyer(request))
    raise web.HTTPSeeOther(back)


@routes.get("/sandbox/agreement-sign")
async def agreement_page(request: web.Request) -> web.Response:
    back = _back_to(request.query.get("return_url", ""))
    sign_str = request.query.get("sign_str", "")
    if not sign_str or len(sign_str) > 8192:
        raise Problem("sign_str is the app's signed alipay.user.agreement.page.sign order string",
                      code="invalid_sign_str")
    heading = "<h2>开通商户代扣</h2><p>授权商家在账单到期时从你的支付宝扣款（先享后付还款）。</p>"
    if _buyer(request) is None:
        return _sign_in_first(request, "支付宝协议签约", heading, back)
    button = f'<button type="submit" {BUTTON} data-testid="sandbox-sign">同意并开通</button>'
    body = f"""{heading}
{_confirm_form("/sandbox/agreement-sign", {"sign_str": sign_str}, back, button, leave="暂不开通")}"""
    return _html("支付宝协议签约", body)


@routes.post("/sandbox/agreement-sign")
async def agreement_sign(request: web.Request) -> web.Response:
    """The signed-in buyer agrees: the agreement is signed by them, then back to the mall's page, which asks
    the mall to check it (alipay.user.agreement.query)."""
    form = await request.post()
    back = _back_to(str(form.get("return_url", "")))
    sign_agreement(request.app, str(form.get("sign_str", "")), _signed_in_buyer(request))
    raise web.HTTPSeeOther(back)


@routes.get("/sandbox/fund-auth")
async def freeze_page(request: web.Request) -> web.Response:
    """The sheet Alipay shows for a Sesame deposit-free freeze: the amount, the merchant, how much Sesame
    stands for. Only an order string the app signed is shown; only a signed-in buyer can confirm it."""
    back = _back_to(request.query.get("return_url", ""))
    order_str = request.query.get("order_str", "")
    params, biz = freeze_request(request.app, order_str)
    sandbox, buyer = request.app[SANDBOX], _buyer(request)
    amount = yuan_to_fen(str(biz["amount"]))
    title = str(biz.get("order_title") or "押金")
    credit_backed = biz.get("deposit_product_mode") == "DEPOSIT_ONLY"
    mode = "芝麻信用免押：信用够时无需冻结余额" if credit_backed else "资金预授权：冻结账户余额"
    heading = f"""<h2>{escape(title)}</h2>
<p>商户：<span data-testid="sandbox-merchant">{escape(sandbox.seller_id)}</span></p>
<p style="font-size: 28px">押金 <span data-testid="sandbox-amount">¥{fen_to_yuan(amount)}</span></p>
<p data-testid="sandbox-freeze-mode">{mode}</p>"""
    confirmed = sandbox.find_freeze(biz)
    try:
        closed = None if confirmed else sandbox.freeze_closed(params, biz)
    except Failure as failure:  # an order string whose timestamp or timeout_express Alipay cannot read
        raise Conflict(failure.body["sub_msg"], code=failure.body["sub_code"]) from None
    if closed is not None:  # expired or cancelled: nothing to confirm, as in Alipay
        body = f"""{heading}<p data-testid="sandbox-freeze-closed">{escape(closed.body["sub_msg"])}，无法再确认。
请返回商家重新发起授权。</p>
<p><a href="{escape(back)}">返回商家</a></p>"""
        return _html("支付宝免押", body)
    if buyer is None:
        return _sign_in_first(request, "支付宝免押", heading, back)
    credit = confirmed.credit_fen if confirmed else sandbox.credit_cover_fen(biz, buyer)
    cover = (f'<p data-testid="sandbox-credit">芝麻信用担保 ¥{fen_to_yuan(credit)}，'
             f'冻结余额 ¥{fen_to_yuan(amount - credit)}</p>')
    button = ("<p>这笔押金已授权。</p>" if confirmed else
              f'<button type="submit" {BUTTON} data-testid="sandbox-freeze">确认免押</button>')
    body = f"""{heading}{cover}
{_confirm_form("/sandbox/fund-auth", {"order_str": order_str}, back, button)}"""
    return _html("支付宝免押", body)


@routes.post("/sandbox/fund-auth")
async def freeze_confirm(request: web.Request) -> web.Response:
    """The signed-in buyer confirms: the freeze is made (its signed notify goes to the app's notify_url),
    then back to the mall's page, which asks the mall to check it (deposit-check)."""
    form = await request.post()
    back = _back_to(str(form.get("return_url", "")))
    confirm_freeze_and_notify(request.app, str(form.get("order_str", "")), _signed_in_buyer(request))
    raise web.HTTPSeeOther(back)

