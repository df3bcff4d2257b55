"""Store claim codes, clawbacks and levels as properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.marketing.domain import qr
from services.marketing.domain.levels import level_for
from services.marketing.domain.points import clawback, points_earned

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ids = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)


@given(template_id=ids, store_id=ids, minutes=st.integers(1, 10**6))
def test_a_minted_code_reads_back_until_it_expires(template_id: str, store_id: str, minutes: int) -> None:
    expires = NOW + timedelta(minutes=minutes)
    code = qr.mint("secret", template_id, store_id, expires)
    assert code.startswith("MPSC.")
    found = qr.read("secret", code, NOW)
    assert (found.template_id, found.store_id) == (template_id, store_id)
    with pytest.raises(qr.CodeRefused, match="expired"):
        qr.read("secret", code, expires)


@given(position=st.integers(min_value=5), replacement=st.sampled_from("AbZ09-_."), data=st.data())
def test_any_tampered_code_is_refused(position: int, replacement: str, data: st.DataObject) -> None:
    code = qr.mint("secret", "tpl_1", "sto_1", NOW + timedelta(days=1))
    position %= len(code)
    if code[position] == replacement:
        return
    forged = code[:position] + replacement + code[position + 1:]
    with pytest.raises(qr.CodeRefused) as refused:
        qr.read("secret", forged, NOW)
    assert refused.value.code == "store_code_invalid"


@given(text=st.text(max_size=80))
def test_any_text_is_read_or_refused_never_an_error(text: str) -> None:
    for candidate in (text, "MPSC." + text, "MPSC." + text.replace(".", "") + "." + text):
        with pytest.raises(qr.CodeRefused):
            qr.read("secret", candidate, NOW)


def test_a_code_signed_with_another_secret_is_refused() -> None:
    code = qr.mint("other", "tpl_1", "sto_1", NOW + timedelta(days=1))
    with pytest.raises(qr.CodeRefused, match="signature"):
        qr.read("secret", code, NOW)


@given(earned=st.integers(0, 10**6), paid=st.integers(1, 10**8), cuts=st.lists(st.integers(1, 100), max_size=5),
       spendable=st.integers(0, 10**6))
def test_partial_clawbacks_add_up_to_what_was_earned(earned: int, paid: int, cuts: list[int],
                                                      spendable: int) -> None:
    asked_total = taken_total = 0
    refunded = 0
    for cut in cuts:
        refunded = min(paid, refunded + paid * cut // 100)
        back = clawback(earned=earned, already_asked=asked_total, paid_fen=paid, total_refunded_fen=refunded,
                        full=False, spendable=spendable - taken_total)
        assert back.taken + back.shortfall == back.asked >= 0
        assert back.taken <= spendable - taken_total  # the balance never goes negative
        asked_total += back.asked
        taken_total += back.taken
        assert asked_total <= earned
    final = clawback(earned=earned, already_asked=asked_total, paid_fen=paid, total_refunded_fen=paid, full=True,
                     spendable=spendable - taken_total)
    assert asked_total + final.asked == earned


def test_points_per_whole_yuan() -> None:
    assert points_earned(9_999, 1) == 99
    assert points_earned(100, 2) == 2
    assert points_earned(99, 1) == 0


@given(a=st.integers(0, 10**8), b=st.integers(0, 10**8))
def test_levels_grow_with_spend(a: int, b: int) -> None:
    thresholds = [50_000, 200_000, 1_000_000]
    low, high = sorted((a, b))
    assert level_for(low, thresholds) <= level_for(high, thresholds)
    assert level_for(0, thresholds) == 1 and level_for(10**8, thresholds) == 4
