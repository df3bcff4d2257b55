"""Pure rules of notifications: what each buyer message says, what each merchant alert carries, how long to
wait before the next attempt. No I/O."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from shared.money import fen_to_yuan

# Buyer messages, one template each (MALL_SUBSCRIPTION_TEMPLATES maps them to Alipay's template ids).
MESSAGE_KINDS = ("order_paid", "order_shipped", "pickup_ready", "order_delivered", "order_refunded")
# Merchant alerts: shown on the console's stream and sent to the merchant's webhook. `test` is only ever
# sent by the merchant's "send test" button.
ALERT_KINDS = ("order_paid", "refund_requested", "pickup_not_ready")
TEST_ALERT = "test"
LONGEST_RETRY = timedelta(hours=1)
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")  # the buyer's time, as Alipay shows it


def message_data(kind: str, order_id: str, at: datetime, **facts: Any) -> dict[str, dict[str, str]]:
    """The template's keywords as Alipay takes them (`{"keyword1": {"value": "..."}}`): the order, then what
    happened, then when, in Beijing time. Every template of the mall has these three keywords."""
    values = [order_id, _what(kind, facts), at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")]
    return {f"keyword{i}": {"value": value} for i, value in enumerate(values, start=1)}


def _what(kind: str, facts: dict[str, Any]) -> str:
    match kind:
        case "order_paid":
            return f"已支付 ¥{fen_to_yuan(facts['amount_fen'])}"
        case "order_shipped":
            waybill = " ".join(str(facts[k]) for k in ("carrier", "tracking_no") if facts.get(k))
            return f"已发货 {waybill}".strip()
        case "pickup_ready":
            return "商品已备好，请到店自提"
        case "order_delivered":
            return "包裹已签收"
        case "order_refunded":
            return f"已退款 ¥{fen_to_yuan(facts['amount_fen'])}"
    raise ValueError(f"unknown message kind {kind}")


def next_attempt(now: datetime, attempts: int, first_delay_s: float) -> datetime:
    """After the `attempts`-th failure: the first delay, doubled each time, at most an hour."""
    delay = timedelta(seconds=first_delay_s * 2 ** max(attempts - 1, 0))
    return now + min(delay, LONGEST_RETRY)


def alert_document(alert_id: str, kind: str, merchant_id: str, order_id: str | None, data: dict[str, Any],
                   created_at: datetime) -> dict[str, Any]:
    """One alert as the console's stream and the webhook body show it."""
    return {"id": alert_id, "type": kind, "merchant_id": merchant_id, "order_id": order_id, "data": data,
            "created_at": created_at.isoformat()}
