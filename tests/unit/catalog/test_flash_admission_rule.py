"""The flash-sale admission decision of one batch: never more than the sale has left, never a buyer past the
limit, and every refusal for the reason that applied when the request's turn came."""

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.catalog.domain import AdmissionRequest, FlashSale, decide_admissions

START = datetime(2026, 11, 11, tzinfo=UTC)
SALE = FlashSale("fs_1", "sku_1", 4_990, per_buyer_limit=3, starts_at=START, ends_at=START + timedelta(hours=1))
DURING = START + timedelta(minutes=5)


def ask(user: str, qty: int = 1, key: str = "k", sku: str = "sku_1") -> AdmissionRequest:
    return AdmissionRequest(key=key, user_id=user, sku_id=sku, qty=qty)


requests = st.lists(st.builds(ask, st.sampled_from(["a", "b", "c", "d", "e"]), st.integers(1, 4)), max_size=60)


@given(remaining=st.integers(0, 20), held=st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(0, 3)),
       batch=requests)
def test_a_batch_never_takes_more_than_is_left_or_a_buyer_past_the_limit(remaining, held, batch):
    verdicts = decide_admissions(SALE, remaining, held, batch, DURING)
    admitted = [r for r, v in zip(batch, verdicts, strict=True) if v is None]
    assert sum(r.qty for r in admitted) <= remaining
    units = Counter(held)
    for request in admitted:
        units[request.user_id] += request.qty
    assert all(units[user] <= SALE.per_buyer_limit for user in {r.user_id for r in admitted})
    # Replaying the verdicts in order: a refusal is the one that applied at the request's turn.
    left, mine = remaining, Counter(held)
    for request, verdict in zip(batch, verdicts, strict=True):
        if mine[request.user_id] + request.qty > SALE.per_buyer_limit:
            assert verdict == "flash_sale_limit"
        elif request.qty > left:
            assert verdict == "flash_sale_sold_out"
        else:
            assert verdict is None
            left -= request.qty
            mine[request.user_id] += request.qty


def test_outside_the_window_or_another_sku_nobody_is_admitted():
    batch = [ask("a"), ask("b", sku="sku_2")]
    assert decide_admissions(SALE, 10, {}, batch, START - timedelta(seconds=1)) == \
        ["flash_sale_not_started", "flash_sale_unknown"]
    assert decide_admissions(SALE, 10, {}, batch, SALE.ends_at) == ["flash_sale_ended", "flash_sale_unknown"]
    assert decide_admissions(None, 10, {}, batch, DURING) == ["flash_sale_unknown", "flash_sale_unknown"]


def test_first_come_first_served_within_a_batch():
    assert decide_admissions(SALE, 3, {"a": 2}, [ask("a", 2), ask("b", 2), ask("c", 2), ask("a", 1)], DURING) == \
        ["flash_sale_limit", None, "flash_sale_sold_out", None]
