-- Rotating a webhook's secret keeps the previous one signing too until previous_until (the overlap window),
-- so a merchant's receiver can switch secrets without refusing deliveries meanwhile.
ALTER TABLE webhooks ADD COLUMN previous_secret text, ADD COLUMN previous_until timestamptz;
