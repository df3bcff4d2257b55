"""Pure rules of fulfilment: phone numbers, GB/T 2260 region codes, Alipay's address shape, freight."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from shared.kuaidi100 import STATES
from shared.refusal import Refusal

# GB/T 2260: the first two digits of a six-digit administrative division code name the province.
PROVINCES: dict[str, str] = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古", "21": "辽宁", "22": "吉林",
    "23": "黑龙江", "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西",
    "37": "山东", "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏", "61": "陕西", "62": "甘肃",
    "63": "青海", "64": "宁夏", "65": "新疆", "71": "台湾", "81": "香港", "82": "澳门",
}
REGION_CODE = re.compile(r"^\d{6}$")
# Mainland mobile numbers: 11 digits starting 13-19 (an optional +86 / 86 prefix and separators are dropped).
MOBILE = re.compile(r"^1[3-9]\d{9}$")
SEPARATORS = re.compile(r"[\s\-()]")


def normalise_phone(raw: str) -> str:
    phone = SEPARATORS.sub("", raw)
    for prefix in ("+86", "0086", "86"):
        if phone.startswith(prefix) and len(phone) == len(prefix) + 11:
            phone = phone[len(prefix):]
            break
    if not MOBILE.match(phone):
        raise Refusal("invalid_phone", "Not a mainland China mobile number (11 digits, 13x-19x)", 422, field="phone")
    return phone


def province_of(region_code: str) -> str:
    """The province prefix ("33") of a valid GB/T 2260 code; refuses a malformed or unknown one."""
    if not REGION_CODE.match(region_code) or region_code[:2] not in PROVINCES:
        raise Refusal("invalid_region_code", "Not a GB/T 2260 six-digit region code", 422, field="region_code")
    return region_code[:2]


def check_region(region_code: str, province: str) -> str:
    """The code's province must be the one the address names ("浙江省" for 33xxxx)."""
    prefix = province_of(region_code)
    if not province.strip().startswith(PROVINCES[prefix]):
        raise Refusal("region_mismatch", f"Region code {region_code} is not in {province}", 422,
                      field="region_code")
    return prefix


def province_code_by_name(province: str) -> str | None:
    """"浙江省" → "330000" (for an Alipay address that carries no code), None when not a province."""
    name = province.strip()
    for prefix, short in PROVINCES.items():
        if name.startswith(short):
            return prefix + "0000"
    return None


def from_alipay(raw: dict[str, Any]) -> dict[str, Any]:
    """The fields of what `my.getAddress` returns (fullname, mobilePhone, prov, city, area, street, address and,
    when present, the division code) as an address book entry. Without a code the province's code is used."""
    def text(*names: str) -> str:
        for name in names:
            value = raw.get(name)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return ""

    province = text("prov", "province")
    code = text("divisionCode", "areaCode", "adCode", "region_code") or province_code_by_name(province) or ""
    detail = " ".join(part for part in (text("street"), text("address", "detailAddress")) if part)
    return {"name": text("fullname", "name"), "phone": text("mobilePhone", "phone", "mobile"),
            "province": province, "city": text("city"), "district": text("area", "district"),
            "detail": detail, "region_code": code}


# --- freight ---------------------------------------------------------------------------------------------

Basis = Literal["piece", "weight"]


@dataclass(frozen=True)
class FreightRule:
    """For the provinces listed: the first `first_units` (pieces, or kg) cost `first_fen`, every further
    `extra_units` or part of it costs `extra_fen`."""

    provinces: tuple[str, ...]
    first_units: int
    first_fen: int
    extra_units: int
    extra_fen: int


@dataclass(frozen=True)
class FreightTemplate:
    basis: Basis
    rules: tuple[FreightRule, ...]
    free_above_fen: int | None = None  # goods subtotal from which delivery is free (None: never)
    default_item_weight_g: int = 500  # a SKU whose weight is not given


@dataclass(frozen=True)
class Parcel:
    """One line of the basket: its SKU, that SKU's product and weight as catalog gave them (None: unknown)."""

    qty: int
    weight_g: int | None = None
    sku_id: str = ""
    product_id: str | None = None


def rule_for(template: FreightTemplate, region_code: str) -> FreightRule:
    prefix = province_of(region_code)
    for rule in template.rules:
        if prefix in rule.provinces:
            return rule
    raise Refusal("region_not_delivered", f"The merchant does not deliver to {PROVINCES[prefix]}", 409,
                  region_code=region_code)


def units(template: FreightTemplate, parcels: list[Parcel]) -> int:
    """Pieces, or whole kilograms rounded up (a 1.2 kg parcel is charged as 2 kg)."""
    if template.basis == "piece":
        return sum(p.qty for p in parcels)
    grams = sum(p.qty * (p.weight_g if p.weight_g is not None else template.default_item_weight_g) for p in parcels)
    return math.ceil(grams / 1000)


def freight_fen(template: FreightTemplate, region_code: str, parcels: list[Parcel], goods_fen: int) -> int:
    """The express freight of one order; refuses a region the merchant does not deliver to (even when free)."""
    rule = rule_for(template, region_code)
    if template.free_above_fen is not None and goods_fen >= template.free_above_fen:
        return 0
    count = units(template, parcels)
    if count <= 0:
        return 0
    further = max(0, count - rule.first_units)
    return rule.first_fen + math.ceil(further / rule.extra_units) * rule.extra_fen


# --- pickup stores ------------------------------------------------------------------------------------------

OPEN_HOURS = re.compile(r"^(?P<start>(?:[01]\d|2[0-3]):[0-5]\d)-(?P<end>(?:[01]\d|2[0-3]):[0-5]\d|24:00)$")


def check_open_hours(text: str) -> str:
    """One daily range, "09:00-21:00" (24-hour clock, end after start; "24:00" is midnight)."""
    found = OPEN_HOURS.match(text.strip())
    if found is None or found["end"] <= found["start"]:
        raise Refusal("invalid_open_hours", "Open hours are one range such as 09:00-21:00, end after start", 422,
                      field="open_hours")
    return found.group(0)


def not_offered(product_ids: list[str] | None, parcels: list[Parcel]) -> list[str]:
    """The SKUs of the basket a store does not hand over: those of products outside its list (None: it offers
    every product), and, where it has a list, SKUs whose product is not known yet."""
    if product_ids is None:
        return []
    offered = set(product_ids)
    return [p.sku_id for p in parcels if p.product_id is None or p.product_id not in offered]


# Carriers by their 快递100 company code (the aggregator the tracking client will speak to), with the shape of
# their waybill numbers as the carriers publish them (approximations: a number that passes may still be unknown).
CARRIERS: dict[str, tuple[str, re.Pattern[str]]] = {
    "shunfeng": ("顺丰速运", re.compile(r"^SF\d{12,13}$")),
    "zhongtong": ("中通快递", re.compile(r"^(7[0-9]|75)\d{10,13}$")),
    "yuantong": ("圆通速递", re.compile(r"^YT\d{13,15}$")),
    "yunda": ("韵达快递", re.compile(r"^\d{13,15}$")),
    "shentong": ("申通快递", re.compile(r"^(77|88|55|66)\d{11,13}$")),
    "jd": ("京东物流", re.compile(r"^JD[A-Z0-9]{13,16}$")),
    "ems": ("EMS", re.compile(r"^([A-Z]{2}\d{9}[A-Z]{2}|1\d{12})$")),
}


def check_waybill(carrier: str, tracking_no: str) -> str:
    """The tracking number, upper-cased, if it has the carrier's shape."""
    if carrier not in CARRIERS:
        raise Refusal("unknown_carrier", f"Unknown carrier {carrier!r}", 422, field="carrier",
                      carriers=sorted(CARRIERS))
    number = tracking_no.strip().upper()
    if not CARRIERS[carrier][1].match(number):
        raise Refusal("invalid_tracking_no", f"Not a {CARRIERS[carrier][0]} tracking number", 422,
                      field="tracking_no")
    return number


# Short enough to type at the counter; 10^8 codes per merchant, of which only the live ones are valid.
PICKUP_CODE_DIGITS = 8


def pickup_code(number: int, digits: int = PICKUP_CODE_DIGITS) -> str:
    """The code shown to the buyer, zero-padded to a fixed length (the caller draws `number` at random)."""
    return str(number % 10**digits).zfill(digits)


QR_PREFIX = "mpmall:pickup:"


def qr_text(code: str) -> str:
    """What the QR code encodes: staff scan it, and the counter sends it (or the code it carries)."""
    return QR_PREFIX + code


# --- tracking pushes (快递100) ----------------------------------------------------------------------------------

BEIJING = timezone(timedelta(hours=8))  # 快递100's times carry no zone: they are Beijing time


@dataclass(frozen=True)
class TrackingPush:
    carrier: str
    tracking_no: str
    state: str  # kuaidi100.STATES' name of lastResult.state
    lines: tuple[tuple[datetime, str], ...]  # (when, what the carrier says), newest first

    @property
    def delivered(self) -> bool:
        return self.state == "delivered"


def tracking_push(param: str) -> TrackingPush:
    """The facts of a push's `param` (its signature already checked); `unreadable_push` when they are not there."""
    try:
        body = json.loads(param)
        last = body["lastResult"]
        lines = tuple((_beijing(str(d.get("ftime") or d["time"])), str(d["context"])[:500]) for d in last["data"])
        return TrackingPush(str(last["com"]), str(last["nu"]).upper(), STATES.get(str(last["state"]), "in_transit"),
                            lines)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Refusal("unreadable_push", "Not a 快递100 push", 400) from None


def _beijing(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
