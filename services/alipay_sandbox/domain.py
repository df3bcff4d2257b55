"""The sandbox's Alipay: users, auth codes, trades and refunds as plain state and rules (no I/O).

Each `alipay.*` method takes the decoded biz params and returns the `<method>_response` body, or raises
`Failure` with Alipay's codes (40002 invalid arguments, 40004 business failure + `ACQ.*` sub codes).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from shared.money import ALIPAY_MAX_FEN, MIN_PAYABLE_FEN, MoneyError, fen_to_yuan, yuan_to_fen

BEIJING = timezone(timedelta(hours=8))
OUT_TRADE_NO = re.compile(r"^[A-Za-z0-9_]{1,64}$")
USER_ID = re.compile(r"^2088[0-9]{12}$")
CHANNELS = {"ALIPAYACCOUNT", "PCREDIT", "BANKCARD", "FINANCEACCOUNT", "COUPON", "POINT", "PCARD", "MCARD"}
PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")


class Failure(Exception):
    def __init__(self, code: str, msg: str, sub_code: str = "", sub_msg: str = ""):
        super().__init__(f"{code} {sub_code} {sub_msg}")
        self.body = {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg or sub_code}


def invalid(sub_code: str, sub_msg: str = "") -> Failure:
    return Failure("40002", "Invalid Arguments", sub_code, sub_msg)


def business(sub_code: str, sub_msg: str = "") -> Failure:
    return Failure("40004", "Business Failed", sub_code, sub_msg)


def beijing_now() -> str:
    return datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class User:
    user_id: str
    nickname: str
    credit_score: int

    @property
    def open_id(self) -> str:  # app-scoped id, stable per user (real ones are opaque too)
        return "0" + hashlib.sha256(self.user_id.encode()).hexdigest()[:40]


@dataclass
class Trade:
    trade_no: str
    out_trade_no: str
    total_fen: int
    subject: str
    notify_url: str | None
    buyer_id: str | None
    buyer_open_id: str | None
    hb_fq_num: int | None = None
    hb_fq_seller_percent: int | None = None
    status: str = "WAIT_BUYER_PAY"
    channel: str | None = None
    gmt_create: str = field(default_factory=beijing_now)
    gmt_payment: str | None = None
    refunds: dict[str, int] = field(default_factory=dict)  # out_request_no -> fen
    notify_id: str | None = None
    auth_code: str | None = None  # the payment code or face token of a store payment
    settles: str | None = None  # a store payment still confirming: what a query finds ("paid" or "unpaid")
    auth_no: str | None = None  # paid from this fund authorisation

    @property
    def refunded_fen(self) -> int:
        return sum(self.refunds.values())


def _amount(value: Any, name: str) -> int:
    try:
        fen = yuan_to_fen(str(value))
    except MoneyError:
        raise invalid("isv.invalid-parameter", f"{name} is not a yuan amount") from None
    if not MIN_PAYABLE_FEN <= fen <= ALIPAY_MAX_FEN:
        raise invalid("isv.invalid-parameter", f"{name} out of range")
    return fen


@dataclass
class PaymentCode:
    """A buyer's payment code (scene bar_code) or a face device's token (security_code), and how the sandbox
    answers the store charge made with it (set by the test that issued it)."""

    code: str
    scene: str
    user_id: str
    outcome: str  # success | paying (10003) | error (ACQ.SYSTEM_ERROR) | fail (40004)
    then: str  # paying/error: what later queries find, "paid" or "unpaid" (never settles)
    out_trade_no: str | None = None  # single use: the trade it paid


@dataclass
class FundAuth:
    """A fund authorisation (预授权) in the credit-backed mode: Sesame stands for `credit_fen`, the buyer's
    funds for the rest."""

    auth_no: str
    out_order_no: str
    out_request_no: str
    payer_user_id: str
    amount_fen: int
    credit_fen: int
    status: str = "SUCCESS"
    paid_fen: int = 0
    unfrozen: dict[str, int] = field(default_factory=dict)  # out_request_no -> fen
    cancelled: bool = False  # the merchant cancelled the freeze (alipay.fund.auth.operation.cancel)
    gmt_trans: str = field(default_factory=beijing_now)
    notify_id: str = field(default_factory=lambda: secrets.token_hex(16))  # the same across retries

    @property
    def rest_fen(self) -> int:
        return self.amount_fen - self.paid_fen - sum(self.unfrozen.values())


@dataclass
class MemberCard:
    """A member card in a buyer's card package (卡包), as the merchant opened and last updated it."""

    biz_card_no: str
    template_id: str
    user_id: str
    external_card_no: str
    level: str
    point: int
    updates: int = 0


@dataclass
class TemplateMessage:
    """One mini-program message as the sandbox received it (what the buyer would see in Alipay)."""

    to_user_id: str
    user_template_id: str
    page: str
    data: dict[str, Any]
    received_at: str = field(default_factory=beijing_now)


@dataclass
class VoucherActivity:
    """A merchant voucher activity (商家券) and how many of its vouchers were sent."""

    activity_id: str
    name: str
    voucher_type: str
    quantity: int
    per_user_limit: int
    sent: int = 0


@dataclass
class Voucher:
    """One voucher in a buyer's card package; `uses` and `refunds` are the merchant's reports, by out_biz_no."""

    voucher_code: str
    activity_id: str
    user_id: str
    status: str = "AVAILABLE"  # AVAILABLE | USED
    uses: list[str] = field(default_factory=list)
    refunds: list[str] = field(default_factory=list)


class Sandbox:
    def __init__(self, *, seller_id: str, default_credit_score: int = 700):
        self.seller_id = seller_id
        self.default_credit_score = default_credit_score
        self.users: dict[str, User] = {}
        self.auth_codes: dict[str, str] = {}  # code -> user_id (single use)
        self.tokens: dict[str, str] = {}  # access or refresh token -> user_id
        self.trades: dict[str, Trade] = {}  # by trade_no
        self.by_out_trade_no: dict[str, str] = {}
        self.messages: list[TemplateMessage] = []
        self.payment_codes: dict[str, PaymentCode] = {}
        self.cancelled: set[str] = set()  # out_trade_no cancelled before any trade existed
        self.fund_auths: dict[str, FundAuth] = {}  # by auth_no
        self.cancelled_freezes: set[tuple[str, str]] = set()  # (out_order_no, out_request_no) cancelled unconfirmed
        self.card_templates: dict[str, str] = {}  # request_id -> template_id
        self.cards: dict[str, MemberCard] = {}  # by biz_card_no
        self.card_serials: dict[str, str] = {}  # out_serial_no -> biz_card_no
        self.voucher_activities: dict[str, VoucherActivity] = {}  # by activity_id
        self.voucher_requests: dict[str, str] = {}  # the out_biz_no of a create, send, use or refund -> its answer key
        self.vouchers: dict[str, Voucher] = {}  # by voucher_code
        self.point_budgets: dict[str, int] = {}  # 集分宝 budget_code -> what is left
        self.point_sends: dict[str, dict[str, Any]] = {}  # partner_biz_no -> the send
        self.agreements: dict[str, dict[str, Any]] = {}  # external_agreement_no -> the signed agreement
        self.web_sessions: dict[str, str] = {}  # the buyer's browser session (cookie) -> user_id
        self.message_failures = 0  # the next sends answer "system busy" (a test of the mall's retries)

    # --- test users and login ---------------------------------------------------------------------------

    def issue_auth_code(self, user_id: str | None, nickname: str | None, credit_score: int | None) -> tuple[str, str]:
        uid = user_id or "2088" + "".join(secrets.choice("0123456789") for _ in range(12))
        user = self.users.get(uid)
        if user is None:
            user = self.users[uid] = User(uid, nickname or f"沙箱用户{uid[-4:]}",
                                          credit_score or self.default_credit_score)
        else:
            user.nickname = nickname or user.nickname
            user.credit_score = credit_score or user.credit_score
        code = secrets.token_hex(16)
        self.auth_codes[code] = uid
        return code, uid

    def oauth_token(self, params: dict[str, str]) -> dict[str, Any]:
        grant = params.get("grant_type")
        if grant == "authorization_code":
            uid = self.auth_codes.pop(params.get("code", ""), None)
        elif grant == "refresh_token":
            uid = self.tokens.get(params.get("refresh_token", ""))
        else:
            raise invalid("isv.grant-type-invalid", "grant_type must be authorization_code or refresh_token")
        if uid is None:
            raise invalid("isv.code-invalid", "授权码无效")  # unknown, used or expired
        user = self.users[uid]
        access, refresh = secrets.token_hex(20), secrets.token_hex(20)
        self.tokens[access] = self.tokens[refresh] = uid
        return {"user_id": uid, "open_id": user.open_id, "access_token": access, "expires_in": 3600,
                "refresh_token": refresh, "re_expires_in": 2592000, "auth_start": beijing_now()}

    def _user_for(self, auth_token: str | None) -> User:
        uid = self.tokens.get(auth_token or "")
        if uid is None:
            raise invalid("aop.invalid-auth-token", "无效的访问令牌")
        return self.users[uid]

    def user_info(self, auth_token: str | None) -> dict[str, Any]:
        user = self._user_for(auth_token)
        return {"user_id": user.user_id, "open_id": user.open_id, "nick_name": user.nickname,
                "avatar": f"https://sandbox.invalid/avatar/{user.user_id}.png"}

    def credit_score(self, auth_token: str | None, biz: dict[str, Any]) -> dict[str, Any]:
        user = self._user_for(auth_token)
        return {"biz_no": "ZM" + secrets.token_hex(12), "zm_score": str(user.credit_score)}

    # --- trades -----------------------------------------------------------------------------------------

    def _trade(self, biz: dict[str, Any]) -> Trade:
        trade_no = biz.get("trade_no")
        if not trade_no:
            trade_no = self.by_out_trade_no.get(str(biz.get("out_trade_no", "")))
        trade = self.trades.get(str(trade_no)) if trade_no else None
        if trade is None:
            raise business("ACQ.TRADE_NOT_EXIST", "交易不存在")
        return trade

    def trade_create(self, biz: dict[str, Any], notify_url: str | None) -> dict[str, Any]:
        out_trade_no = str(biz.get("out_trade_no", ""))
        if not OUT_TRADE_NO.match(out_trade_no):
            raise invalid("isv.invalid-parameter", "out_trade_no")
        total = _amount(biz.get("total_amount"), "total_amount")
        subject = str(biz.get("subject", ""))
        if not subject or len(subject) > 256 or any(c in subject for c in "/=&"):
            raise invalid("isv.invalid-parameter", "subject")
        buyer_id, buyer_open_id = biz.get("buyer_id"), biz.get("buyer_open_id")
        if biz.get("product_code") == "JSAPI_PAY" and not (buyer_id or buyer_open_id):
            raise business("ACQ.INVALID_PARAMETER", "buyer_id or buyer_open_id is required for JSAPI_PAY")
        if buyer_id == self.seller_id:
            raise business("ACQ.BUYER_SELLER_EQUAL", "买卖家不能相同")
        hb_num, hb_pct = self._huabei(biz.get("extend_params") or {})
        existing = self.by_out_trade_no.get(out_trade_no)
        if existing:
            trade = self.trades[existing]
            if trade.status in PAID:
                raise business("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
            if trade.status == "TRADE_CLOSED":
                raise business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
            if (trade.total_fen, trade.hb_fq_num, trade.hb_fq_seller_percent) != (total, hb_num, hb_pct):
                raise business("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
            return {"trade_no": trade.trade_no, "out_trade_no": out_trade_no}
        trade_no = datetime.now(BEIJING).strftime("%Y%m%d") + "22" + secrets.token_hex(10)
        self.trades[trade_no] = Trade(trade_no, out_trade_no, total, subject, notify_url, buyer_id, buyer_open_id,
                                      hb_num, hb_pct)
        self.by_out_trade_no[out_trade_no] = trade_no
        return {"trade_no": trade_no, "out_trade_no": out_trade_no}

    @staticmethod
    def _huabei(extend: dict[str, Any]) -> tuple[int | None, int | None]:
        num, pct = extend.get("hb_fq_num"), extend.get("hb_fq_seller_percent")
        if num is None and pct is None:
            return None, None
        if str(num) not in ("3", "6", "12") or str(pct) not in ("0", "100"):
            raise business("ACQ.INVALID_PARAMETER", "hb_fq_num 3/6/12 and hb_fq_seller_percent 0/100, together")
        return int(str(num)), int(str(pct))

    def pay(self, trade_no: str, channel: str | None, payer: str | None = None) -> Trade:
        """The buyer confirms in the cashier. `payer`: the Alipay user signed in to the cashier page, who must be
        the buyer the trade was opened for (JSAPI_PAY names one); None stands for that buyer (the test API).
        Returns the trade; the caller sends the notify."""
        trade = self.trades.get(trade_no)
        if trade is None:
            raise business("ACQ.TRADE_NOT_EXIST", "交易不存在")
        if payer is not None and not self.may_pay(trade, payer):
            raise business("ACQ.PAYER_UNMATCHED", "付款人与交易买家不一致")
        if trade.status != "WAIT_BUYER_PAY":
            raise business("ACQ.TRADE_STATUS_ERROR", f"trade is {trade.status}")
        chosen = channel or ("PCREDIT" if trade.hb_fq_num else "ALIPAYACCOUNT")
        if chosen not in CHANNELS:
            raise invalid("isv.invalid-parameter", f"channel must be one of {sorted(CHANNELS)}")
        trade.status, trade.channel, trade.gmt_payment = "TRADE_SUCCESS", chosen, beijing_now()
        trade.notify_id = secrets.token_hex(16)  # stays the same across retries (notes §2.3)
        return trade

    def may_pay(self, trade: Trade, user_id: str) -> bool:
        """Whether `user_id` is the trade's buyer (by user id or app-scoped open_id); any user if it named none."""
        if trade.buyer_id:
            return trade.buyer_id == user_id
        user = self.users.get(user_id)
        return not trade.buyer_open_id or (user is not None and trade.buyer_open_id == user.open_id)

    def notify_params(self, trade: Trade, app_id: str) -> dict[str, str]:
        amount = fen_to_yuan(trade.total_fen)
        params = {
            "notify_time": beijing_now(), "notify_type": "trade_status_sync", "notify_id": trade.notify_id or "",
            "app_id": app_id, "auth_app_id": app_id, "charset": "utf-8", "version": "1.0",
            "trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no, "buyer_id": trade.buyer_id or "",
            "buyer_open_id": trade.buyer_open_id or "", "seller_id": self.seller_id, "trade_status": trade.status,
            "total_amount": amount, "receipt_amount": amount, "buyer_pay_amount": amount, "invoice_amount": amount,
            "subject": trade.subject, "gmt_create": trade.gmt_create, "gmt_payment": trade.gmt_payment or "",
            "fund_bill_list": f'[{{"amount":"{amount}","fundChannel":"{trade.channel}"}}]',
        }
        return {k: v for k, v in params.items() if v}

    def trade_query(self, biz: dict[str, Any]) -> dict[str, Any]:
        trade = self._trade(biz)
        if trade.status == "WAIT_BUYER_PAY" and trade.settles == "paid":  # the buyer confirmed meanwhile
            self._paid(trade, "ALIPAYACCOUNT")
        body: dict[str, Any] = {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no,
                                "trade_status": trade.status, "total_amount": fen_to_yuan(trade.total_fen),
                                "buyer_user_id": trade.buyer_id or ""}
        if trade.status in PAID or trade.refunds:
            body["send_pay_date"] = trade.gmt_payment
            body["fund_bill_list"] = [{"amount": fen_to_yuan(trade.total_fen), "fund_channel": trade.channel}]
        return body

    def trade_close(self, biz: dict[str, Any]) -> dict[str, Any]:
        trade = self._trade(biz)
        if trade.status in PAID:
            raise business("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
        trade.status = "TRADE_CLOSED"
        return {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no}

    def trade_refund(self, biz: dict[str, Any]) -> dict[str, Any]:
        trade = self._trade(biz)
        amount = _amount(biz.get("refund_amount"), "refund_amount")
        request_no = str(biz.get("out_request_no") or trade.out_trade_no)
        fund_change = "N"
        if request_no in trade.refunds:
            if trade.refunds[request_no] != amount:
                raise business("ACQ.REASON_TRADE_REFUND_FEE_ERR", "退款金额与原请求不一致")
        else:
            if trade.status not in PAID:
                raise business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            if trade.refunded_fen + amount > trade.total_fen:
                raise business("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
            trade.refunds[request_no] = amount
            fund_change = "Y"
            if trade.refunded_fen == trade.total_fen:
                trade.status = "TRADE_CLOSED"  # fully refunded
        return {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no, "fund_change": fund_change,
                "refund_fee": fen_to_yuan(trade.refunded_fen), "gmt_refund_pay": beijing_now(),
                "buyer_user_id": trade.buyer_id or ""}

    def refund_query(self, biz: dict[str, Any]) -> dict[str, Any]:
        trade = self._trade(biz)
        request_no = str(biz.get("out_request_no") or trade.out_trade_no)
        body: dict[str, Any] = {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no,
                                "out_request_no": request_no}
        if request_no in trade.refunds:  # an unknown refund answers 10000 with no status (notes §2.4)
            body.update(refund_amount=fen_to_yuan(trade.refunds[request_no]),
                        total_amount=fen_to_yuan(trade.total_fen), refund_status="REFUND_SUCCESS")
        return body

    # --- store payments (当面付, 刷脸付) and fund authorisations (预授权) -----------------------------------------

    def issue_payment_code(self, scene: str, user_id: str | None, outcome: str, then: str) -> PaymentCode:
        uid = user_id or "2088" + "".join(secrets.choice("0123456789") for _ in range(12))
        self.users.setdefault(uid, User(uid, f"沙箱用户{uid[-4:]}", self.default_credit_score))
        if scene == "bar_code":  # what a buyer's payment code looks like: 18 digits from 25-30
            code = "28" + "".join(secrets.choice("0123456789") for _ in range(16))
        else:
            code = "fp" + secrets.token_hex(16)
        found = self.payment_codes[code] = PaymentCode(code, scene, uid, outcome, then)
        return found

    def _paid(self, trade: Trade, channel: str) -> None:
        trade.status, trade.channel, trade.gmt_payment = "TRADE_SUCCESS", channel, beijing_now()
        trade.settles = None

    def _pay_answer(self, trade: Trade) -> dict[str, Any]:
        return {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no, "buyer_user_id": trade.buyer_id or "",
                "total_amount": fen_to_yuan(trade.total_fen), "receipt_amount": fen_to_yuan(trade.total_fen),
                "gmt_payment": trade.gmt_payment or "",
                "fund_bill_list": [{"amount": fen_to_yuan(trade.total_fen), "fund_channel": trade.channel}]}

    def trade_pay(self, biz: dict[str, Any]) -> dict[str, Any]:
        """`alipay.trade.pay`: a store payment (scene + auth_code) or a payment from a fund authorisation
        (auth_no). The same out_trade_no again answers the trade's state (Alipay's idempotency)."""
        out_trade_no = str(biz.get("out_trade_no", ""))
        if not OUT_TRADE_NO.match(out_trade_no):
            raise invalid("isv.invalid-parameter", "out_trade_no")
        total = _amount(biz.get("total_amount"), "total_amount")
        subject = str(biz.get("subject", ""))
        if not subject or len(subject) > 256:
            raise invalid("isv.invalid-parameter", "subject")
        if out_trade_no in self.cancelled:
            raise business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
        if biz.get("auth_no"):
            return self._pay_from_auth(biz, out_trade_no, total, subject)
        if biz.get("product_code") == "GENERAL_WITHHOLDING":
            return self._pay_by_agreement(biz, out_trade_no, total, subject)
        scene, auth_code = str(biz.get("scene", "")), str(biz.get("auth_code", ""))
        if scene not in ("bar_code", "security_code"):
            raise invalid("isv.invalid-parameter", "scene must be bar_code or security_code")
        existing = self.by_out_trade_no.get(out_trade_no)
        if existing:
            trade = self.trades[existing]
            if trade.auth_code != auth_code or trade.total_fen != total:
                raise business("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
            return self._store_answer(trade)
        code = self.payment_codes.get(auth_code)
        if code is None or code.scene != scene or code.out_trade_no is not None:
            raise business("ACQ.PAYMENT_AUTH_CODE_INVALID", "支付失败，获取顾客账户信息失败")
        code.out_trade_no = out_trade_no
        if code.outcome == "fail":
            raise business("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足")
        trade_no = datetime.now(BEIJING).strftime("%Y%m%d") + "22" + secrets.token_hex(10)
        trade = Trade(trade_no, out_trade_no, total, subject, None, code.user_id, None, auth_code=auth_code)
        self.trades[trade_no] = trade
        self.by_out_trade_no[out_trade_no] = trade_no
        if code.outcome == "success":
            self._paid(trade, "ALIPAYACCOUNT")
        elif code.outcome == "error":  # taken or not, Alipay could not say: the merchant must query
            if code.then == "paid":
                self._paid(trade, "ALIPAYACCOUNT")
            raise Failure("20000", "Service Currently Unavailable", "ACQ.SYSTEM_ERROR", "系统错误")
        else:  # paying: the buyer is entering a password; a query later finds what `then` says
            trade.settles = code.then
        return self._store_answer(trade)

    def _store_answer(self, trade: Trade) -> dict[str, Any]:
        if trade.status in PAID:
            return self._pay_answer(trade)
        if trade.status == "WAIT_BUYER_PAY":
            return {"code": "10003", "msg": "Waiting for user to pay", "trade_no": trade.trade_no,
                    "out_trade_no": trade.out_trade_no, "buyer_user_id": trade.buyer_id or ""}
        raise business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")

    def _pay_from_auth(self, biz: dict[str, Any], out_trade_no: str, total: int, subject: str) -> dict[str, Any]:
        if biz.get("product_code") != "PREAUTH_PAY":
            raise invalid("isv.invalid-parameter", "product_code must be PREAUTH_PAY with auth_no")
        auth = self.fund_auths.get(str(biz.get("auth_no")))
        if auth is None:
            raise business("ACQ.AUTH_NO_ERROR", "预授权号错误或状态不对")
        existing = self.by_out_trade_no.get(out_trade_no)
        if existing:
            trade = self.trades[existing]
            if trade.auth_no != auth.auth_no or trade.total_fen != total:
                raise business("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
            return self._pay_answer(trade)
        if auth.status != "SUCCESS" or total > auth.rest_fen:
            raise business("ACQ.AUTH_AMOUNT_NOT_ENOUGH", "预授权金额不足")
        trade_no = datetime.now(BEIJING).strftime("%Y%m%d") + "22" + secrets.token_hex(10)
        trade = Trade(trade_no, out_trade_no, total, subject, None, auth.payer_user_id, None, auth_no=auth.auth_no)
        self._paid(trade, "PCREDIT" if auth.credit_fen else "ALIPAYACCOUNT")
        self.trades[trade_no] = trade
        self.by_out_trade_no[out_trade_no] = trade_no
        auth.paid_fen += total
        if biz.get("auth_confirm_mode") == "COMPLETE" and auth.rest_fen:
            auth.unfrozen[f"complete_{trade_no}"] = auth.rest_fen
        if auth.rest_fen == 0:
            auth.status = "FINISH"
        return self._pay_answer(trade)

    def trade_cancel(self, biz: dict[str, Any]) -> dict[str, Any]:
        """`alipay.trade.cancel`: closes a waiting trade, refunds a paid one in full; a trade that never came
        into being is remembered so that a late `trade.pay` with that number is refused."""
        out_trade_no = str(biz.get("out_trade_no", ""))
        trade_no = self.by_out_trade_no.get(out_trade_no)
        if trade_no is None:
            if not OUT_TRADE_NO.match(out_trade_no):
                raise invalid("isv.invalid-parameter", "out_trade_no")
            self.cancelled.add(out_trade_no)
            return {"out_trade_no": out_trade_no, "retry_flag": "N", "action": "close"}
        trade = self.trades[trade_no]
        action = "close"
        if trade.status in PAID:
            trade.refunds.setdefault("cancel", trade.total_fen - trade.refunded_fen)
            action = "refund"
        trade.status, trade.settles = "TRADE_CLOSED", None
        return {"trade_no": trade.trade_no, "out_trade_no": out_trade_no, "retry_flag": "N", "action": action}

    def start_web_session(self, user_id: str) -> str:
        """The buyer is signed in to Alipay in this browser (the sandbox's pages read it from a cookie)."""
        token = secrets.token_urlsafe(24)
        self.web_sessions[token] = user_id
        return token

    def freeze_request(self, params: dict[str, str]) -> dict[str, Any]:
        """The biz content of an `alipay.fund.auth.order.app.freeze` order string (signature verified by the
        caller): what the buyer is asked to confirm."""
        if params.get("method") != "alipay.fund.auth.order.app.freeze":
            raise invalid("isv.invalid-method", "not a freeze order string")
        try:
            biz = json.loads(params.get("biz_content") or "{}")
        except ValueError:
            raise invalid("isv.invalid-parameter", "biz_content is not JSON") from None
        if not isinstance(biz, dict) or biz.get("product_code") != "PRE_AUTH_ONLINE":
            raise invalid("isv.invalid-parameter", "product_code must be PRE_AUTH_ONLINE")
        _amount(biz.get("amount"), "amount")
        out_order_no, out_request_no = str(biz.get("out_order_no", "")), str(biz.get("out_request_no", ""))
        if not OUT_TRADE_NO.match(out_order_no) or not OUT_TRADE_NO.match(out_request_no):
            raise invalid("isv.invalid-parameter", "out_order_no / out_request_no")
        return biz

    def credit_cover_fen(self, biz: dict[str, Any], user_id: str) -> int:
        """How much of the freeze Sesame stands for: all of it in the credit-backed mode from a score of 650."""
        user = self.users.get(user_id)
        score = user.credit_score if user else self.default_credit_score
        credit_backed = biz.get("deposit_product_mode") == "DEPOSIT_ONLY" and score >= 650
        return _amount(biz.get("amount"), "amount") if credit_backed else 0

    def find_freeze(self, biz: dict[str, Any]) -> FundAuth | None:
        key = (str(biz.get("out_order_no", "")), str(biz.get("out_request_no", "")))
        return next((a for a in self.fund_auths.values() if (a.out_order_no, a.out_request_no) == key), None)

    def freeze_closed(self, params: dict[str, str], biz: dict[str, Any]) -> Failure | None:
        """Why Alipay no longer lets the buyer confirm an unconfirmed freeze request (the merchant cancelled it,
        or it is past its `timeout_express`), or None while it can be confirmed."""
        if (str(biz["out_order_no"]), str(biz["out_request_no"])) in self.cancelled_freezes:
            return business("ACQ.AUTH_ORDER_HAS_CLOSED", "授权订单已关闭")
        if _freeze_expired(params.get("timestamp", ""), str(biz.get("timeout_express") or "15d")):
            return business("ACQ.AUTH_ORDER_HAS_CLOSED", "授权订单已超时关闭")
        return None

    def confirm_freeze(self, params: dict[str, str], user_id: str) -> FundAuth:
        """The buyer confirms an `alipay.fund.auth.order.app.freeze` order string in Alipay (what
        `my.tradePay({orderStr})` does). Signature verified by the caller. Sesame stands for the whole amount
        when the buyer's score reaches 650, else the funds are frozen."""
        biz = self.freeze_request(params)
        found = self.find_freeze(biz)
        if found is not None:
            return found  # confirmed before
        closed = self.freeze_closed(params, biz)
        if closed is not None:
            raise closed
        amount = _amount(biz.get("amount"), "amount")
        out_order_no, out_request_no = str(biz["out_order_no"]), str(biz["out_request_no"])
        self.users.setdefault(user_id, User(user_id, f"沙箱用户{user_id[-4:]}", self.default_credit_score))
        credit_fen = self.credit_cover_fen(biz, user_id)
        auth_no = datetime.now(BEIJING).strftime("%Y%m%d") + "10" + secrets.token_hex(10)
        found = self.fund_auths[auth_no] = FundAuth(auth_no, out_order_no, out_request_no, user_id, amount,
                                                    credit_fen)
        return found

    def freeze_notify_params(self, auth: FundAuth, app_id: str) -> dict[str, str]:
        """The `fund_auth_freeze` notify Alipay posts to the order string's notify_url once the buyer confirmed."""
        amount = fen_to_yuan(auth.amount_fen)
        params = {
            "notify_time": beijing_now(), "notify_type": "fund_auth_freeze", "notify_id": auth.notify_id,
            "app_id": app_id, "charset": "utf-8", "version": "1.0",
            "auth_no": auth.auth_no, "out_order_no": auth.out_order_no, "out_request_no": auth.out_request_no,
            "operation_id": auth.auth_no[-12:], "operation_type": "FREEZE", "status": auth.status,
            "amount": amount, "total_freeze_amount": amount, "rest_amount": fen_to_yuan(auth.rest_fen),
            "total_pay_amount": fen_to_yuan(auth.paid_fen), "credit_amount": fen_to_yuan(auth.credit_fen),
            "fund_amount": fen_to_yuan(auth.amount_fen - auth.credit_fen),
            "pre_auth_type": "CREDIT_AUTH" if auth.credit_fen else "", "trans_currency": "CNY",
            "payer_user_id": auth.payer_user_id, "payee_user_id": self.seller_id,
            "gmt_create": auth.gmt_trans, "gmt_trans": auth.gmt_trans,
        }
        return {k: v for k, v in params.items() if v}

    def _auth_answer(self, auth: FundAuth, amount_fen: int) -> dict[str, Any]:
        return {"auth_no": auth.auth_no, "out_order_no": auth.out_order_no, "status": auth.status,
                "amount": fen_to_yuan(amount_fen), "rest_amount": fen_to_yuan(auth.rest_fen),
                "total_pay_amount": fen_to_yuan(auth.paid_fen), "credit_amount": fen_to_yuan(auth.credit_fen),
                "fund_amount": fen_to_yuan(auth.amount_fen - auth.credit_fen), "payer_user_id": auth.payer_user_id}

    def fund_auth_query(self, biz: dict[str, Any]) -> dict[str, Any]:
        """`alipay.fund.auth.operation.detail.query` by out_order_no + out_request_no."""
        key = (str(biz.get("out_order_no", "")), str(biz.get("out_request_no", "")))
        for auth in self.fund_auths.values():
            if (auth.out_order_no, auth.out_request_no) == key:
                return {**self._auth_answer(auth, auth.amount_fen), "out_request_no": auth.out_request_no}
        raise business("ACQ.AUTH_ORDER_NOT_EXIST", "支付宝资金授权订单不存在")

    def fund_auth_unfreeze(self, biz: dict[str, Any]) -> dict[str, Any]:
        auth = self.fund_auths.get(str(biz.get("auth_no", "")))
        if auth is None:
            raise business("ACQ.AUTH_ORDER_NOT_EXIST", "支付宝资金授权订单不存在")
        amount = _amount(biz.get("amount"), "amount")
        request_no = str(biz.get("out_request_no", ""))
        if not OUT_TRADE_NO.match(request_no):
            raise invalid("isv.invalid-parameter", "out_request_no")
        if request_no in auth.unfrozen:
            if auth.unfrozen[request_no] != amount:
                raise business("ACQ.CONTEXT_INCONSISTENT", "请求信息不一致")
        elif amount > auth.rest_fen:
            raise business("ACQ.UNFREEZE_AMOUNT_LARGER_THAN_REST_AMOUNT", "解冻金额大于剩余冻结金额")
        else:
            auth.unfrozen[request_no] = amount
        if auth.rest_fen == 0:
            auth.status = "FINISH"
        return {**self._auth_answer(auth, amount), "out_request_no": request_no}

    def fund_auth_cancel(self, biz: dict[str, Any]) -> dict[str, Any]:
        """`alipay.fund.auth.operation.cancel` by out_order_no + out_request_no: a confirmed freeze is unfrozen
        in full (`unfreeze`); one never confirmed is closed, so a later confirmation is refused (`close`)."""
        key = (str(biz.get("out_order_no", "")), str(biz.get("out_request_no", "")))
        if not all(OUT_TRADE_NO.match(part) for part in key) or not biz.get("remark"):
            raise invalid("isv.invalid-parameter", "out_order_no, out_request_no and remark")
        auth = self.find_freeze({"out_order_no": key[0], "out_request_no": key[1]})
        if auth is None:
            self.cancelled_freezes.add(key)
            return {"out_order_no": key[0], "out_request_no": key[1], "action": "close"}
        if auth.paid_fen:
            raise business("ACQ.AUTH_ORDER_HAS_PAID", "授权订单已有支付，不能撤销")
        if not auth.cancelled:
            if auth.rest_fen:
                auth.unfrozen["cancel"] = auth.rest_fen
            auth.cancelled, auth.status = True, "CLOSED"
        return {"auth_no": auth.auth_no, "out_order_no": key[0], "out_request_no": key[1],
                "operation_id": auth.auth_no[-12:], "action": "unfreeze"}

    # --- member cards (卡包) ----------------------------------------------------------------------------------

    def card_template_create(self, biz: dict[str, Any]) -> dict[str, Any]:
        request_id = str(biz.get("request_id", ""))
        style = biz.get("template_style_info") or {}
        if not request_id or not isinstance(style, dict) or not style.get("card_show_name"):
            raise invalid("isv.invalid-parameter", "request_id and template_style_info.card_show_name")
        if biz.get("write_off_type") not in ("qrcode", "barcode", "text", "dqrcode", "dbarcode"):
            raise invalid("isv.invalid-parameter", "write_off_type")
        template_id = self.card_templates.setdefault(request_id, "2026" + secrets.token_hex(12))
        return {"template_id": template_id}

    def card_open(self, biz: dict[str, Any]) -> dict[str, Any]:
        template_id = str(biz.get("card_template_id", ""))
        if template_id not in self.card_templates.values():
            raise business("CARD_TEMPLATE_NOT_EXIST", "模板不存在")
        user = biz.get("card_user_info") or {}
        ext = biz.get("card_ext_info") or {}
        user_id = str(user.get("user_uni_id", ""))
        if user.get("user_uni_id_type") != "UID" or not USER_ID.match(user_id):
            raise invalid("isv.invalid-parameter", "card_user_info: user_uni_id (2088…) with type UID")
        serial = str(biz.get("out_serial_no", ""))
        if not serial:
            raise invalid("isv.invalid-parameter", "out_serial_no")
        if serial in self.card_serials:  # the same opening again
            card = self.cards[self.card_serials[serial]]
        else:
            biz_card_no = "mp" + "".join(secrets.choice("0123456789") for _ in range(10))
            card = self.cards[biz_card_no] = MemberCard(biz_card_no, template_id, user_id,
                                                        str(ext.get("external_card_no", "")),
                                                        str(ext.get("level", "")), int(str(ext.get("point", 0))))
            self.card_serials[serial] = biz_card_no
        return {"card_info": {"biz_card_no": card.biz_card_no, "external_card_no": card.external_card_no,
                              "open_date": beijing_now()}}

    def card_update(self, biz: dict[str, Any]) -> dict[str, Any]:
        card = self.cards.get(str(biz.get("target_card_no", "")))
        if card is None or biz.get("target_card_no_type") != "BIZ_CARD":
            raise business("CARD_NOT_EXIST", "会员卡不存在")
        info = biz.get("card_info") or {}
        if "level" in info:
            card.level = str(info["level"])
        if "point" in info:
            card.point = int(str(info["point"]))
        card.updates += 1
        return {"result_code": "SUCCESS"}

    # --- merchant vouchers (商家券) --------------------------------------------------------------------------

    def _voucher_request(self, biz: dict[str, Any]) -> str:
        out_biz_no = str(biz.get("out_biz_no", ""))
        if not 1 <= len(out_biz_no) <= 64:
            raise invalid("isv.invalid-parameter", "out_biz_no")
        return out_biz_no

    def voucher_activity_create(self, biz: dict[str, Any]) -> dict[str, Any]:
        out_biz_no = self._voucher_request(biz)
        if out_biz_no in self.voucher_requests:  # the same creation again
            return {"activity_id": self.voucher_requests[out_biz_no]}
        base = biz.get("activity_base_info") or {}
        send = (biz.get("voucher_send_mode_info") or {}).get("voucher_send_rule_info") or {}
        deduct = biz.get("voucher_deduct_info") or {}
        kind = deduct.get("voucher_type")
        if not base.get("activity_name") or kind not in ("FIX_VOUCHER", "DISCOUNT_VOUCHER"):
            raise invalid("isv.invalid-parameter", "activity_base_info.activity_name, voucher_deduct_info")
        if kind == "FIX_VOUCHER":
            _amount((deduct.get("fix_voucher_info") or {}).get("amount"), "fix_voucher_info.amount")
        quantity, per_user = send.get("quantity"), send.get("quantity_limit_per_user")
        if not isinstance(quantity, int) or quantity < 1 or not isinstance(per_user, int) or per_user < 1:
            raise invalid("isv.invalid-parameter", "voucher_send_rule_info.quantity, quantity_limit_per_user")
        activity_id = "2026" + secrets.token_hex(10)
        self.voucher_activities[activity_id] = VoucherActivity(activity_id, str(base["activity_name"]), kind,
                                                               quantity, per_user)
        self.voucher_requests[out_biz_no] = activity_id
        return {"activity_id": activity_id}

    def voucher_send(self, biz: dict[str, Any]) -> dict[str, Any]:
        out_biz_no = self._voucher_request(biz)
        if out_biz_no in self.voucher_requests:  # the same send again: the same voucher
            return {"voucher_code": self.voucher_requests[out_biz_no]}
        activity = self.voucher_activities.get(str(biz.get("activity_id", "")))
        if activity is None:
            raise business("ACTIVITY_NOT_EXIST", "活动不存在")
        user_id = str(biz.get("user_id", ""))
        if not USER_ID.match(user_id):
            raise invalid("isv.invalid-parameter", "user_id must be an Alipay user id (2088 + 12 digits)")
        held = sum(1 for v in self.vouchers.values() if v.activity_id == activity.activity_id and v.user_id == user_id)
        if held >= activity.per_user_limit:
            raise business("EXCEED_LIMIT_PER_USER", "超过用户领取上限")
        if activity.sent >= activity.quantity:
            raise business("INVENTORY_NOT_ENOUGH", "券库存不足")
        activity.sent += 1
        code = "".join(secrets.choice("0123456789") for _ in range(16))
        self.vouchers[code] = Voucher(code, activity.activity_id, user_id)
        self.voucher_requests[out_biz_no] = code
        return {"voucher_code": code}

    def _voucher(self, biz: dict[str, Any]) -> Voucher:
        voucher = self.vouchers.get(str(biz.get("voucher_code", "")))
        if voucher is None or voucher.activity_id != biz.get("activity_id"):
            raise business("VOUCHER_NOT_EXIST", "券不存在")
        return voucher

    def voucher_use(self, biz: dict[str, Any]) -> dict[str, Any]:
        out_biz_no = self._voucher_request(biz)
        voucher = self._voucher(biz)
        if out_biz_no in voucher.uses:  # the same redemption reported again
            return {"activity_id": voucher.activity_id}
        if voucher.status != "AVAILABLE":
            raise business("VOUCHER_STATUS_NOT_AVAILABLE", "券状态不可用")
        _amount(biz.get("total_fee"), "total_fee")
        voucher.status = "USED"
        voucher.uses.append(out_biz_no)
        return {"activity_id": voucher.activity_id}

    def voucher_refund(self, biz: dict[str, Any]) -> dict[str, Any]:
        out_biz_no = self._voucher_request(biz)
        voucher = self._voucher(biz)
        if out_biz_no in voucher.refunds:
            return {"activity_id": voucher.activity_id}
        if voucher.status != "USED":
            raise business("VOUCHER_STATUS_NOT_USED", "券未核销")
        voucher.status = "AVAILABLE"
        voucher.refunds.append(out_biz_no)
        return {"activity_id": voucher.activity_id}

    # --- 集分宝 ------------------------------------------------------------------------------------------------

    def point_budget_query(self, biz: dict[str, Any]) -> dict[str, Any]:
        code = str(biz.get("budget_code", ""))
        if code not in self.point_budgets:
            raise business("BUDGET_NOT_EXIST", "预算库不存在")
        return {"budget_code": code, "enabled": True, "remain_amount": self.point_budgets[code]}

    def point_send(self, biz: dict[str, Any]) -> dict[str, Any]:
        biz_no = str(biz.get("partner_biz_no", ""))
        if not 1 <= len(biz_no) <= 64:
            raise invalid("isv.invalid-parameter", "partner_biz_no")
        if biz_no in self.point_sends:  # the same grant again: paid once
            sent = self.point_sends[biz_no]
            return {"record_id": sent["record_id"], "transaction_id": sent["record_id"]}
        code, user_id, amount = str(biz.get("budget_code", "")), str(biz.get("user_id", "")), biz.get("point_amount")
        if code not in self.point_budgets:
            raise business("BUDGET_NOT_EXIST", "预算库不存在")
        if not USER_ID.match(user_id) or not isinstance(amount, int) or amount < 1:
            raise invalid("isv.invalid-parameter", "user_id (2088…) and a positive point_amount")
        if amount > self.point_budgets[code]:
            raise business("BUDGET_NOT_ENOUGH", "预算库余额不足")
        self.point_budgets[code] -= amount
        record_id = "2026" + secrets.token_hex(10)
        self.point_sends[biz_no] = {"record_id": record_id, "budget_code": code, "user_id": user_id,
                                    "point_amount": amount, "memo": str(biz.get("memo", ""))}
        return {"record_id": record_id, "transaction_id": record_id}

    # --- agreement deduction (商户代扣) ----------------------------------------------------------------------

    def confirm_agreement(self, params: dict[str, str], user_id: str) -> dict[str, Any]:
        """The buyer signs on Alipay's page opened with an `alipay.user.agreement.page.sign` order string."""
        biz = json.loads(params.get("biz_content") or "{}")
        external = str(biz.get("external_agreement_no", ""))
        if params.get("method") != "alipay.user.agreement.page.sign" or not external:
            raise invalid("isv.invalid-parameter", "not an agreement signing order string")
        if biz.get("personal_product_code") != "GENERAL_WITHHOLDING_P":
            raise invalid("isv.invalid-parameter", "personal_product_code")
        agreement = self.agreements.setdefault(external, {
            "agreement_no": "2026" + "".join(secrets.choice("0123456789") for _ in range(16)),
            "external_agreement_no": external, "principal_id": user_id, "status": "NORMAL",
            "sign_time": beijing_now()})
        return agreement

    def agreement_query(self, biz: dict[str, Any]) -> dict[str, Any]:
        agreement = self.agreements.get(str(biz.get("external_agreement_no", "")))
        if agreement is None:
            raise business("USER_AGREEMENT_NOT_EXIST", "用户协议不存在")
        return dict(agreement)

    def _pay_by_agreement(self, biz: dict[str, Any], out_trade_no: str, total: int, subject: str) -> dict[str, Any]:
        agreement_no = str((biz.get("agreement_params") or {}).get("agreement_no", ""))
        existing = self.by_out_trade_no.get(out_trade_no)
        if existing:  # the same deduction again: its outcome, nothing taken twice
            return self._store_answer(self.trades[existing])
        agreement = next((a for a in self.agreements.values() if a["agreement_no"] == agreement_no), None)
        if agreement is None or agreement["status"] != "NORMAL":
            raise business("ACQ.AGREEMENT_NOT_EXIST", "用户协议不存在")
        trade_no = datetime.now(BEIJING).strftime("%Y%m%d") + "22" + secrets.token_hex(10)
        trade = Trade(trade_no, out_trade_no, total, subject, None, agreement["principal_id"], None)
        self.trades[trade_no] = trade
        self.by_out_trade_no[out_trade_no] = trade_no
        self._paid(trade, "ALIPAYACCOUNT")
        return self._pay_answer(trade)

    # --- mini-program subscription messages ---------------------------------------------------------------

    def template_message_send(self, biz: dict[str, Any]) -> dict[str, Any]:
        """`alipay.open.app.mini.templatemessage.send`: recorded for tests (`GET /sandbox/messages`)."""
        to_user_id = str(biz.get("to_user_id") or "")
        if not USER_ID.match(to_user_id):
            raise invalid("isv.invalid-parameter", "to_user_id must be an Alipay user id (2088 + 12 digits)")
        template_id = str(biz.get("user_template_id") or "")
        if not template_id or len(template_id) > 128:
            raise invalid("isv.invalid-parameter", "user_template_id")
        try:
            data = json.loads(str(biz.get("data") or ""))
        except ValueError:
            raise invalid("isv.invalid-parameter", "data must be a JSON string") from None
        if not isinstance(data, dict) or not all(isinstance(v, dict) and isinstance(v.get("value"), str)
                                                 for v in data.values()):
            raise invalid("isv.invalid-parameter", 'data is {"keyword1": {"value": "..."}, ...}')
        if self.message_failures > 0:
            self.message_failures -= 1
            raise Failure("20000", "Service Currently Unavailable", "isp.unknow-error", "系统繁忙")
        self.messages.append(TemplateMessage(to_user_id, template_id, str(biz.get("page") or ""), data))
        return {}


_TIMEOUT_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


def _freeze_expired(signed_at: str, timeout_express: str) -> bool:
    """Whether a freeze order string is past its `timeout_express` (`1m`…`15d`), counted from when the app signed
    it (its `timestamp`, Beijing time): Alipay no longer lets the buyer confirm it."""
    match = re.fullmatch(r"([1-9][0-9]*)([mhd])", timeout_express)
    if match is None:
        raise invalid("isv.invalid-parameter", "timeout_express")
    try:
        signed = datetime.strptime(signed_at, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except ValueError:
        raise invalid("isv.invalid-parameter", "timestamp") from None
    return datetime.now(BEIJING) > signed + int(match[1]) * _TIMEOUT_UNITS[match[2]]
