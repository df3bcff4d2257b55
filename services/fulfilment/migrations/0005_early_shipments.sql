-- order.shipped may overtake order.placed (both waiting in the queue after an outage are handled
-- concurrently): the waybill is noted and applied once the delivery is known, as early payments are.
CREATE TABLE early_shipments (
    order_id    text PRIMARY KEY,
    carrier     text NOT NULL,
    tracking_no text NOT NULL,
    shipped_at  timestamptz NOT NULL,
    noted_at    timestamptz NOT NULL DEFAULT now()
);
