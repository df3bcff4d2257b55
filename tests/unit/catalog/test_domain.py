"""Pure catalog rules: EAN-13, search keys, reservation plans."""

from __future__ import annotations

import pytest

from services.catalog.domain import (
    PriceMismatch,
    Want,
    ean13_check_digit,
    full_pinyin,
    history_after,
    is_valid_ean13,
    like_escape,
    make_ean13,
    pairs,
    pinyin_initials,
    plan_search,
    rejection_reason,
    reservation_plan,
    search_keys,
)


@pytest.mark.parametrize(("data", "check"), [("762220000460", 7), ("690123456789", 2), ("400638133393", 1),
                                             ("978030640615", 7)])
def test_ean13_check_digit_matches_published_vectors(data, check):
    assert ean13_check_digit(data) == check
    assert is_valid_ean13(data + str(check))


@pytest.mark.parametrize("code", ["7622200004608", "6901234567890", "690123456789", "69012345678921",
                                  "69012345678a2", "６９０１２３４５６７８９２", "", "-690123456789"])
def test_invalid_ean13_codes_are_refused(code):
    assert not is_valid_ean13(code)


def test_a_single_changed_digit_is_caught():
    code = make_ean13("690123456789")
    for i in range(12):
        wrong = code[:i] + str((int(code[i]) + 1) % 10) + code[i + 1:]
        assert not is_valid_ean13(wrong)


def test_pinyin_keys_of_chinese_names():
    assert full_pinyin("华为手机") == "huaweishouji"
    assert pinyin_initials("华为手机") == "hwsj"
    keys = search_keys("华为 Mate60 手机", "华为", "手机")
    assert keys.pinyin == "huaweimate60shoujihuawei"  # compact: a substring is found as one run of letters
    assert keys.initials == "hwmsj"


def test_search_words_are_the_words_of_the_text_and_the_pinyin_of_hanzi_words():
    keys = search_keys("小熊 空气炸锅 5L", "小熊", "厨房电器")
    assert set(keys.words) == {"小熊", "空气炸锅", "5l", "厨房电器", "xiaoxiong", "kongqizhaguo", "chufangdianqi"}


def test_query_plans():
    assert plan_search("  ShouJi ").pinyin == "shouji"
    assert plan_search("sj").initials == "sj"
    chinese = plan_search("手记")  # a homophone typo is matched by its pinyin
    assert chinese.pinyin == "shouji" and chinese.initials is None
    assert plan_search("iphone 15").initials is None


def test_like_metacharacters_are_literal():
    assert like_escape("50%_off\\") == "50\\%\\_off\\\\"


def test_history_is_newest_first_deduplicated_and_capped():
    assert history_after(["a", "b", "c"], "b", 3) == ["b", "a", "c"]
    assert history_after(["a", "b", "c"], "d", 3) == ["d", "a", "b"]


def test_reservation_plan_merges_lines_and_sorts_skus():
    plan = reservation_plan([("b", 1, 100), ("a", 2, 50), ("b", 3, 100)])
    assert plan == [Want("a", 2, 50), Want("b", 4, 100)]
    with pytest.raises(PriceMismatch):
        reservation_plan([("a", 1, 100), ("a", 1, 90)])


def test_rejection_reasons():
    want = Want("a", 2, 100)
    assert rejection_reason(exists=False, sellable=False, price_fen=0, available=0, want=want) == "unknown_sku"
    assert rejection_reason(exists=True, sellable=True, price_fen=120, available=9, want=want) == "price_changed"
    assert rejection_reason(exists=True, sellable=True, price_fen=100, available=1, want=want) == "out_of_stock"
    assert rejection_reason(exists=True, sellable=False, price_fen=100, available=9, want=want) == "out_of_stock"


def test_bought_together_pairs_go_both_ways():
    assert pairs(["b", "a", "a"]) == [("a", "b"), ("b", "a")]


def test_several_word_queries_keep_each_word_and_its_pinyin():
    assert plan_search("华为 手机").words == (("华为", "huawei"), ("手机", "shouji"))
    assert plan_search("Huawei  ShouJi").words == (("huawei", "huawei"), ("shouji", "shouji"))
    assert plan_search("手机").words == ()
