-- Fulfilment metrics read one merchant's orders by the day of a moment: an index per moment's day, so a range
-- reads its days, not the merchant's whole history (bench/orders_scale.py).
CREATE INDEX fulfilment_paid_day ON fulfilment (merchant_id, paid_day);
CREATE INDEX fulfilment_shipped_day ON fulfilment (merchant_id, shipped_day);
CREATE INDEX fulfilment_delivered_day ON fulfilment (merchant_id, delivered_day);
CREATE INDEX fulfilment_picked_up_day ON fulfilment (merchant_id, picked_up_day);
-- "Is this the order's first payment?" asked per payment in range: the order's payments by time.
CREATE INDEX payments_order_time ON payments (order_id, occurred_at, payment_id) WHERE NOT unwanted;
