-- Reviews (review.written) for the rating trend, and the list price of member-priced lines (order.placed)
-- for member-price uptake (issue 20).
CREATE TABLE reviews (
    review_id    text PRIMARY KEY,
    merchant_id  text NOT NULL,
    product_id   text NOT NULL,
    rating       int NOT NULL,
    with_images  boolean NOT NULL,
    day          date NOT NULL
);
CREATE INDEX reviews_merchant_day ON reviews (merchant_id, day);

ALTER TABLE order_lines ADD COLUMN list_price_fen bigint;  -- NULL: no member price on the line
