"""Pure payment rules: which method a buyer may use, instalment plans, deposits, top-up bonuses, refunds.

No I/O here: the API and the event handlers ask these functions, then store what they decide.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from shared.refusal import Refusal as Refusal  # a payment rule's "no": 409 unless it says otherwise

Method = Literal["alipay", "huabei", "balance", "pay_later"]
FeePayer = Literal["buyer", "merchant"]
TERMS = (3, 6, 12)  # the only Huabei terms Alipay accepts (notes §4)
PAID_STATUSES = ("TRADE_SUCCESS", "TRADE_FINISHED")
# Our copy of an order's payment state, named as orders names the order's status (the check's answer).
ORDER_STATUS = {"payable": "AWAITING_PAYMENT", "paid": "PAID", "cancelled": "CANCELLED"}


@dataclass(frozen=True)
class Rules:
    huabei_rates_bp: Mapping[int, int]  # buyer fee for the whole term, basis points: {3: 230, 6: 450, 12: 750}
    huabei_min_fen: int
    pay_later_min_score: int
    deposit_waiver_min_score: int
    top_up_bonus: Sequence[tuple[int, int]] = ()  # (minimum top-up, bonus) in fen
    top_up_max_fen: int = 5_000_000


# --- Huabei instalment plans ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InstallmentPlan:
    installments: int
    fee_payer: FeePayer
    fee_fen: int  # what the buyer pays on top of the price (0 when the merchant pays)
    merchant_fee_fen: int  # what the merchant bears (0 when the buyer pays)
    per_period_fen: list[int] = field(default_factory=list)


def split_evenly(total_fen: int, periods: int) -> list[int]:
    """`total` in `periods` parts differing by at most the remainder, which the first period carries."""
    each = total_fen // periods
    return [total_fen - each * (periods - 1)] + [each] * (periods - 1)


def huabei_fee(principal_fen: int, rate_bp: int) -> int:
    """The whole term's fee, rounded half to even in fen. Alipay's rounding rule is not public (notes §4),
    so this is our explicit, configurable assumption."""
    quotient, remainder = divmod(principal_fen * rate_bp, 10_000)
    if remainder * 2 > 10_000 or (remainder * 2 == 10_000 and quotient % 2 == 1):
        quotient += 1
    return quotient


def installment_plan(principal_fen: int, installments: int, fee_payer: FeePayer, rate_bp: int) -> InstallmentPlan:
    if installments not in TERMS:
        raise ValueError(f"Huabei offers {TERMS} instalments, not {installments}")
    fee = huabei_fee(principal_fen, rate_bp)
    principal_parts = split_evenly(principal_fen, installments)
    if fee_payer == "merchant":
        return InstallmentPlan(installments, fee_payer, 0, fee, principal_parts)
    fee_parts = split_evenly(fee, installments)
    return InstallmentPlan(installments, fee_payer, fee, 0, [p + f for p, f in zip(principal_parts, fee_parts,
                                                                                   strict=True)])


def seller_percent(fee_payer: FeePayer) -> int:
    """Alipay's `hb_fq_seller_percent`: 100 = the merchant pays the fee, 0 = the buyer; no split exists."""
    return 100 if fee_payer == "merchant" else 0


@dataclass(frozen=True)
class HuabeiOffer:
    """One instalment count a merchant offers: who pays the fee, from which order amount. Alipay's 花呗分期免息
    is the seller's decision, so the fee payer comes from here and never from the buyer."""

    installments: int
    fee_payer: FeePayer
    min_amount_fen: int


def default_offers(rules: Rules) -> list[HuabeiOffer]:
    """A merchant that set nothing: every configured term, the buyer pays, from the mall's minimum."""
    return [HuabeiOffer(n, "buyer", rules.huabei_min_fen) for n in TERMS if n in rules.huabei_rates_bp]


def offer_for(amount_fen: int, installments: int, offers: Sequence[HuabeiOffer], rules: Rules) -> HuabeiOffer | None:
    """The merchant's offer of this count at this amount; the mall's minimum is a floor under every offer."""
    for offer in offers:
        if (offer.installments == installments and installments in rules.huabei_rates_bp
                and amount_fen >= max(offer.min_amount_fen, rules.huabei_min_fen)):
            return offer
    return None


def offered_plans(amount_fen: int, offers: Sequence[HuabeiOffer], rules: Rules) -> list[InstallmentPlan]:
    """The plans a buyer may choose for this amount, fewest instalments first."""
    found = (offer_for(amount_fen, n, offers, rules) for n in TERMS)
    return [installment_plan(amount_fen, o.installments, o.fee_payer, rules.huabei_rates_bp[o.installments])
            for o in found if o is not None]


def lowest_offered_fen(offers: Sequence[HuabeiOffer], rules: Rules) -> int | None:
    """From which amount the merchant offers any plan (None: no Huabei instalments at all)."""
    amounts = [max(o.min_amount_fen, rules.huabei_min_fen) for o in offers if o.installments in rules.huabei_rates_bp]
    return min(amounts, default=None)


# --- deciding how an order may be paid --------------------------------------------------------------------


@dataclass(frozen=True)
class PayDecision:
    method: Method
    payable_fen: int  # what the order costs, from order.confirmed (the payment's amount_fen)
    deposit: Literal["none", "waived", "held", "fund_auth"]
    deposit_fen: int  # the deposit held with this payment (0 unless held)
    plan: InstallmentPlan | None = None

    @property
    def charge_fen(self) -> int:
        """What the buyer is charged now: the price and a held deposit (a trade's amount_fen)."""
        return self.payable_fen + self.deposit_fen


def deposit_decision(deposit_fen: int, score: int | None, rules: Rules) -> Literal["none", "waived", "held"]:
    """Sesame 免押: a good enough score waives the rental deposit; otherwise it is collected and released later."""
    if deposit_fen <= 0:
        return "none"
    return "waived" if score is not None and score >= rules.deposit_waiver_min_score else "held"


def decide_payment(method: Method, payable_fen: int, deposit_fen: int, score: int | None, rules: Rules, *,
                   installments: int | None = None, offers: Sequence[HuabeiOffer] = (),
                   fund_auth: bool = False) -> PayDecision:
    """`fund_auth`: the merchant takes deposits as Alipay fund authorisations (Sesame deposit-free), so the
    deposit is never part of the charge; Alipay and Sesame decide how much of it is credit."""
    deposit: Literal["none", "waived", "held", "fund_auth"] = deposit_decision(deposit_fen, score, rules)
    if fund_auth and deposit != "none":
        deposit = "fund_auth"
    held = deposit_fen if deposit == "held" else 0
    charge = payable_fen + held
    if charge <= 0:  # Alipay cannot take 0, a 0 debit or bill moves nothing (orders never asks 0 any more)
        raise Refusal("nothing_to_pay", "There is nothing to pay for this order")
    if method == "pay_later":
        if score is None or score < rules.pay_later_min_score:
            raise Refusal("credit_too_low", f"Pay later needs a Sesame score of {rules.pay_later_min_score}")
        if held:
            raise Refusal("deposit_not_waived", "A held deposit must be paid now, not later")
        return PayDecision(method, payable_fen, deposit, 0)
    if method == "huabei":
        if installments not in TERMS or installments not in rules.huabei_rates_bp:
            raise Refusal("installments_unavailable", f"Huabei offers {sorted(rules.huabei_rates_bp)} instalments")
        if charge < rules.huabei_min_fen:
            raise Refusal("huabei_minimum", f"Huabei instalments start at {rules.huabei_min_fen} fen")
        offer = offer_for(charge, installments, offers, rules)
        if offer is None:
            raise Refusal("installments_not_offered", f"The merchant does not offer {installments} instalments "
                                                      f"on {charge} fen")
        plan = installment_plan(charge, installments, offer.fee_payer, rules.huabei_rates_bp[installments])
        return PayDecision(method, payable_fen, deposit, held, plan)
    return PayDecision(method, payable_fen, deposit, held)


# --- stored value ---------------------------------------------------------------------------------------


def top_up_bonus(amount_fen: int, rules: Rules) -> int:
    """The best bonus rule the top-up reaches ("top up 100, get 10")."""
    return max((bonus for minimum, bonus in rules.top_up_bonus if amount_fen >= minimum), default=0)


def user_account(user_id: str) -> str:
    return f"user:{user_id}"


def movement(from_account: str, to_account: str, amount_fen: int) -> list[tuple[str, int]]:
    """Double entry: money leaves one account and enters another; the two rows sum to zero."""
    if amount_fen <= 0:
        raise ValueError("a movement moves a positive amount")
    return [(from_account, -amount_fen), (to_account, amount_fen)]


# --- refunds --------------------------------------------------------------------------------------------


def refundable_fen(paid_fen: int, refunded_fen: int) -> int:
    return max(paid_fen - refunded_fen, 0)


def check_refund(amount_fen: int, paid_fen: int, refunded_fen: int) -> None:
    if amount_fen <= 0:
        raise Refusal("refund_invalid", "A refund moves a positive amount")
    if amount_fen > refundable_fen(paid_fen, refunded_fen):
        raise Refusal("refund_exceeds_paid", f"Only {refundable_fen(paid_fen, refunded_fen)} fen can be refunded")


# --- Alipay identifiers -----------------------------------------------------------------------------------

_NOT_TRADE_NO = re.compile(r"[^A-Za-z0-9_]")


def out_trade_no(kind: str, ident: str) -> str:
    """Alipay wants `[A-Za-z0-9_]{1,64}`; our ids are uuids, so drop the dashes."""
    return _NOT_TRADE_NO.sub("", f"{kind}_{ident}")[:64]


def trade_subject(subject: str) -> str:
    """Alipay refuses `/ = &` in a subject and more than 256 characters (notes §2.1)."""
    cleaned = re.sub(r"[/=&]", " ", subject).strip() or "mpmall order"
    return cleaned[:256]


def sesame_tier(score: int) -> str:
    for bound, tier in ((550, "poor"), (600, "fair"), (650, "good"), (700, "very_good")):
        if score < bound:
            return tier
    return "excellent"
