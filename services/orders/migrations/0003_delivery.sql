-- The order's delivery as fulfilment quoted it (method, address snapshot or store) and its freight, which the
-- payable includes. Orders from before fulfilment have none.
ALTER TABLE orders ADD COLUMN freight_fen bigint NOT NULL DEFAULT 0 CHECK (freight_fen >= 0);
ALTER TABLE orders ADD COLUMN delivery jsonb;
