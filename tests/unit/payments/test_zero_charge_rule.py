"""No payment method takes a 0-fen charge."""

from __future__ import annotations

import pytest

from services.payments.domain import Refusal, Rules, decide_payment, default_offers

RULES = Rules(huabei_rates_bp={3: 230}, huabei_min_fen=0, pay_later_min_score=650, deposit_waiver_min_score=650,
              top_up_bonus=[])


@pytest.mark.parametrize("method", ["alipay", "balance", "pay_later", "huabei"])
def test_a_zero_charge_is_nothing_to_pay(method):
    with pytest.raises(Refusal) as refused:
        decide_payment(method, 0, 0, 800, RULES, installments=3, offers=default_offers(RULES))
    assert refused.value.code == "nothing_to_pay"
    assert decide_payment(method, 1, 0, 800, RULES, installments=3, offers=default_offers(RULES)).payable_fen == 1
