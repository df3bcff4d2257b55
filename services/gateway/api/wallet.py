"""The user's money at the mall (payments): stored-value balance and top-ups, deposits, pay-later bills."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from services.gateway.models import Answer, Anything, Items
from services.gateway.routes import Operation, forward
from shared.http import StrictModel
from shared.http.models import Moment


class TopUpBody(StrictModel):
    amount_fen: int = Field(gt=0, le=10_000_000_000)


class BalanceOut(Answer):
    balance_fen: int
    entries: list[dict[str, Any]]


class PaymentOut(Answer):
    pass


class DepositCheckOut(Answer):
    """A Sesame deposit-free deposit as Alipay has it: `credit_fen` of `amount_fen` is Sesame credit (免押)."""

    order_id: str
    mode: str
    status: Literal["authorising", "frozen", "released", "closed"]
    amount_fen: int
    credit_fen: int | None
    charged_fen: int | None
    auth_no: str | None
    authorise_by: Moment | None  # a rental whose freeze is not confirmed by then is closed


class DepositAuthOut(Answer):
    """The freeze to confirm: `order_str` for `my.tradePay({orderStr})`."""

    out_order_no: str
    out_request_no: str
    amount_fen: int
    order_str: str


class DepositAuthorisationOut(DepositCheckOut):
    """The deposit, with `deposit_auth` while it still waits for the buyer's freeze."""

    deposit_auth: DepositAuthOut | None = None


class CreditOut(Answer):
    limit_fen: int
    used_fen: int
    available_fen: int


class BillsOut(Answer):
    items: list[dict[str, Any]]
    credit: CreditOut


class BillTradeOut(Answer):
    bill_id: str
    amount_fen: int
    trade_no: str


OPERATIONS = [
    Operation("GET", "/api/me/balance", forward("my_balance", "payments", "GET", "/me/balance"),
              "Stored-value balance and its ledger", "wallet", answer=BalanceOut),
    Operation("POST", "/api/me/balance/top-ups", forward("top_up", "payments", "POST", "/me/balance/top-ups"),
              "Top up the balance (paid through Alipay; bonus rules apply)", "wallet", body=TopUpBody,
              answer=PaymentOut, status=201, idempotent=True),
    Operation("GET", "/api/me/deposits", forward("my_deposits", "payments", "GET", "/me/deposits"),
              "Rental deposits held or waived", "wallet", answer=Items),
    Operation("POST", "/api/orders/{id}/deposit-check",
              forward("deposit_check", "payments", "POST", "/orders/{id}/deposit-check"),
              "Back from confirming a Sesame deposit-free authorisation: is the deposit frozen?", "wallet",
              answer=DepositCheckOut),
    Operation("POST", "/api/orders/{id}/deposit-auth",
              forward("deposit_authorise", "payments", "POST", "/orders/{id}/deposit-auth"),
              "Ask for a rental's Sesame deposit-free freeze, before paying its rent (paying waits for it: 409 "
              "deposit_not_frozen), or again when the buyer never confirmed it (the same request while its order "
              "string is good, else a new one)", "wallet", answer=DepositAuthorisationOut),
    Operation("GET", "/api/me/bills", forward("my_bills", "payments", "GET", "/me/bills"),
              "Pay-later bills and the credit line (limit, used, available)", "wallet", answer=BillsOut),
    Operation("POST", "/api/me/bills/{id}/pay", forward("pay_bill", "payments", "POST", "/me/bills/{id}/pay"),
              "Repay a pay-later bill: an Alipay trade for what it owes, for my.tradePay", "wallet",
              answer=BillTradeOut, idempotent=True),
    Operation("POST", "/api/me/pay-later/agreement",
              forward("sign_deduction_agreement", "payments", "POST", "/me/pay-later/agreement"),
              "Sign (or show) the withholding agreement under which due pay-later bills are deducted from Alipay: "
              "the signed order string of Alipay's signing page", "wallet", answer=Anything, optional_key=True),
    Operation("POST", "/api/me/pay-later/agreement/check",
              forward("check_deduction_agreement", "payments", "POST", "/me/pay-later/agreement/check"),
              "Back from Alipay's signing page: is the withholding agreement signed?", "wallet", answer=Anything,
              optional_key=True),
    Operation("GET", "/api/payments/{id}", forward("payment", "payments", "GET", "/payments/{id}"),
              "One of the user's payments", "wallet", answer=PaymentOut),
]
