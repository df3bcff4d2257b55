"""The anti-abuse rules of placement: the unpaid-orders limit, no SKU without a price, a cart of bounded size."""

from __future__ import annotations

import pytest

from services.orders.domain import MAX_CART_ITEMS, Refusal, Sku, check_cart_room, check_sellable, check_unpaid_orders


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


def test_a_cart_takes_another_sku_only_below_its_limit():
    check_cart_room(MAX_CART_ITEMS - 1)
    with pytest.raises(Refusal) as refused:
        check_cart_room(MAX_CART_ITEMS)
    assert (refused.value.code, refused.value.status) == ("cart_full", 409)
