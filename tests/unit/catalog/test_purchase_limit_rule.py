"""The per-buyer cap on unpaid units of one SKU."""

from services.catalog.domain import over_purchase_limit


def test_the_cap_counts_what_is_held_plus_what_is_wanted():
    assert not over_purchase_limit(0, 5, 5)
    assert not over_purchase_limit(3, 2, 5)
    assert over_purchase_limit(3, 3, 5)
    assert over_purchase_limit(0, 6, 5)
