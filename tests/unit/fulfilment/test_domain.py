"""Fulfilment's pure rules: phone numbers, region codes, Alipay's address shape, freight by hand."""

from __future__ import annotations

import pytest

from services.fulfilment.domain import (
    FreightRule,
    FreightTemplate,
    Parcel,
    check_region,
    check_waybill,
    freight_fen,
    from_alipay,
    normalise_phone,
    pickup_code,
)
from shared.refusal import Refusal

# Zhejiang/Jiangsu/Shanghai: ¥8 for the first piece, ¥2 per further piece; far west: ¥20 first, ¥10 per 2 more.
PIECES = FreightTemplate(basis="piece", free_above_fen=9_900, rules=(
    FreightRule(("33", "32", "31"), first_units=1, first_fen=800, extra_units=1, extra_fen=200),
    FreightRule(("65", "54"), first_units=1, first_fen=2_000, extra_units=2, extra_fen=1_000),
))
# By weight: ¥10 for the first 2 kg, ¥5 for each further kg or part; no free delivery.
WEIGHT = FreightTemplate(basis="weight", default_item_weight_g=400, rules=(
    FreightRule(("33",), first_units=2, first_fen=1_000, extra_units=1, extra_fen=500),
))


@pytest.mark.parametrize(("raw", "normal"), [("13812345678", "13812345678"), ("+86 138-1234-5678", "13812345678"),
                                             ("8619912345678", "19912345678")])
def test_mainland_mobiles_are_normalised(raw: str, normal: str) -> None:
    assert normalise_phone(raw) == normal


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "0571-88888888", "", "1381234567x"])
def test_other_numbers_are_refused(raw: str) -> None:
    with pytest.raises(Refusal) as refused:
        normalise_phone(raw)
    assert refused.value.code == "invalid_phone"


def test_region_code_must_exist_and_match_the_province() -> None:
    assert check_region("330106", "浙江省") == "33"
    assert check_region("150102", "内蒙古自治区") == "15"
    for code in ("33010", "3301066", "990106", "abcdef"):
        with pytest.raises(Refusal) as bad:
            check_region(code, "浙江省")
        assert bad.value.code == "invalid_region_code"
    with pytest.raises(Refusal) as other:
        check_region("310101", "浙江省")
    assert other.value.code == "region_mismatch"


def test_alipay_address_is_mapped() -> None:
    mapped = from_alipay({"fullname": "张三", "mobilePhone": "13812345678", "prov": "浙江省", "city": "杭州市",
                          "area": "西湖区", "street": "文三路", "address": "90号", "divisionCode": "330106"})
    assert mapped == {"name": "张三", "phone": "13812345678", "province": "浙江省", "city": "杭州市",
                      "district": "西湖区", "detail": "文三路 90号", "region_code": "330106"}
    # Without a division code the province's own code stands in (freight is priced per province).
    assert from_alipay({"prov": "江苏省", "address": "x"})["region_code"] == "320000"


def test_freight_by_piece() -> None:
    assert freight_fen(PIECES, "330106", [Parcel(1)], 5_000) == 800
    assert freight_fen(PIECES, "330106", [Parcel(2), Parcel(1)], 5_000) == 800 + 2 * 200  # 3 pieces
    # 4 pieces to Xinjiang: first 1 ¥20, 3 more in steps of 2 → 2 steps of ¥10.
    assert freight_fen(PIECES, "650102", [Parcel(4)], 5_000) == 2_000 + 2 * 1_000
    assert freight_fen(PIECES, "650102", [Parcel(3)], 5_000) == 2_000 + 1 * 1_000


def test_free_above_the_goods_amount() -> None:
    assert freight_fen(PIECES, "330106", [Parcel(5)], 9_899) == 800 + 4 * 200
    assert freight_fen(PIECES, "330106", [Parcel(5)], 9_900) == 0


def test_freight_by_weight_rounds_up_to_whole_kg() -> None:
    assert freight_fen(WEIGHT, "330106", [Parcel(1, 1_500)], 0) == 1_000  # 1.5 kg → 2 kg: first 2 kg
    assert freight_fen(WEIGHT, "330106", [Parcel(1, 2_100)], 0) == 1_000 + 500  # 2.1 kg → 3 kg
    assert freight_fen(WEIGHT, "330106", [Parcel(3, 1_000), Parcel(2)], 0) == 1_000 + 2 * 500  # 3.8 kg → 4 kg


def test_regions_not_delivered_to_are_refused_even_when_free() -> None:
    for template in (PIECES, WEIGHT):
        with pytest.raises(Refusal) as refused:
            freight_fen(template, "110101", [Parcel(1)], 1_000_000)
        assert refused.value.code == "region_not_delivered"
        assert refused.value.status == 409


def test_pickup_codes_have_a_fixed_length() -> None:
    assert pickup_code(42, 8) == "00000042"
    assert len(pickup_code(10**8 - 1, 8)) == 8


@pytest.mark.parametrize(("carrier", "number"), [("shunfeng", "SF1234567890123"), ("shunfeng", "sf123456789012"),
                                                 ("zhongtong", "731234567890"), ("yuantong", "YT1234567890123"),
                                                 ("jd", "JDVA12345678901"), ("ems", "EA123456789CN")])
def test_waybills_of_the_carriers_shape_pass(carrier: str, number: str) -> None:
    assert check_waybill(carrier, number) == number.upper()


def test_other_waybills_are_refused() -> None:
    for carrier, number, code in [("shunfeng", "1234567890123", "invalid_tracking_no"),
                                  ("ems", "EA12345678CN", "invalid_tracking_no"),
                                  ("dhl", "1234567890", "unknown_carrier")]:
        with pytest.raises(Refusal) as refused:
            check_waybill(carrier, number)
        assert refused.value.code == code
