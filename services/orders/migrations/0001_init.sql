-- The orders service: a local SKU copy (from sku.changed), carts, orders with their line snapshot,
-- deadlines (pay-by, auto-confirm) and refunds.
CREATE TABLE skus (
    sku_id       text PRIMARY KEY,
    product_id   text NOT NULL,
    merchant_id  text NOT NULL,
    category_id  text,
    name         text NOT NULL,
    price_fen    bigint NOT NULL CHECK (price_fen >= 0),
    deposit_fen  bigint NOT NULL DEFAULT 0 CHECK (deposit_fen >= 0),
    sellable     boolean NOT NULL,
    revision     bigint NOT NULL
);

CREATE TABLE cart_items (
    user_id      text NOT NULL,
    sku_id       text NOT NULL,
    qty          int NOT NULL CHECK (qty > 0),
    added_at     timestamptz NOT NULL,
    PRIMARY KEY (user_id, sku_id)
);

CREATE TABLE orders (
    id               text PRIMARY KEY,
    user_id          text NOT NULL,
    merchant_id      text NOT NULL,
    status           text NOT NULL CHECK (status IN ('PENDING', 'AWAITING_PAYMENT', 'PAID', 'SHIPPED',
                         'COMPLETED', 'CANCELLED', 'REFUND_REQUESTED', 'REFUNDED')),
    entry            text NOT NULL,
    coupon_id        text,
    points           int NOT NULL DEFAULT 0,
    subject          text NOT NULL,
    subtotal_fen     bigint NOT NULL,
    deposit_fen      bigint NOT NULL DEFAULT 0,
    discount_fen     bigint NOT NULL DEFAULT 0,
    points_fen       bigint NOT NULL DEFAULT 0,
    payable_fen      bigint,
    -- the saga's answers so far: stock waiting|reserved|rejected; promotion none|waiting|locked|rejected
    stock_status     text NOT NULL DEFAULT 'waiting',
    promotion_status text NOT NULL,
    reason           text,
    pay_by           timestamptz NOT NULL,
    payment_id       text,
    payment_method   text,
    paid_fen         bigint,
    paid_at          timestamptz,
    shipped_at       timestamptz,
    auto_confirm_at  timestamptz,
    completed_at     timestamptz,
    cancelled_at     timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX orders_by_user ON orders (user_id, created_at DESC);
CREATE INDEX orders_by_merchant ON orders (merchant_id, status, created_at DESC);

CREATE TABLE order_lines (
    order_id        text NOT NULL REFERENCES orders (id),
    line_no         int NOT NULL,
    sku_id          text NOT NULL,
    product_id      text NOT NULL,
    category_id     text,
    name            text NOT NULL,
    qty             int NOT NULL CHECK (qty > 0),
    unit_price_fen  bigint NOT NULL,
    deposit_fen     bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (order_id, line_no)
);

-- One row per pending deadline; the job claims due rows with FOR UPDATE SKIP LOCKED and deletes them.
CREATE TABLE deadlines (
    order_id  text NOT NULL REFERENCES orders (id),
    kind      text NOT NULL CHECK (kind IN ('pay_by', 'auto_confirm')),
    due_at    timestamptz NOT NULL,
    PRIMARY KEY (order_id, kind)
);
CREATE INDEX deadlines_due ON deadlines (due_at);

CREATE TABLE refunds (
    refund_id        text PRIMARY KEY,
    order_id         text NOT NULL REFERENCES orders (id),
    -- return: asked by the buyer; unwanted_payment: a payment the order could not keep (late, wrong amount)
    kind             text NOT NULL CHECK (kind IN ('return', 'unwanted_payment')),
    payment_id       text,
    amount_fen       bigint NOT NULL,
    reason           text NOT NULL,
    status           text NOT NULL CHECK (status IN ('requested', 'approved', 'rejected', 'refunded')),
    previous_status  text,
    created_at       timestamptz NOT NULL,
    decided_at       timestamptz,
    refunded_at      timestamptz
);
-- A redelivered (or re-published) payment.confirmed never refunds the same payment twice.
CREATE UNIQUE INDEX refunds_one_per_unwanted_payment ON refunds (payment_id) WHERE kind = 'unwanted_payment';
CREATE UNIQUE INDEX refunds_one_open_return ON refunds (order_id)
    WHERE kind = 'return' AND status IN ('requested', 'approved');
