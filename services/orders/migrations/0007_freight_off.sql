-- Freight a free-shipping coupon waived (marketing's promotion.locked): payable = goods after coupon and points
-- + freight_fen - freight_off_fen.
ALTER TABLE orders ADD COLUMN freight_off_fen bigint NOT NULL DEFAULT 0 CHECK (freight_off_fen >= 0);
