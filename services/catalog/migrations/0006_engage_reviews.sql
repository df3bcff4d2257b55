-- Reviews (issue 20): what a buyer thinks of an order line they received.

-- The lines of completed orders (order.completed, with the lines catalog reserved for order.placed): a buyer
-- may review each once, within the review window from `completed_at`.
CREATE TABLE review_lines (
    order_id      text NOT NULL,
    sku_id        text NOT NULL,
    user_id       text NOT NULL,
    product_id    text NOT NULL,
    merchant_id   text NOT NULL,
    completed_at  timestamptz NOT NULL,
    PRIMARY KEY (order_id, sku_id)
);
CREATE INDEX review_lines_buyer ON review_lines (user_id, completed_at DESC);

-- Lines with refunded units (order.refunded): their reviews are marked, whenever they were written.
CREATE TABLE review_refunds (
    order_id  text NOT NULL,
    sku_id    text NOT NULL,
    PRIMARY KEY (order_id, sku_id)
);

CREATE TABLE reviews (
    id               text PRIMARY KEY,
    order_id         text NOT NULL,
    sku_id           text NOT NULL,
    user_id          text NOT NULL,
    product_id       text NOT NULL,
    merchant_id      text NOT NULL,
    rating           int NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body             text NOT NULL DEFAULT '',
    images           text[] NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL,
    followup_body    text,
    followup_images  text[],
    followup_at      timestamptz,
    reply            text,
    replied_at       timestamptz,
    hidden_reason    text,
    hidden_at        timestamptz,
    UNIQUE (order_id, sku_id)  -- once per order line
);
-- A product's visible reviews, those with images first, newest first.
CREATE INDEX reviews_product ON reviews (product_id, (cardinality(images) > 0) DESC, created_at DESC)
    WHERE hidden_at IS NULL;
CREATE INDEX reviews_merchant ON reviews (merchant_id, created_at DESC);
CREATE INDEX reviews_buyer ON reviews (user_id, created_at DESC);
