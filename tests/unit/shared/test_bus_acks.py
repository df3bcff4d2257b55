"""Which delivery one `multiple` ack may name: only the end of a run of settled deliveries (shared.bus)."""

from __future__ import annotations

from typing import Any, cast

from shared.bus import Deliveries


def _delivered(*tags: int) -> Deliveries:
    deliveries = Deliveries(cast(Any, object()))
    deliveries.unsettled.extend(tags)
    return deliveries


def test_an_ack_never_covers_a_delivery_still_in_hand():
    deliveries = _delivered(1, 2, 3, 4, 5)
    deliveries.to_ack.update({3, 4})  # a second worker finished first: 1 and 2 are still being handled
    assert deliveries.ack_point() is None
    deliveries.to_ack.add(1)
    assert deliveries.ack_point() == 1  # 2 is still in hand: 3 and 4 wait for it
    deliveries.to_ack.add(2)
    assert deliveries.ack_point() == 4
    assert list(deliveries.unsettled) == [5]


def test_a_delivery_handed_back_to_the_queue_is_passed_over_but_never_named():
    deliveries = _delivered(1, 2, 3)
    deliveries.handed_back.add(3)
    deliveries.to_ack.update({1, 2})
    assert deliveries.ack_point() == 2  # naming 3, which the broker already took back, would close the channel
    assert list(deliveries.unsettled) == []
    deliveries = _delivered(7)
    deliveries.handed_back.add(7)
    assert deliveries.ack_point() is None
    assert list(deliveries.unsettled) == []
