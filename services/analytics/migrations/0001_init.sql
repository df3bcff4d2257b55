-- Facts built from the mall's events. Every table is keyed by the fact's natural key, so an event that is
-- delivered again (same id: the inbox skips it) or replayed under a new id (same fact) never counts twice.
-- `day` is the shop-local calendar day of the envelope's occurred_at (settings.timezone), so a late event
-- lands on the day it happened, not the day it arrived.

-- Every event as received: the raw material for metrics not yet defined (and for audits and backfills).
CREATE TABLE event_log (
    event_id     uuid PRIMARY KEY,
    event_type   text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    merchant_id  text,
    data         jsonb NOT NULL
);
CREATE INDEX event_log_type_time ON event_log (event_type, occurred_at);

-- One row per order, filled by order.placed, order.confirmed and order.cancelled in any order of arrival.
CREATE TABLE orders (
    order_id      text PRIMARY KEY,
    merchant_id   text NOT NULL,
    user_id       text NOT NULL,
    entry         text,
    subtotal_fen  bigint,
    coupon_id     text,
    discount_fen  bigint,
    points_fen    bigint,
    payable_fen   bigint,
    placed_day    date,
    cancelled_day date
);
CREATE INDEX orders_merchant ON orders (merchant_id);

CREATE TABLE order_lines (
    order_id        text NOT NULL,
    sku_id          text NOT NULL,
    merchant_id     text NOT NULL,
    product_id      text NOT NULL,
    name            text NOT NULL,
    qty             int NOT NULL,
    unit_price_fen  bigint NOT NULL,
    PRIMARY KEY (order_id, sku_id)
);
CREATE INDEX order_lines_merchant ON order_lines (merchant_id);

CREATE TABLE payments (
    payment_id    text PRIMARY KEY,
    order_id      text NOT NULL,
    merchant_id   text NOT NULL,
    user_id       text NOT NULL,
    method        text NOT NULL,
    installments  int,
    amount_fen    bigint NOT NULL,
    occurred_at   timestamptz NOT NULL,
    day           date NOT NULL
);
CREATE INDEX payments_merchant_day ON payments (merchant_id, day);
CREATE INDEX payments_order ON payments (order_id);

CREATE TABLE refunds (
    refund_id     text PRIMARY KEY,
    payment_id    text NOT NULL,
    order_id      text NOT NULL,
    merchant_id   text NOT NULL,
    amount_fen    bigint NOT NULL,
    day           date NOT NULL
);
CREATE INDEX refunds_merchant_day ON refunds (merchant_id, day);

CREATE TABLE coupon_claims (
    coupon_id     text PRIMARY KEY,
    merchant_id   text,
    user_id       text NOT NULL,
    template_id   text NOT NULL,
    campaign_id   text NOT NULL,
    day           date NOT NULL
);
CREATE INDEX coupon_claims_merchant_day ON coupon_claims (merchant_id, day);

CREATE TABLE coupon_redemptions (
    coupon_id     text PRIMARY KEY,
    merchant_id   text,
    order_id      text NOT NULL,
    discount_fen  bigint NOT NULL,
    day           date NOT NULL
);

-- user.active: one row per user, day, entry point and merchant ('' = a visit to the mall as a whole).
CREATE TABLE visits (
    user_id      text NOT NULL,
    day          date NOT NULL,
    entry        text NOT NULL,
    merchant_id  text NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, day, entry, merchant_id)
);
CREATE INDEX visits_merchant_day ON visits (merchant_id, day);
