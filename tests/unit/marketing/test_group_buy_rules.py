"""The pure rules of group buying: who may take a seat, what the group price takes off, what strangers see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.marketing.domain import group_buy as rules
from shared.refusal import Refusal

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
DEAL = rules.Deal(id="gbd_1", merchant_id="mch_1", sku_id="sku_1", group_price_fen=3_000, group_size=3,
                  time_limit_hours=24, starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(days=1),
                  status="active")


def seat(**changes: object) -> None:
    args: dict[str, object] = {"status": "open", "expires_at": NOW + timedelta(hours=1), "now": NOW, "size": 3,
                               "seated": 2, "already_member": False}
    rules.check_seat(**{**args, **changes})  # type: ignore[arg-type]


def refused(**changes: object) -> str:
    with pytest.raises(Refusal) as caught:
        seat(**changes)
    return caught.value.code


def test_the_last_seat_is_taken_and_then_the_group_is_full() -> None:
    seat()
    assert refused(seated=3) == "group_full"


def test_a_buyer_takes_one_seat_and_an_ended_group_takes_none() -> None:
    assert refused(already_member=True) == "already_in_group"
    assert refused(status="failed") == "group_closed"
    assert refused(now=NOW + timedelta(hours=1)) == "group_closed"  # at the deadline, not a moment later


def test_a_group_opens_only_on_a_running_deal_for_its_sku() -> None:
    assert rules.check_deal_open(DEAL, "mch_1", "sku_1", NOW) is DEAL
    for deal, merchant, sku, at, code in [
            (None, "mch_1", "sku_1", NOW, "group_deal_not_found"),
            (DEAL, "mch_2", "sku_1", NOW, "group_deal_not_found"),  # another merchant's deal is no deal
            (DEAL, "mch_1", "sku_2", NOW, "group_deal_sku_mismatch"),
            (DEAL, "mch_1", "sku_1", DEAL.ends_at, "group_deal_not_running"),
            (DEAL, "mch_1", "sku_1", DEAL.starts_at - timedelta(seconds=1), "group_deal_not_running")]:
        with pytest.raises(Refusal) as caught:
            rules.check_deal_open(deal, merchant, sku, at)
        assert caught.value.code == code


def test_the_group_price_is_what_the_buyer_pays_and_never_more_than_the_list_price() -> None:
    assert rules.group_discount_fen(5_000, 1, 3_000) == 2_000
    assert rules.group_discount_fen(2_500, 1, 3_000) == 0


def test_strangers_see_a_masked_nickname_and_a_countdown_that_stops_at_zero() -> None:
    assert rules.mask_nickname("张三丰") == "张**"
    assert rules.mask_nickname("  ") == "匿名"
    assert rules.seconds_left(NOW + timedelta(minutes=90), NOW) == 5_400
    assert rules.seconds_left(NOW - timedelta(minutes=1), NOW) == 0
