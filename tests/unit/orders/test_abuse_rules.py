"""The anti-abuse rules of placement: the unpaid-orders limit and no SKU without a price."""

from __future__ import annotations

import pytest

from services.orders.domain import Refusal, Sku, check_sellable, check_unpaid_orders


def test_the_unpaid_limit_refuses_at_the_limit_not_below():
    check_unpaid_orders(4, 5)
    with pytest.raises(Refusal) as refused:
        check_unpaid_orders(5, 5)
    assert (refused.value.code, refused.value.status) == ("too_many_unpaid_orders", 409)


@pytest.mark.parametrize("price", [0, -1])
def test_a_sku_below_one_fen_is_not_sold(price):
    with pytest.raises(Refusal) as refused:
        check_sellable("s", Sku("s", "p", "m", None, "n", price, 0, True))
    assert refused.value.code == "sku_unavailable"
    assert check_sellable("s", Sku("s", "p", "m", None, "n", 1, 0, True)).price_fen == 1
