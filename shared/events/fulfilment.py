"""Events published by the fulfilment service: delivery facts. orders moves the order's status on them and
publishes the order.* events; fulfilment never changes an order itself."""

from datetime import datetime

from shared.events.base import EventData, event


@event("pickup.ready")
class PickupReady(EventData):
    """The merchant has the goods of a paid pickup order ready at the store (the buyer is told)."""

    order_id: str
    user_id: str
    merchant_id: str
    store_id: str


@event("pickup.verified")
class PickupVerified(EventData):
    """Staff verified the buyer's pickup code at the store: the goods are handed over (orders completes it)."""

    order_id: str
    user_id: str
    merchant_id: str
    store_id: str


@event("shipment.delivered")
class ShipmentDelivered(EventData):
    """The carrier reports the express parcel signed for (快递100 state 3 签收), once per shipment; orders
    moves the order to DELIVERED and restarts the auto-confirm countdown from here."""

    order_id: str
    user_id: str
    merchant_id: str
    carrier: str
    tracking_no: str
    delivered_at: datetime
