"""The member-price rule a line gets: the nearest target (the SKU, its category, then the categories above), the
highest level reached, never above the list price nor below 1 fen."""

from services.orders.domain import MemberRule, Priced, PricedLine, member_rule_for, rule_price, with_member_prices

RULES = [MemberRule("c2", 2, category_id="tea", percent_off=10), MemberRule("s3", 3, sku_id="s1", price_fen=700),
         MemberRule("c4", 4, category_id="tea", percent_off=50)]


def test_the_skus_own_rule_wins_from_its_level_and_the_category_covers_the_rest():
    assert member_rule_for(1, "s1", ["tea"], RULES) is None
    assert member_rule_for(2, "s1", ["tea"], RULES).id == "c2"
    assert member_rule_for(3, "s1", ["tea"], RULES).id == "s3"
    assert member_rule_for(4, "s1", ["tea"], RULES).id == "s3"  # the merchant set this SKU's price itself
    assert member_rule_for(4, "s2", ["tea"], RULES).id == "c4"
    assert member_rule_for(4, "s2", [], RULES) is None


def test_a_parent_categorys_rule_covers_its_subcategories_and_the_nearest_category_wins():
    rules = [MemberRule("drinks", 2, category_id="drinks", percent_off=5),
             MemberRule("green", 2, category_id="green_tea", percent_off=20)]
    assert member_rule_for(2, "s1", ["black_tea", "tea", "drinks"], rules).id == "drinks"
    assert member_rule_for(2, "s1", ["green_tea", "tea", "drinks"], rules).id == "green"
    # nearest before highest level: the subcategory's level-2 rule beats the parent's level-3 one
    assert member_rule_for(3, "s1", ["green_tea", "drinks"], [*rules, MemberRule("d3", 3, category_id="drinks",
                                                                               percent_off=50)]).id == "green"
    line = PricedLine("s1", "p1", "black_tea", "红茶", 1, 1_000, 0, category_ancestors=("tea", "drinks"))
    assert with_member_prices(Priced("m1", (line,)), 2, rules).lines[0].unit_price_fen == 950


def test_prices_round_half_up_and_stay_between_one_fen_and_the_list_price():
    assert rule_price(MemberRule("a", 2, percent_off=10), 999) == 899  # 899.1
    assert rule_price(MemberRule("a", 2, percent_off=5), 10) == 10  # 9.5 rounds up to 10: no saving
    assert rule_price(MemberRule("a", 2, percent_off=99), 1) == 1
    assert rule_price(MemberRule("a", 2, price_fen=5_000), 1_000) == 1_000


def test_lines_keep_the_list_price_only_when_the_member_price_is_lower():
    priced = Priced("m1", (PricedLine("s1", "p1", "tea", "茶", 2, 1_000, 0),
                           PricedLine("s9", "p9", None, "杯", 1, 500, 0)))
    lines = with_member_prices(priced, 3, RULES).lines
    assert [(ln.unit_price_fen, ln.list_price_fen) for ln in lines] == [(700, 1_000), (500, None)]
    assert with_member_prices(priced, 3, RULES).subtotal_fen == 1_900
