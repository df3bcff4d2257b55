"""Pricing from the server's SKU copy, the payable amount, the trade subject and the saga's decision."""

from __future__ import annotations

import pytest

from services.orders.domain import (
    Cancel,
    Confirm,
    Refusal,
    Sku,
    decide,
    price_items,
    promotion_needed,
    subject,
)


def sku(sku_id: str, price: int = 1000, merchant: str = "m1", sellable: bool = True, deposit: int = 0) -> Sku:
    return Sku(sku_id, f"p-{sku_id}", merchant, None, f"name {sku_id}", price, deposit, sellable)


SKUS = {s.sku_id: s for s in (sku("a", 1250, deposit=300), sku("b", 99), sku("x", merchant="m2"),
                              sku("off", sellable=False))}


def test_lines_are_priced_from_the_copy_and_repeated_skus_merge():
    priced = price_items([("a", 2), ("b", 1), ("a", 1)], SKUS)
    assert priced.merchant_id == "m1"
    assert [(ln.sku_id, ln.qty, ln.unit_price_fen, ln.line_fen) for ln in priced.lines] == [
        ("a", 3, 1250, 3750), ("b", 1, 99, 99)]
    assert priced.subtotal_fen == 3849 and priced.deposit_fen == 900


@pytest.mark.parametrize(("items", "code", "status"), [
    ([("zz", 1)], "unknown_sku", 422),
    ([("off", 1)], "sku_unavailable", 409),
    ([("a", 1), ("x", 1)], "mixed_merchants", 422),
    ([("a", 50), ("a", 50)], "quantity_too_large", 422),
    ([("a", 0)], "invalid_quantity", 422),
    ([], "empty_order", 422),
])
def test_refusals_have_stable_codes(items, code, status):
    with pytest.raises(Refusal) as refused:
        price_items(items, SKUS)
    assert (refused.value.code, refused.value.status) == (code, status)


def test_subject_is_short_and_free_of_alipay_separators():
    assert subject(["牛奶 1L/盒 a=b&c"]) == "牛奶 1L 盒 a b c"
    assert subject(["Apple", "Pear", "Plum"]) == "Apple 等3件"
    long = subject(["x" * 200, "y"])
    assert len(long) <= 60 and long.endswith(" 等2件")
    assert subject(["///"]) == "mpmall order"


def test_saga_confirms_only_when_every_awaited_answer_is_yes():
    assert promotion_needed(None, 0) == "none" and promotion_needed("c", 0) == promotion_needed(None, 1) == "waiting"
    assert decide("reserved", "none") == Confirm()
    assert decide("reserved", "locked") == Confirm()
    assert decide("reserved", "waiting") is None
    assert decide("waiting", "locked") is None
    assert decide("rejected", "waiting", stock_reason="out_of_stock") == Cancel("out_of_stock")
    assert decide("reserved", "rejected", promotion_reason="coupon_expired") == Cancel("coupon_expired")
