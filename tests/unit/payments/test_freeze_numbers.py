"""The numbers of a rental's freeze requests: each attempt its own out_order_no / out_request_no, and a notify's
number leads back to the order and the attempt (or to nothing, for a number we never made)."""

from __future__ import annotations

import uuid

from services.payments.flows.deposits import _numbers, _request_of

ORDER = str(uuid.UUID("3f2a9c4e-1b7d-4e8a-9f00-abcdefabcdef"))


def test_the_first_request_keeps_its_numbers_and_later_ones_are_numbered() -> None:
    hex_ = ORDER.replace("-", "")
    assert _numbers(ORDER) == (f"da_{hex_}", f"dr_{hex_}")
    assert _numbers(ORDER, 2) == (f"da2_{hex_}", f"dr2_{hex_}")
    assert len({_numbers(ORDER, n)[1] for n in range(1, 20)}) == 19


def test_a_freeze_number_leads_back_to_its_order_and_attempt() -> None:
    for attempt in (1, 2, 12):
        assert _request_of(_numbers(ORDER, attempt)[0]) == (ORDER, attempt)


def test_numbers_we_never_made_lead_nowhere() -> None:
    hex_ = ORDER.replace("-", "")
    for number in (f"dr_{hex_}", f"da0_{hex_}", f"da01_{hex_}", f"dax_{hex_}", f"p_{hex_}", "da_nothex", "",
                   f"da_{hex_.upper()}"):
        assert _request_of(number) is None, number
