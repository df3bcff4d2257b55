-- Flash-sale admission before the order (issue 17): a buyer is admitted by catalog's batching admitter when the
-- gateway places a flash order, before orders writes it; the order then names its admission and catalog's
-- order.placed handler binds the two. So an admission exists without an order for a moment (or for good, when
-- the order never came: a job releases it after MALL_FLASH_ADMISSION_HOLD_SECONDS).
ALTER TABLE flash_admissions ADD COLUMN id text;
ALTER TABLE flash_admissions ADD COLUMN request_key text;
UPDATE flash_admissions SET id = order_id, request_key = order_id;  -- admissions made by the order saga
ALTER TABLE flash_admissions ALTER COLUMN id SET NOT NULL;
ALTER TABLE flash_admissions ALTER COLUMN request_key SET NOT NULL;
ALTER TABLE flash_admissions DROP CONSTRAINT flash_admissions_pkey;
ALTER TABLE flash_admissions ADD PRIMARY KEY (id);
ALTER TABLE flash_admissions ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE flash_admissions ADD CONSTRAINT flash_admissions_order UNIQUE (order_id);
-- The buyer's Idempotency-Key of the placement: a retried request finds its admission instead of a second one.
ALTER TABLE flash_admissions ADD CONSTRAINT flash_admissions_request UNIQUE (sale_id, user_id, request_key);
-- Held admissions no order has claimed yet, oldest first: what the release job looks at.
CREATE INDEX flash_admissions_unclaimed ON flash_admissions (at) WHERE status = 'held' AND order_id IS NULL;
