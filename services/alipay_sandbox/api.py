"""The sandbox's HTTP face: `POST /gateway.do` (Alipay's wire format) and the `/sandbox/*` test endpoints."""

from __future__ import annotations

import json
from typing import Any, Literal
from urllib.parse import parse_qsl

from aiohttp import web
from pydantic import Field

from services.alipay_sandbox.domain import Failure, FundAuth, Sandbox, Trade, invalid
from services.alipay_sandbox.notifier import Notifier
from services.alipay_sandbox.settings import SandboxSettings
from shared.alipay.signing import signed_response, verify_request
from shared.http import Conflict, NotFound, StrictModel, json_response, parse_body
from shared.logging import get_logger

routes = web.RouteTableDef()

SANDBOX = web.AppKey("sandbox", Sandbox)
NOTIFIER = web.AppKey("notifier", Notifier)
CONFIG = web.AppKey("config", SandboxSettings)
log = get_logger("alipay_sandbox", component="gateway")


@routes.post("/gateway.do")
async def gateway(request: web.Request) -> web.Response:
    """One `gateway.do` call: common params in the query, the rest in the form body, all signed together."""
    settings = request.app[CONFIG]
    params: dict[str, str] = dict(request.query)
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    method = params.get("method", "")
    try:
        body = _dispatch(request.app, settings, method, params)
    except Failure as failure:
        body = failure.body
    code = body.setdefault("code", "10000")
    if code == "10000":
        body.setdefault("msg", "Success")
    key_method = method if method and method.replace(".", "").replace("_", "").isalnum() else "error"
    raw = signed_response(key_method, body, settings.private_key_pem)
    return web.Response(text=raw, content_type="application/json", charset="utf-8")


def _dispatch(app: web.Application, settings: SandboxSettings, method: str, params: dict[str, str]
              ) -> dict[str, Any]:
    if params.get("app_id") != settings.alipay_app_id:
        raise invalid("isv.invalid-app-id", "无效的AppID参数")
    if params.get("sign_type") != "RSA2":
        raise invalid("isv.invalid-signature-type", "sign_type must be RSA2")
    if not verify_request(params, settings.app_public_key_pem):
        log.warning("request with a bad signature", method=method)
        raise invalid("isv.invalid-signature", "验签出错")
    try:
        biz = json.loads(params.get("biz_content") or "{}")
    except ValueError:
        raise invalid("isv.invalid-parameter", "biz_content is not JSON") from None
    if not isinstance(biz, dict):
        raise invalid("isv.invalid-parameter", "biz_content is not an object")
    sandbox = app[SANDBOX]
    auth_token = params.get("auth_token")
    match method:
        case "alipay.system.oauth.token":
            return sandbox.oauth_token(params)
        case "alipay.user.info.share":
            return sandbox.user_info(auth_token)
        case "zhima.credit.score.get":
            return sandbox.credit_score(auth_token, biz)
        case "alipay.trade.create":
            return sandbox.trade_create(biz, params.get("notify_url"))
        case "alipay.trade.query":
            return sandbox.trade_query(biz)
        case "alipay.trade.close":
            return sandbox.trade_close(biz)
        case "alipay.trade.refund":
            return sandbox.trade_refund(biz)
        case "alipay.trade.fastpay.refund.query":
            return sandbox.refund_query(biz)
        case "alipay.trade.pay":
            return sandbox.trade_pay(biz)
        case "alipay.trade.cancel":
            return sandbox.trade_cancel(biz)
        case "alipay.fund.auth.operation.detail.query":
            return sandbox.fund_auth_query(biz)
        case "alipay.fund.auth.order.unfreeze":
            return sandbox.fund_auth_unfreeze(biz)
        case "alipay.fund.auth.operation.cancel":
            return sandbox.fund_auth_cancel(biz)
        case "alipay.marketing.card.template.create":
            return sandbox.card_template_create(biz)
        case "alipay.marketing.card.open":
            return sandbox.card_open(biz)
        case "alipay.marketing.card.update":
            return sandbox.card_update(biz)
        case "alipay.marketing.activity.ordervoucher.create":
            return sandbox.voucher_activity_create(biz)
        case "alipay.marketing.activity.ordervoucher.send":
            return sandbox.voucher_send(biz)
        case "alipay.marketing.activity.ordervoucher.use":
            return sandbox.voucher_use(biz)
        case "alipay.marketing.activity.ordervoucher.refund":
            return sandbox.voucher_refund(biz)
        case "alipay.user.alipaypoint.budgetlib.query":
            return sandbox.point_budget_query(biz)
        case "alipay.user.alipaypoint.send":
            return sandbox.point_send(biz)
        case "alipay.user.agreement.query":
            return sandbox.agreement_query(biz)
        case "alipay.open.app.mini.templatemessage.send":
            return sandbox.template_message_send(biz)
    raise invalid("isv.invalid-method", f"不存在的方法名 {method}")


class AuthCodeBody(StrictModel):
    user_id: str | None = Field(default=None, pattern=r"^2088[0-9]{12}$")
    nickname: str | None = Field(default=None, min_length=1, max_length=64)
    credit_score: int | None = Field(default=None, ge=350, le=950)


@routes.post("/sandbox/auth-codes")
async def issue_auth_code(request: web.Request) -> web.Response:
    body = await parse_body(request, AuthCodeBody)
    code, user_id = request.app[SANDBOX].issue_auth_code(body.user_id, body.nickname, body.credit_score)
    return json_response({"auth_code": code, "user_id": user_id}, status=201)


class PayBody(StrictModel):
    channel: str | None = Field(default=None, max_length=32)
    # False stands for a notify Alipay never manages to deliver: the trade is paid, nobody is told.
    notify: bool = True


@routes.post("/sandbox/trades/{trade_no}/pay")
async def pay_trade(request: web.Request) -> web.Response:
    """The buyer pays in the cashier; the signed notify goes to the trade's notify_url (retried)."""
    body = await parse_body(request, PayBody) if request.can_read_body else PayBody()
    trade, notify_id = pay_and_notify(request.app, request.match_info["trade_no"], body.channel, body.notify)
    return json_response({"trade_no": trade.trade_no, "trade_status": trade.status, "channel": trade.channel,
                          "notify_id": notify_id})


def pay_and_notify(app: web.Application, trade_no: str, channel: str | None, notify: bool,
                   payer: str | None = None) -> tuple[Trade, str | None]:
    """The trade paid in the cashier (this API's, or the cashier page's by its signed-in `payer`), and its
    notify sent unless `notify` is false. 404 for an unknown trade, 409 for one that cannot be paid (or not by
    this payer)."""
    sandbox = app[SANDBOX]
    if trade_no not in sandbox.trades:
        raise NotFound("No such trade", code="trade_not_found")
    try:
        trade = sandbox.pay(trade_no, channel, payer)
    except Failure as failure:
        raise Conflict(failure.body["sub_msg"], code=failure.body["sub_code"]) from None
    notify_id = None
    if trade.notify_url and notify:
        params = sandbox.notify_params(trade, app[CONFIG].alipay_app_id)
        notify_id = app[NOTIFIER].send(trade.notify_url, params).notify_id
    return trade, notify_id


@routes.get("/sandbox/trades/{trade_no}")
async def show_trade(request: web.Request) -> web.Response:
    trade = request.app[SANDBOX].trades.get(request.match_info["trade_no"])
    if trade is None:
        raise NotFound("No such trade", code="trade_not_found")
    return json_response({"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no,
                          "total_fen": trade.total_fen, "status": trade.status, "channel": trade.channel,
                          "hb_fq_num": trade.hb_fq_num, "hb_fq_seller_percent": trade.hb_fq_seller_percent,
                          "refunds": trade.refunds, "buyer_id": trade.buyer_id})


@routes.get("/sandbox/notifies")
async def list_notifies(request: web.Request) -> web.Response:
    """Every notify sent, with its signed form and the merchant's answers (for tests and debugging);
    `trade_no` or `auth_no` (a freeze's) filters."""
    trade_no, auth_no = request.query.get("trade_no"), request.query.get("auth_no")
    items = [{"notify_id": d.notify_id, "url": d.url, "form": d.form, "attempts": d.attempts,
              "delivered": d.delivered}
             for d in request.app[NOTIFIER].deliveries
             if trade_no in (None, d.form.get("trade_no")) and auth_no in (None, d.form.get("auth_no"))]
    return json_response({"items": items})


class PaymentCodeBody(StrictModel):
    scene: Literal["bar_code", "security_code"] = "bar_code"
    user_id: str | None = Field(default=None, pattern=r"^2088[0-9]{12}$")
    outcome: Literal["success", "paying", "error", "fail"] = "success"
    then: Literal["paid", "unpaid"] = "paid"


@routes.post("/sandbox/payment-codes")
async def issue_payment_code(request: web.Request) -> web.Response:
    """A buyer's payment code (or a face device's token) and how the store charge made with it goes:
    `success`; `paying` (10003, the buyer confirms on the phone) or `error` (ACQ.SYSTEM_ERROR), after which
    queries find the trade `paid` or never settled (`unpaid`); `fail` (40004)."""
    body = await parse_body(request, PaymentCodeBody)
    code = request.app[SANDBOX].issue_payment_code(body.scene, body.user_id, body.outcome, body.then)
    return json_response({"auth_code": code.code, "scene": code.scene, "user_id": code.user_id}, status=201)


class FreezeConfirmBody(StrictModel):
    order_str: str = Field(min_length=1, max_length=8192)
    user_id: str = Field(pattern=r"^2088[0-9]{12}$")


@routes.post("/sandbox/fund-auths/confirm")
async def confirm_freeze(request: web.Request) -> web.Response:
    """The buyer confirms a freeze order string in Alipay (`my.tradePay({orderStr})`)."""
    body = await parse_body(request, FreezeConfirmBody)
    auth = confirm_freeze_and_notify(request.app, body.order_str, body.user_id)
    return json_response({"auth_no": auth.auth_no, "amount_fen": auth.amount_fen, "credit_fen": auth.credit_fen,
                          "status": auth.status}, status=201)


def signed_order_params(app: web.Application, order_str: str) -> dict[str, str]:
    """The params of an order string the app signed (checked as gateway.do checks a request); 409
    `invalid_signature` for anything else, such as a string whose amount was changed after signing."""
    params = dict(parse_qsl(order_str, keep_blank_values=True))
    settings = app[CONFIG]
    if params.get("app_id") != settings.alipay_app_id or not verify_request(params, settings.app_public_key_pem):
        raise Conflict("The order string is not signed by the app", code="invalid_signature")
    return params


def freeze_request(app: web.Application, order_str: str) -> tuple[dict[str, str], dict[str, Any]]:
    """A signed `alipay.fund.auth.order.app.freeze` order string: its params and biz content (409 otherwise)."""
    params = signed_order_params(app, order_str)
    try:
        return params, app[SANDBOX].freeze_request(params)
    except Failure as failure:
        raise Conflict(failure.body["sub_msg"], code=failure.body["sub_code"]) from None


def confirm_freeze_and_notify(app: web.Application, order_str: str, user_id: str) -> FundAuth:
    """`user_id` confirms the freeze (this API's or the freeze page's); the first confirmation sends the signed
    `fund_auth_freeze` notify to the order string's notify_url, as Alipay does."""
    params, biz = freeze_request(app, order_str)
    sandbox = app[SANDBOX]
    first = sandbox.find_freeze(biz) is None
    try:
        auth = sandbox.confirm_freeze(params, user_id)
    except Failure as failure:  # the merchant cancelled this request before the buyer confirmed it
        raise Conflict(failure.body["sub_msg"], code=failure.body["sub_code"]) from None
    if first and params.get("notify_url"):
        app[NOTIFIER].send(params["notify_url"], sandbox.freeze_notify_params(auth, app[CONFIG].alipay_app_id))
    return auth


@routes.post("/sandbox/agreements/confirm")
async def confirm_agreement(request: web.Request) -> web.Response:
    """The buyer signs a withholding agreement on Alipay's page (`alipay.user.agreement.page.sign` order string,
    signature checked as gateway.do checks a request)."""
    body = await parse_body(request, FreezeConfirmBody)
    return json_response(sign_agreement(request.app, body.order_str, body.user_id), status=201)


def sign_agreement(app: web.Application, order_str: str, user_id: str) -> dict[str, Any]:
    """The agreement an `alipay.user.agreement.page.sign` order string signs (its signature checked as
    gateway.do checks a request), signed by `user_id`; the signing page (pages.py) shares it."""
    params = signed_order_params(app, order_str)
    try:
        return app[SANDBOX].confirm_agreement(params, user_id)
    except Failure as failure:
        raise Conflict(failure.body["sub_msg"], code=failure.body["sub_code"]) from None


@routes.get("/sandbox/fund-auths/{auth_no}")
async def show_fund_auth(request: web.Request) -> web.Response:
    auth = request.app[SANDBOX].fund_auths.get(request.match_info["auth_no"])
    if auth is None:
        raise NotFound("No such authorisation", code="auth_not_found")
    return json_response({"auth_no": auth.auth_no, "status": auth.status, "amount_fen": auth.amount_fen,
                          "credit_fen": auth.credit_fen, "paid_fen": auth.paid_fen, "rest_fen": auth.rest_fen,
                          "unfrozen": auth.unfrozen, "payer_user_id": auth.payer_user_id,
                          "cancelled": auth.cancelled, "out_order_no": auth.out_order_no,
                          "out_request_no": auth.out_request_no})


@routes.get("/sandbox/cards")
async def list_cards(request: web.Request) -> web.Response:
    """The member cards in a buyer's card package (`user_id` filters)."""
    user_id = request.query.get("user_id")
    items = [{"biz_card_no": c.biz_card_no, "template_id": c.template_id, "user_id": c.user_id,
              "external_card_no": c.external_card_no, "level": c.level, "point": c.point, "updates": c.updates}
             for c in request.app[SANDBOX].cards.values() if user_id in (None, c.user_id)]
    return json_response({"items": items})


@routes.get("/sandbox/vouchers")
async def list_vouchers(request: web.Request) -> web.Response:
    """The merchant vouchers in buyers' card packages (`user_id` filters), with each reported use and refund."""
    user_id = request.query.get("user_id")
    items = [{"voucher_code": v.voucher_code, "activity_id": v.activity_id, "user_id": v.user_id, "status": v.status,
              "uses": v.uses, "refunds": v.refunds}
             for v in request.app[SANDBOX].vouchers.values() if user_id in (None, v.user_id)]
    return json_response({"items": items})


class PointBudgetBody(StrictModel):
    budget_code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$")
    amount: int = Field(ge=0, le=100_000_000)


@routes.put("/sandbox/point-budgets")
async def put_point_budget(request: web.Request) -> web.Response:
    """A merchant's 集分宝 budget library (bought from Alipay) with `amount` left."""
    body = await parse_body(request, PointBudgetBody)
    request.app[SANDBOX].point_budgets[body.budget_code] = body.amount
    return json_response({"budget_code": body.budget_code, "remain_amount": body.amount})


@routes.get("/sandbox/point-sends")
async def list_point_sends(request: web.Request) -> web.Response:
    """Every 集分宝 send (`user_id` filters) and what each budget has left."""
    user_id = request.query.get("user_id")
    sandbox = request.app[SANDBOX]
    items = [{"partner_biz_no": k, **v} for k, v in sandbox.point_sends.items() if user_id in (None, v["user_id"])]
    return json_response({"items": items, "budgets": sandbox.point_budgets})


@routes.get("/sandbox/messages")
async def list_messages(request: web.Request) -> web.Response:
    """Every mini-program message received (signature verified), oldest first; `to_user_id` filters."""
    to_user_id = request.query.get("to_user_id")
    items = [{"to_user_id": m.to_user_id, "user_template_id": m.user_template_id, "page": m.page, "data": m.data,
              "received_at": m.received_at}
             for m in request.app[SANDBOX].messages if to_user_id in (None, m.to_user_id)]
    return json_response({"items": items})


class MessageFailuresBody(StrictModel):
    count: int = Field(ge=0, le=100)


@routes.post("/sandbox/messages/failures")
async def fail_messages(request: web.Request) -> web.Response:
    """The next `count` message sends answer 20000 (system busy), as Alipay sometimes does."""
    body = await parse_body(request, MessageFailuresBody)
    request.app[SANDBOX].message_failures = body.count
    return json_response({"count": body.count})
