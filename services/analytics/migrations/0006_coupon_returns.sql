-- coupon.released for a coupon an order had redeemed: the whole order was refunded and the coupon went back
-- to the buyer, so it no longer counts as redeemed nor as marketing cost. One row per (coupon, order);
-- discount_fen is what the redemption had counted (NULL while its coupon.redeemed has not arrived yet, or
-- for a coupon released by a cancelled order, which never redeemed it).
CREATE TABLE coupon_returns (
    coupon_id     text NOT NULL,
    order_id      text NOT NULL,
    discount_fen  bigint,
    PRIMARY KEY (coupon_id, order_id)
);
CREATE INDEX coupon_returns_order ON coupon_returns (order_id);
