-- One row per order with a delivery: how it is delivered (order.placed) and when it was paid (order.paid),
-- shipped (order.shipped), delivered (order.delivered) or picked up (order.picked_up), with each moment's shop
-- day. Filled in any order of arrival; the first arrival of each moment wins.
CREATE TABLE fulfilment (
    order_id       text PRIMARY KEY,
    merchant_id    text NOT NULL,
    method         text,
    store_id       text,
    paid_at        timestamptz,
    paid_day       date,
    shipped_at     timestamptz,
    shipped_day    date,
    delivered_at   timestamptz,
    delivered_day  date,
    picked_up_at   timestamptz,
    picked_up_day  date
);
CREATE INDEX fulfilment_merchant ON fulfilment (merchant_id);
