-- A payment the order never kept (late, second, wrong amount) is refunded at once as unwanted: it bought
-- nothing, so neither it nor its refund counts in any figure. The refund says so (payment.refunded
-- `unwanted`); it may arrive before the payment, so both rows carry the flag.
ALTER TABLE payments ADD COLUMN unwanted boolean NOT NULL DEFAULT false;
ALTER TABLE refunds ADD COLUMN unwanted boolean NOT NULL DEFAULT false;
CREATE INDEX refunds_payment ON refunds (payment_id) WHERE unwanted;
