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
class TemplateMessage:
    """One mini-program message as the sandbox received it (what the buyer would see in Alipay)."""

    to_user_id: str
    user_template_id: str
    page: str
    data: dict[str, Any]
    received_at: str = field(default_factory=beijing_now)


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

    def pay(self, trade_no: str, channel: str | None) -> Trade:
        """The buyer confirms in the cashier. Returns the trade; the caller sends the notify."""
        trade = self.trades.get(trade_no)
        if trade is None:
            raise business("ACQ.TRADE_NOT_EXIST", "交易不存在")
        if trade.status != "WAIT_BUYER_PAY":
            raise business("ACQ.TRADE_STATUS_ERROR", f"trade is {trade.status}")
        chosen = channel or ("PCREDIT" if trade.hb_fq_num else "ALIPAYACCOUNT")
        if chosen not in CHANNELS:
            raise invalid("isv.invalid-parameter", f"channel must be one of {sorted(CHANNELS)}")
        trade.status, trade.channel, trade.gmt_payment = "TRADE_SUCCESS", chosen, beijing_now()
        trade.notify_id = secrets.token_hex(16)  # stays the same across retries (notes §2.3)
        return trade

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
