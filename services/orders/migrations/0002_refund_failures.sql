-- A refund payments could not make (payment.refund_failed): status failed, with payments' reason, so the
-- buyer and the merchant see why the money did not move.
ALTER TABLE refunds DROP CONSTRAINT refunds_status_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_status_check
    CHECK (status IN ('requested', 'approved', 'rejected', 'refunded', 'failed'));
ALTER TABLE refunds ADD COLUMN failure_reason text;
