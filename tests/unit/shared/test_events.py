import uuid

import pydantic
import pytest

from shared.events import Event, UnknownEvent, registered_types
from shared.events.common import Line
from shared.events.orders import OrderPlaced


def placed() -> OrderPlaced:
    return OrderPlaced(order_id="o1", user_id="u1", merchant_id="m1", subtotal_fen=2_000,
                       lines=[Line(sku_id="s1", product_id="p1", qty=2, unit_price_fen=1_000)])


def test_envelope_round_trips_with_typed_data():
    event = Event.wrap(placed(), producer="orders", correlation_id="req-1")
    decoded = Event.from_json(event.to_json())
    assert decoded == event
    assert isinstance(decoded.data, OrderPlaced)
    assert decoded.type == "order.placed" and decoded.version == 1 and isinstance(decoded.id, uuid.UUID)


def test_unknown_type_and_bad_data_are_refused():
    raw = Event.wrap(placed(), producer="orders").model_dump(mode="json")
    with pytest.raises(UnknownEvent):
        Event.from_json(__import__("orjson").dumps({**raw, "type": "order.exploded"}))
    with pytest.raises(pydantic.ValidationError):
        Event.from_json(__import__("orjson").dumps({**raw, "data": {**raw["data"], "lines": []}}))
    with pytest.raises(pydantic.ValidationError):
        Event.from_json(__import__("orjson").dumps({**raw, "data": {**raw["data"], "surprise": 1}}))
    # An amount rung up at a store's counter (到店消费) is a sale of no goods.
    counter = {**raw, "data": {**raw["data"], "lines": [], "entry": "store_checkout"}}
    assert Event.from_json(__import__("orjson").dumps(counter)).data.lines == []  # type: ignore[attr-defined]


def test_catalogue_names_every_flow_event():
    assert {"order.placed", "stock.reserved", "promotion.locked", "order.confirmed", "payment.confirmed",
            "coupon.redeemed", "user.active"} <= set(registered_types())
