"""An asyncio client of Alipay's `gateway.do`: signed requests, verified responses, typed results.

`AlipayClient(gateway_url, app_id, app_private_key_pem, alipay_public_key_pem, session)` talks to the real
Alipay (`https://openapi.alipay.com/gateway.do`) or to the sandbox by configuration only. Like the official
SDK, common parameters go in the URL query and `biz_content` in the form body; both are signed together.
Amounts are integer fen here and yuan strings on the wire (shared.money at this boundary only).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import aiohttp

from shared.alipay.signing import SignatureError, extract_response_content, sign_content, sign_rsa2, verify_rsa2
from shared.money import fen_to_yuan, yuan_to_fen

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")  # Alipay timestamps are Beijing time
SUCCESS = "10000"
PRODUCTION_GATEWAY = "https://openapi.alipay.com/gateway.do"


class AlipayError(Exception):
    """Alipay answered, verifiably, with a business failure (`code` != 10000)."""

    def __init__(self, method: str, code: str, msg: str, sub_code: str = "", sub_msg: str = ""):
        super().__init__(f"{method}: {code} {msg} {sub_code} {sub_msg}".strip())
        self.method, self.code, self.msg, self.sub_code, self.sub_msg = method, code, msg, sub_code, sub_msg


class AlipayResponseError(Exception):
    """No trustworthy answer: transport failure, HTTP error, unparseable body or a bad signature."""


@dataclass(frozen=True)
class OauthToken:
    user_id: str
    open_id: str | None
    access_token: str
    expires_in: int
    refresh_token: str
    re_expires_in: int


@dataclass(frozen=True)
class UserInfo:
    user_id: str
    nick_name: str | None
    avatar: str | None


@dataclass(frozen=True)
class TradeQueryResult:
    trade_no: str
    out_trade_no: str
    trade_status: str
    amount_fen: int  # Alipay's total_amount
    buyer_user_id: str | None = None
    fund_channels: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RefundResult:
    fund_change: bool  # False: this out_request_no had been refunded before (a retry)
    refund_fee_fen: int  # cumulative refunded on the trade


@dataclass(frozen=True)
class TradePayResult:
    """`alipay.trade.pay` answered 10000: the money is taken (face-to-face and pre-authorisation payments)."""

    trade_no: str
    out_trade_no: str
    amount_fen: int
    buyer_user_id: str | None
    fund_channels: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CancelResult:
    action: str  # "close" (nothing was taken), "refund" (taken and given back) or "" (no such trade)
    retry: bool  # Alipay's retry_flag: call cancel again


@dataclass(frozen=True)
class FundAuthResult:
    """A fund authorisation (预授权) as `alipay.fund.auth.operation.detail.query` or `unfreeze` tell it."""

    auth_no: str
    status: str  # "SUCCESS", "INIT" (the buyer has not confirmed), "CLOSED"
    amount_fen: int  # of this operation
    rest_fen: int  # still frozen
    credit_fen: int  # the part Sesame credit stands for (no money frozen)
    fund_fen: int  # the part actually frozen in the buyer's funds
    payer_user_id: str | None = None


@dataclass(frozen=True)
class RefundQueryResult:
    out_request_no: str
    refund_status: str  # "REFUND_SUCCESS", or "" when no such refund succeeded
    refund_fen: int


class AlipayClient:
    def __init__(self, gateway_url: str, app_id: str, app_private_key_pem: str, alipay_public_key_pem: str,
                 session: aiohttp.ClientSession, *, charset: str = "utf-8", timeout_s: float = 15.0):
        self.gateway_url = gateway_url
        self.app_id = app_id
        self._private_key = app_private_key_pem
        self._alipay_public_key = alipay_public_key_pem
        self.session = session
        self.charset = charset
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    # --- the protocol ---------------------------------------------------------------------------------

    def build_request(self, method: str, biz_content: Mapping[str, Any] | None = None, *,
                      notify_url: str | None = None, auth_token: str | None = None,
                      extra: Mapping[str, str] | None = None, now: datetime | None = None
                      ) -> tuple[dict[str, str], dict[str, str]]:
        """(query params incl. sign, form body) of one signed gateway.do call."""
        common: dict[str, str] = {
            "app_id": self.app_id, "method": method, "format": "JSON", "charset": self.charset,
            "sign_type": "RSA2", "version": "1.0",
            "timestamp": (now or datetime.now(BEIJING)).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
        }
        if notify_url:
            common["notify_url"] = notify_url
        if auth_token:
            common["auth_token"] = auth_token
        body: dict[str, str] = dict(extra or {})
        if biz_content is not None:
            body["biz_content"] = json.dumps(dict(biz_content), ensure_ascii=False, separators=(",", ":"))
        common["sign"] = sign_rsa2(sign_content({**body, **common}), self._private_key, self.charset)
        return common, body

    async def execute(self, method: str, biz_content: Mapping[str, Any] | None = None, *,
                      notify_url: str | None = None, auth_token: str | None = None,
                      extra: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Call `method`; the verified `<method>_response` object, or AlipayError / AlipayResponseError."""
        query, body = self.build_request(method, biz_content, notify_url=notify_url, auth_token=auth_token,
                                         extra=extra)
        url = f"{self.gateway_url}?{urlencode(query)}"
        try:
            async with self.session.post(
                    url, data=urlencode(body).encode(), timeout=self.timeout,
                    headers={"Content-Type": f"application/x-www-form-urlencoded;charset={self.charset}"}) as resp:
                raw = (await resp.read()).decode(self.charset, errors="replace")
                if resp.status != 200:
                    raise AlipayResponseError(f"{method}: HTTP {resp.status}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise AlipayResponseError(f"{method}: {type(exc).__name__}: {exc}") from exc
        return self.parse_response(method, raw)

    def parse_response(self, method: str, raw: str) -> dict[str, Any]:
        response_key = method.replace(".", "_") + "_response"
        try:
            key = response_key if f'"{response_key}"' in raw else "error_response"
            content, sign = extract_response_content(raw, key)
            data = json.loads(content)
        except (SignatureError, ValueError) as exc:
            raise AlipayResponseError(f"{method}: unreadable response: {exc}") from exc
        if not isinstance(data, dict):
            raise AlipayResponseError(f"{method}: response is not an object")
        signed = sign is not None and verify_rsa2(content, sign, self._alipay_public_key, self.charset)
        code = str(data.get("code", ""))
        if code == SUCCESS and not signed:
            # A success we cannot attribute to Alipay is worth nothing: never act on it.
            raise AlipayResponseError(f"{method}: response signature missing or invalid")
        if sign is not None and not signed:
            raise AlipayResponseError(f"{method}: response signature invalid")
        if code != SUCCESS:
            raise AlipayError(method, code, str(data.get("msg", "")), str(data.get("sub_code", "")),
                              str(data.get("sub_msg", "")))
        return data

    # --- login and credit ------------------------------------------------------------------------------

    async def oauth_token(self, code: str | None = None, *, refresh_token: str | None = None) -> OauthToken:
        """`alipay.system.oauth.token`: an auth code (or a refresh token) for the user's ids and tokens."""
        if refresh_token:
            extra = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        else:
            extra = {"grant_type": "authorization_code", "code": code or ""}
        data = await self.execute("alipay.system.oauth.token", None, extra=extra)
        return OauthToken(user_id=str(data.get("user_id") or data.get("alipay_user_id") or ""),
                          open_id=data.get("open_id"), access_token=str(data["access_token"]),
                          expires_in=int(data.get("expires_in", 0)), refresh_token=str(data.get("refresh_token", "")),
                          re_expires_in=int(data.get("re_expires_in", 0)))

    async def user_info(self, access_token: str) -> UserInfo:
        """`alipay.user.info.share` (scope auth_user); nickname and avatar may be missing."""
        data = await self.execute("alipay.user.info.share", None, auth_token=access_token)
        return UserInfo(user_id=str(data.get("user_id", "")), nick_name=data.get("nick_name"),
                        avatar=data.get("avatar"))

    async def credit_score(self, access_token: str, transaction_id: str) -> int:
        """The user's Sesame score via `zhima.credit.score.get` (scope auth_zhima, product w1010100100000000001).

        The sandbox implements this method; against the real platform the app must hold the Zhima product.
        """
        data = await self.execute("zhima.credit.score.get", {
            "transaction_id": transaction_id, "product_code": "w1010100100000000001"}, auth_token=access_token)
        return int(data["zm_score"])

    # --- trades -----------------------------------------------------------------------------------------

    async def trade_create(self, *, out_trade_no: str, amount_fen: int, subject: str, notify_url: str | None,
                           buyer_id: str | None = None, buyer_open_id: str | None = None,
                           hb_fq_num: int | None = None, hb_fq_seller_percent: int | None = None,
                           timeout_express: str | None = None) -> str:
        """`alipay.trade.create` (JSAPI_PAY) → Alipay's trade_no for `my.tradePay`."""
        biz: dict[str, Any] = {"out_trade_no": out_trade_no, "total_amount": fen_to_yuan(amount_fen),
                               "subject": subject, "product_code": "JSAPI_PAY"}
        if buyer_id:
            biz["buyer_id"] = buyer_id
        if buyer_open_id:
            biz["buyer_open_id"] = buyer_open_id
        if hb_fq_num is not None:
            # Both or neither (notes §4): the term and who pays its fee.
            biz["extend_params"] = {"hb_fq_num": str(hb_fq_num), "hb_fq_seller_percent": str(hb_fq_seller_percent or 0)}
        if timeout_express:
            biz["timeout_express"] = timeout_express
        data = await self.execute("alipay.trade.create", biz, notify_url=notify_url)
        return str(data["trade_no"])

    async def trade_query(self, out_trade_no: str) -> TradeQueryResult:
        data = await self.execute("alipay.trade.query", {"out_trade_no": out_trade_no,
                                                          "query_options": ["fund_bill_list"]})
        bills = data.get("fund_bill_list") or []
        return TradeQueryResult(
            trade_no=str(data.get("trade_no", "")), out_trade_no=str(data.get("out_trade_no", out_trade_no)),
            trade_status=str(data.get("trade_status", "")), amount_fen=yuan_to_fen(str(data.get("total_amount", "0"))),
            buyer_user_id=data.get("buyer_user_id"),
            fund_channels=[str(b.get("fund_channel", "")) for b in bills if isinstance(b, dict)])

    async def trade_close(self, out_trade_no: str) -> None:
        await self.execute("alipay.trade.close", {"out_trade_no": out_trade_no})

    async def trade_refund(self, *, out_trade_no: str, refund_fen: int, out_request_no: str,
                           reason: str = "") -> RefundResult:
        """`alipay.trade.refund`; the same `out_request_no` again refunds nothing more (Alipay's idempotency)."""
        biz: dict[str, Any] = {"out_trade_no": out_trade_no, "refund_amount": fen_to_yuan(refund_fen),
                               "out_request_no": out_request_no}
        if reason:
            biz["refund_reason"] = reason[:256]
        data = await self.execute("alipay.trade.refund", biz)
        return RefundResult(fund_change=data.get("fund_change") == "Y",
                            refund_fee_fen=yuan_to_fen(str(data.get("refund_fee", "0"))))

    async def trade_pay(self, *, out_trade_no: str, amount_fen: int, subject: str, scene: str | None = None,
                        auth_code: str | None = None, auth_no: str | None = None,
                        auth_confirm_mode: str | None = None, notify_url: str | None = None,
                        timeout_express: str | None = None) -> TradePayResult:
        """`alipay.trade.pay`. In store (当面付/刷脸付): `scene` bar_code (the buyer's payment code) or
        security_code (a face-payment token) with `auth_code`. Against a fund authorisation: `auth_no`
        (product PREAUTH_PAY) and `auth_confirm_mode` (COMPLETE unfreezes the rest, NOT_COMPLETE keeps it).
        Code 10003 (the buyer is confirming) and system errors raise AlipayError: the outcome is unknown
        until `trade_query` tells it."""
        biz: dict[str, Any] = {"out_trade_no": out_trade_no, "total_amount": fen_to_yuan(amount_fen),
                               "subject": subject}
        if auth_no:
            biz.update(auth_no=auth_no, product_code="PREAUTH_PAY")
            if auth_confirm_mode:
                biz["auth_confirm_mode"] = auth_confirm_mode
        else:
            biz.update(scene=scene or "bar_code", auth_code=auth_code or "", product_code="FACE_TO_FACE_PAYMENT")
        if timeout_express:
            biz["timeout_express"] = timeout_express
        data = await self.execute("alipay.trade.pay", biz, notify_url=notify_url)
        bills = data.get("fund_bill_list") or []
        return TradePayResult(
            trade_no=str(data.get("trade_no", "")), out_trade_no=str(data.get("out_trade_no", out_trade_no)),
            amount_fen=yuan_to_fen(str(data.get("total_amount", "0"))), buyer_user_id=data.get("buyer_user_id"),
            fund_channels=[str(b.get("fund_channel", "")) for b in bills if isinstance(b, dict)])

    async def trade_cancel(self, out_trade_no: str) -> CancelResult:
        """`alipay.trade.cancel`: a store payment whose outcome we could not learn in time is undone, paid
        or not (Alipay refunds it if it was paid). Safe to repeat."""
        data = await self.execute("alipay.trade.cancel", {"out_trade_no": out_trade_no})
        return CancelResult(action=str(data.get("action", "")), retry=data.get("retry_flag") == "Y")

    # --- fund authorisations (预授权, Sesame deposit-free) -------------------------------------------------

    def fund_auth_freeze_order_str(self, *, out_order_no: str, out_request_no: str, amount_fen: int,
                                   order_title: str, category: str, service_id: str,
                                   notify_url: str | None = None, timeout_express: str = "30m") -> str:
        """The signed order string of `alipay.fund.auth.order.app.freeze` in the credit-backed mode
        (PRE_AUTH_ONLINE, deposit_product_mode DEPOSIT_ONLY: Sesame stands for what it can, the rest is
        frozen in the buyer's funds). The client hands it to `my.tradePay({orderStr})`; the server never
        posts it (the buyer confirms it in Alipay)."""
        biz: dict[str, Any] = {
            "out_order_no": out_order_no, "out_request_no": out_request_no, "order_title": order_title[:100],
            "amount": fen_to_yuan(amount_fen), "product_code": "PRE_AUTH_ONLINE",
            "deposit_product_mode": "DEPOSIT_ONLY", "timeout_express": timeout_express,
            "extra_param": json.dumps({"category": category, "serviceId": service_id}, separators=(",", ":"))}
        query, body = self.build_request("alipay.fund.auth.order.app.freeze", biz, notify_url=notify_url)
        return urlencode({**query, **body})

    async def fund_auth_query(self, *, out_order_no: str, out_request_no: str) -> FundAuthResult:
        """`alipay.fund.auth.operation.detail.query`: has the buyer confirmed the freeze, and how much of it
        is credit."""
        data = await self.execute("alipay.fund.auth.operation.detail.query",
                                  {"out_order_no": out_order_no, "out_request_no": out_request_no})
        return _fund_auth(data)

    async def fund_auth_unfreeze(self, *, auth_no: str, out_request_no: str, amount_fen: int,
                                 remark: str) -> FundAuthResult:
        """`alipay.fund.auth.order.unfreeze`: give (part of) the frozen amount back; the same
        `out_request_no` again unfreezes nothing more."""
        data = await self.execute("alipay.fund.auth.order.unfreeze", {
            "auth_no": auth_no, "out_request_no": out_request_no, "amount": fen_to_yuan(amount_fen),
            "remark": remark[:100]})
        return _fund_auth(data)

    async def fund_auth_cancel(self, *, out_order_no: str, out_request_no: str, remark: str) -> str:
        """`alipay.fund.auth.operation.cancel`: undo a freeze request whose outcome the merchant no longer wants
        (or never learned in time): `close` if nothing was frozen, `unfreeze` if it was (all of it goes back).
        Safe to repeat."""
        data = await self.execute("alipay.fund.auth.operation.cancel", {
            "out_order_no": out_order_no, "out_request_no": out_request_no, "remark": remark[:100]})
        return str(data.get("action", ""))

    async def refund_query(self, *, out_trade_no: str, out_request_no: str) -> RefundQueryResult:
        data = await self.execute("alipay.trade.fastpay.refund.query",
                                  {"out_trade_no": out_trade_no, "out_request_no": out_request_no})
        amount = data.get("refund_amount")
        return RefundQueryResult(out_request_no=out_request_no, refund_status=str(data.get("refund_status", "")),
                                 refund_fen=yuan_to_fen(str(amount)) if amount else 0)

    # --- member cards in the card package (卡包) --------------------------------------------------------------

    async def card_template_create(self, *, request_id: str, card_show_name: str, bg_color: str,
                                   logo_id: str, background_id: str, open_card_url: str) -> str:
        """`alipay.marketing.card.template.create`: the merchant's member card (points, level, balance shown),
        opened from the mall (`open_card_source_type` MER). → template_id. The same `request_id` again
        creates nothing new."""
        biz = {
            "request_id": request_id, "card_type": "OUT_MEMBER_CARD", "write_off_type": "qrcode",
            "biz_no_prefix": "mp", "biz_no_suffix_len": "10",
            "template_style_info": {"card_show_name": card_show_name[:20], "bg_color": bg_color,
                                    "logo_id": logo_id, "background_id": background_id},
            "column_info_list": [{"code": "POINT", "title": "积分", "operate_type": "openNative"},
                                 {"code": "BALANCE", "title": "余额", "operate_type": "openNative"}],
            "field_rule_list": [{"field_name": "Level", "rule_name": "ASSIGN_FROM_REQUEST", "rule_value": "Level"},
                                {"field_name": "Point", "rule_name": "ASSIGN_FROM_REQUEST", "rule_value": "Point"}],
            "open_card_conf": {"open_card_source_type": "MER", "source_app_id": self.app_id,
                               "open_card_url": open_card_url}}
        data = await self.execute("alipay.marketing.card.template.create", biz)
        return str(data["template_id"])

    async def card_open(self, *, template_id: str, out_serial_no: str, user_id: str, external_card_no: str,
                        level: str, point: int, open_date: str, valid_date: str) -> str:
        """`alipay.marketing.card.open` for a buyer who claimed the merchant's card. → biz_card_no."""
        data = await self.execute("alipay.marketing.card.open", {
            "out_serial_no": out_serial_no, "card_template_id": template_id,
            "card_user_info": {"user_uni_id": user_id, "user_uni_id_type": "UID"},
            "card_ext_info": {"external_card_no": external_card_no, "open_date": open_date,
                              "valid_date": valid_date, "level": level, "point": str(point)}})
        card = data.get("card_info") or {}
        return str(card.get("biz_card_no", ""))

    async def card_update(self, *, biz_card_no: str, level: str, point: int, occur_time: str) -> None:
        """`alipay.marketing.card.update`: the card's level and points as they are now (absolute values)."""
        await self.execute("alipay.marketing.card.update", {
            "target_card_no": biz_card_no, "target_card_no_type": "BIZ_CARD", "occur_time": occur_time,
            "card_info": {"level": level, "point": str(point)}})

    # --- merchant vouchers (商家券) ------------------------------------------------------------------------

    async def voucher_activity_create(self, *, out_biz_no: str, name: str, brand_name: str, quantity: int,
                                      per_user_limit: int, publish_start: str, publish_end: str,
                                      amount_fen: int | None = None, floor_fen: int = 0,
                                      discount: str | None = None, ceiling_fen: int | None = None,
                                      valid_days: int | None = None, valid_until: str | None = None) -> str:
        """`alipay.marketing.activity.ordervoucher.create`: a merchant voucher activity sent by the merchant's
        request (send mode REQUEST), usable in this mini-program, with Alipay's own codes. A fixed voucher has
        `amount_fen`; a discount one `discount` ("8.5" is 15% off) and `ceiling_fen`. Valid `valid_days`
        after claiming, else until `valid_until`. → activity_id. The same `out_biz_no` again creates
        nothing new."""
        if amount_fen is not None:
            deduct: dict[str, Any] = {"voucher_type": "FIX_VOUCHER", "fix_voucher_info": {
                "amount": fen_to_yuan(amount_fen), "floor_amount": fen_to_yuan(floor_fen)}}
        else:
            deduct = {"voucher_type": "DISCOUNT_VOUCHER", "discount_voucher_info": {
                "discount": discount, "ceiling_amount": fen_to_yuan(ceiling_fen or 0),
                "floor_amount": fen_to_yuan(floor_fen)}}
        if valid_days is not None:
            period: dict[str, Any] = {"period_type": "RELATIVE",
                                      "relative_period_info": {"valid_days_after_receive": valid_days}}
        else:
            period = {"period_type": "ABSOLUTE", "absolute_period_info": {
                "valid_begin_time": publish_start, "valid_end_time": valid_until}}
        data = await self.execute("alipay.marketing.activity.ordervoucher.create", {
            "out_biz_no": out_biz_no,
            "activity_base_info": {"activity_name": name[:20], "code_mode": "SYSTEM_GENERATE"},
            "voucher_send_mode_info": {"voucher_send_mode": "REQUEST", "voucher_send_rule_info": {
                "quantity": quantity, "quantity_limit_per_user": per_user_limit,
                "publish_start_time": publish_start, "publish_end_time": publish_end}},
            "voucher_deduct_info": deduct,
            "voucher_available_scope_info": {"voucher_available_app_info": {"available_app_ids": [self.app_id]}},
            "voucher_use_rule_info": {"voucher_max_use_times": 1, "voucher_use_time_info": period},
            "voucher_display_pattern_info": {"voucher_name": name[:15], "brand_name": brand_name[:12]}})
        return str(data["activity_id"])

    async def voucher_send(self, *, activity_id: str, out_biz_no: str, user_id: str) -> str:
        """`alipay.marketing.activity.ordervoucher.send`: one voucher into the buyer's card package. →
        voucher_code. The same `out_biz_no` again sends nothing more (the same code back)."""
        data = await self.execute("alipay.marketing.activity.ordervoucher.send", {
            "activity_id": activity_id, "out_biz_no": out_biz_no, "user_id": user_id})
        return str(data["voucher_code"])

    async def voucher_use(self, *, activity_id: str, voucher_code: str, out_biz_no: str, biz_dt: str,
                          total_fen: int) -> None:
        """`alipay.marketing.activity.ordervoucher.use`: the voucher was redeemed in an order of `total_fen`
        (核销同步). The same `out_biz_no` again is the same redemption, not a second one."""
        await self.execute("alipay.marketing.activity.ordervoucher.use", {
            "activity_id": activity_id, "voucher_code": voucher_code, "out_biz_no": out_biz_no,
            "biz_dt": biz_dt, "total_fee": fen_to_yuan(total_fen)})

    async def voucher_refund(self, *, activity_id: str, voucher_code: str, out_biz_no: str, biz_dt: str) -> None:
        """`alipay.marketing.activity.ordervoucher.refund`: a refund gave the redeemed voucher back (退回同步);
        it is usable again in the card package. Idempotent on `out_biz_no`."""
        await self.execute("alipay.marketing.activity.ordervoucher.refund", {
            "activity_id": activity_id, "voucher_code": voucher_code, "out_biz_no": out_biz_no, "biz_dt": biz_dt})

    # --- 集分宝 (Alipay points) --------------------------------------------------------------------------------

    async def point_budget(self, budget_code: str) -> int:
        """`alipay.user.alipaypoint.budgetlib.query`: the 集分宝 still in the merchant's budget library
        (0 when it is not enabled)."""
        data = await self.execute("alipay.user.alipaypoint.budgetlib.query", {"budget_code": budget_code})
        enabled = str(data.get("enabled", "true")).lower() != "false"
        return int(data.get("remain_amount") or 0) if enabled else 0

    async def point_send(self, *, budget_code: str, partner_biz_no: str, point_amount: int, user_id: str,
                         memo: str) -> str:
        """`alipay.user.alipaypoint.send`: `point_amount` 集分宝 from the budget into the buyer's Alipay account
        (100 are worth ¥1). The same `partner_biz_no` again pays nothing more. → record_id."""
        data = await self.execute("alipay.user.alipaypoint.send", {
            "budget_code": budget_code, "partner_biz_no": partner_biz_no, "point_amount": point_amount,
            "user_id": user_id, "memo": memo[:64]})
        return str(data.get("record_id", ""))

    # --- agreement deduction (商户代扣) -------------------------------------------------------------------------

    def agreement_sign_str(self, *, external_agreement_no: str, notify_url: str | None = None) -> str:
        """The signed order string of `alipay.user.agreement.page.sign` (general withholding, signed in the
        Alipay app): the client opens Alipay's signing page with it; the server never posts it."""
        biz = {"personal_product_code": "GENERAL_WITHHOLDING_P", "product_code": "GENERAL_WITHHOLDING",
               "sign_scene": "INDUSTRY|DIGITAL_MEDIA", "external_agreement_no": external_agreement_no,
               "access_params": {"channel": "ALIPAYAPP"}}
        query, body = self.build_request("alipay.user.agreement.page.sign", biz, notify_url=notify_url)
        return urlencode({**query, **body})

    async def agreement_query(self, external_agreement_no: str) -> tuple[str, str, str | None]:
        """`alipay.user.agreement.query`: (agreement_no, status NORMAL/STOP/TEMP, the signer's user id)."""
        data = await self.execute("alipay.user.agreement.query", {
            "personal_product_code": "GENERAL_WITHHOLDING_P", "sign_scene": "INDUSTRY|DIGITAL_MEDIA",
            "external_agreement_no": external_agreement_no})
        return str(data.get("agreement_no", "")), str(data.get("status", "")), data.get("principal_id")

    async def trade_pay_by_agreement(self, *, out_trade_no: str, amount_fen: int, subject: str,
                                     agreement_no: str) -> TradePayResult:
        """`alipay.trade.pay` deducting from the buyer's account under a signed agreement (GENERAL_WITHHOLDING).
        Like any `trade.pay`: an AlipayError other than a business refusal leaves the outcome to `trade_query`."""
        data = await self.execute("alipay.trade.pay", {
            "out_trade_no": out_trade_no, "total_amount": fen_to_yuan(amount_fen), "subject": subject,
            "product_code": "GENERAL_WITHHOLDING", "agreement_params": {"agreement_no": agreement_no}})
        return TradePayResult(
            trade_no=str(data.get("trade_no", "")), out_trade_no=str(data.get("out_trade_no", out_trade_no)),
            amount_fen=yuan_to_fen(str(data.get("total_amount", "0"))), buyer_user_id=data.get("buyer_user_id"))

    # --- mini-program messages --------------------------------------------------------------------------

    async def mini_template_message_send(self, *, to_user_id: str, user_template_id: str, page: str,
                                         data: Mapping[str, Any]) -> None:
        """`alipay.open.app.mini.templatemessage.send`: one subscription message to a buyer who granted the
        template (my.requestSubscribeMessage; no form_id then). `data` goes as a JSON string, as Alipay wants:
        `{"keyword1": {"value": "..."}, ...}`."""
        await self.execute("alipay.open.app.mini.templatemessage.send", {
            "to_user_id": to_user_id, "user_template_id": user_template_id, "page": page,
            "data": json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"))})


def _fen(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    return yuan_to_fen(str(value)) if value not in (None, "") else 0


def _fund_auth(data: Mapping[str, Any]) -> FundAuthResult:
    return FundAuthResult(auth_no=str(data.get("auth_no", "")), status=str(data.get("status", "")),
                          amount_fen=_fen(data, "amount"), rest_fen=_fen(data, "rest_amount"),
                          credit_fen=_fen(data, "credit_amount"), fund_fen=_fen(data, "fund_amount"),
                          payer_user_id=data.get("payer_user_id"))
