"""Pure metric math: date ranges, ratios, averages, and the report assembled from the store's aggregates.

No I/O here. Definitions are in METRICS.md; this module is their executable form.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

MAX_RANGE_DAYS = 366
# Entry points the console reports, in the order a merchant reads them (home/other follow if seen).
ENTRIES = ("search", "scan", "favorites", "member_card", "payment_success", "nearby", "home", "store_checkout",
           "other")
HUABEI = "huabei"
RETENTION_DAYS = 7


class RangeError(ValueError):
    """A refused date range; `field` names the query parameter at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class DateRange:
    first: date
    last: date

    @classmethod
    def checked(cls, first: date, last: date) -> DateRange:
        if first > last:
            raise RangeError("to", "`to` must be on or after `from`")
        if (last - first).days + 1 > MAX_RANGE_DAYS:
            raise RangeError("to", f"the range may span at most {MAX_RANGE_DAYS} days")
        return cls(first, last)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def ratio(numerator: int, denominator: int) -> float | None:
    """A share rounded to 4 decimals; None when there is nothing to divide by (not 0: unknown is not zero)."""
    if denominator == 0:
        return None
    return round(numerator / denominator, 4)


def average_fen(total_fen: int, count: int) -> int | None:
    """An average in whole fen, halves rounded away from zero; None for no orders."""
    if count == 0:
        return None
    quotient, remainder = divmod(abs(total_fen), count)
    rounded = quotient + (1 if remainder * 2 >= count else 0)
    return rounded if total_fen >= 0 else -rounded


def method_group(method: str) -> str:
    """Huabei instalments against every other way of paying."""
    return HUABEI if method == HUABEI else "other"


def _sum_by(rows: Iterable[Mapping[str, Any]], keys: tuple[str, ...], value: str) -> dict[Any, int]:
    out: dict[Any, int] = defaultdict(int)
    for row in rows:
        key = tuple(row[k] for k in keys)
        out[key[0] if len(key) == 1 else key] += int(row[value] or 0)
    return out


def _by_method(paid: dict[str, int], refunded: dict[str, int], orders: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    for method in sorted(set(paid) | set(refunded) | set(orders)):
        gmv = paid.get(method, 0) - refunded.get(method, 0)
        n = orders.get(method, 0)
        out.append({"method": method, "orders": n, "paid_fen": paid.get(method, 0),
                    "refunded_fen": refunded.get(method, 0), "gmv_fen": gmv, "aov_fen": average_fen(gmv, n)})
    return out


def build_report(*, merchant_id: str, span: DateRange, paid: Sequence[Mapping[str, Any]],
                 orders: Sequence[Mapping[str, Any]], refunds: Sequence[Mapping[str, Any]], cost: Mapping[str, Any],
                 coupons: Mapping[str, Any], retention: Sequence[Mapping[str, Any]],
                 visitors: Sequence[Mapping[str, Any]], entry_orders: Sequence[Mapping[str, Any]],
                 top_products: Sequence[Mapping[str, Any]],
                 fulfilment: Mapping[str, Any] | None = None,
                 group_buys: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One JSON-ready document with every metric of a merchant over a range (see METRICS.md)."""
    paid_day = _sum_by(paid, ("day",), "paid_fen")
    refunded_day = _sum_by(refunds, ("day",), "refunded_fen")
    orders_day = _sum_by(orders, ("day",), "orders")
    paid_method = _sum_by(paid, ("method",), "paid_fen")
    refunded_method = _sum_by(refunds, ("method",), "refunded_fen")
    orders_method = _sum_by(orders, ("method",), "orders")

    daily = [{"day": d.isoformat(), "paid_fen": paid_day.get(d, 0), "refunded_fen": refunded_day.get(d, 0),
              "gmv_fen": paid_day.get(d, 0) - refunded_day.get(d, 0), "orders": orders_day.get(d, 0)}
             for d in span.days()]
    paid_fen = sum(paid_method.values())
    refunded_fen = sum(refunded_method.values())
    gmv_fen = paid_fen - refunded_fen
    order_count = sum(orders_method.values())

    by_method = _by_method(paid_method, refunded_method, orders_method)
    groups = {g: {"orders": 0, "gmv_fen": 0} for g in (HUABEI, "other")}
    for row in by_method:
        group = groups[method_group(row["method"])]
        group["orders"] += row["orders"]
        group["gmv_fen"] += row["gmv_fen"]
    by_group = [{"group": g, **v, "aov_fen": average_fen(v["gmv_fen"], v["orders"])} for g, v in groups.items()]
    mix = [{"method": r["method"], "orders": r["orders"], "paid_fen": r["paid_fen"],
            "share_of_paid": ratio(r["paid_fen"], paid_fen), "share_of_orders": ratio(r["orders"], order_count)}
           for r in by_method if r["orders"] or r["paid_fen"]]

    discount_fen, points_fen = int(cost["discount_fen"]), int(cost["points_fen"])
    claimed, redeemed = int(coupons["claimed"]), int(coupons["redeemed"])
    return {
        "merchant_id": merchant_id, "from": span.first.isoformat(), "to": span.last.isoformat(),
        "kpis": {
            "gmv_fen": gmv_fen, "paid_fen": paid_fen, "refunded_fen": refunded_fen, "orders": order_count,
            "aov_fen": average_fen(gmv_fen, order_count),
            "coupons_claimed": claimed, "coupons_redeemed": redeemed,
            "coupon_redemption_rate": ratio(redeemed, claimed),
            "discount_fen": discount_fen, "points_fen": points_fen,
            "marketing_cost_fen": discount_fen + points_fen,
            "marketing_cost_ratio": ratio(discount_fen + points_fen, gmv_fen) if gmv_fen > 0 else None,
            **group_buy_kpis(group_buys or {}),
        },
        "daily": daily,
        "aov_by_method": by_method,
        "aov_by_group": by_group,
        "payment_mix": mix,
        "retention": retention_series(span, retention),
        "conversion_by_entry": conversion(visitors, entry_orders),
        "top_products": [product_row(p) for p in top_products],
        "fulfilment": fulfilment or {},
    }


def retention_series(span: DateRange, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Day-7 retention per first-visit cohort, one entry per day of the range (empty cohorts included)."""
    found = {r["cohort_day"]: (int(r["users"]), int(r["retained"])) for r in rows}
    out = []
    for d in span.days():
        users, retained = found.get(d, (0, 0))
        out.append({"cohort_day": d.isoformat(), "users": users, "retained_d7": retained,
                    "rate": ratio(retained, users)})
    return out


def conversion(visitors: Sequence[Mapping[str, Any]], orders: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    seen = _sum_by(visitors, ("entry",), "visitors")
    paid = _sum_by(orders, ("entry",), "orders")
    names = [e for e in ENTRIES if e in ENTRIES[:6] or e in seen or e in paid]
    names += sorted((set(seen) | set(paid)) - set(names))
    return [{"entry": e, "visitors": seen.get(e, 0), "paid_orders": paid.get(e, 0),
             "rate": ratio(paid.get(e, 0), seen.get(e, 0))} for e in names]


def _seconds(value: Any) -> int | None:
    return None if value is None else round(float(value))


def time_from_paid(span: DateRange, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """How long paid orders took to reach a stage: over the range and per day of reaching it (orders, median
    and 90th percentile in whole seconds; null on a day without any)."""
    by_day = {r["day"]: r for r in rows if r["day"] is not None}
    whole = next((r for r in rows if r["day"] is None), None)

    def stats(row: Mapping[str, Any] | None) -> dict[str, Any]:
        if row is None:
            return {"orders": 0, "median_s": None, "p90_s": None}
        return {"orders": int(row["orders"]), "median_s": _seconds(row["median_s"]), "p90_s": _seconds(row["p90_s"])}

    return {**stats(whole), "daily": [{"day": d.isoformat(), **stats(by_day.get(d))} for d in span.days()]}


def pickup_share(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Of the paid orders with a delivery, the share the buyers chose to pick up, overall and per store."""
    total = sum(int(r["orders"]) for r in rows)
    stores = sorted(((r["store_id"], int(r["orders"])) for r in rows if r["method"] == "pickup"),
                    key=lambda pair: (-pair[1], pair[0]))
    pickups = sum(n for _, n in stores)
    return {"orders": total, "pickup_orders": pickups, "share": ratio(pickups, total),
            "by_store": [{"store_id": s, "orders": n, "share": ratio(n, total)} for s, n in stores]}


def product_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"product_id": row["product_id"], "name": row["name"], "qty": int(row["qty"]),
            "sales_fen": int(row["sales_fen"]), "orders": int(row["orders"])}


def group_buy_kpis(outcomes: Mapping[str, Any]) -> dict[str, Any]:
    """Group-buy groups that ended in the range: succeeded, failed and the success rate (succeeded / ended,
    null when none ended)."""
    succeeded, failed = int(outcomes.get("succeeded") or 0), int(outcomes.get("failed") or 0)
    return {"group_buys_succeeded": succeeded, "group_buys_failed": failed,
            "group_buy_success_rate": ratio(succeeded, succeeded + failed)}


def review_trend(span: DateRange, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Reviews written in the range (rows: day, rating, reviews, with_images): count, average, counts per
    star, and per day the count and average rating (None on a day without reviews)."""
    stars = {str(s): 0 for s in range(1, 6)}
    per_day: dict[Any, list[int]] = {}
    images = 0
    for row in rows:
        stars[str(row["rating"])] += int(row["reviews"])
        images += int(row["with_images"])
        day = per_day.setdefault(row["day"], [0, 0])
        day[0] += int(row["reviews"])
        day[1] += int(row["reviews"]) * int(row["rating"])
    count = sum(stars.values())
    total = sum(int(k) * v for k, v in stars.items())
    return {"reviews": count, "average": round(total / count, 2) if count else None, "stars": stars,
            "with_images": images,
            "daily": [{"day": d.isoformat(), "reviews": per_day.get(d, [0, 0])[0],
                       "average": round(per_day[d][1] / per_day[d][0], 2) if d in per_day else None}
                      for d in span.days()]}


def member_price_uptake(row: Mapping[str, Any]) -> dict[str, Any]:
    """Paid orders in range, those with a member-priced line, their share, and what member prices took off."""
    orders, member = int(row["orders"]), int(row["member_orders"])
    return {"orders": orders, "member_orders": member, "share": ratio(member, orders),
            "saving_fen": int(row["saving_fen"])}
