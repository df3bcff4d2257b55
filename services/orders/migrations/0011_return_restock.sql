-- Returned goods go back on sale when they are received (order.return_received), no longer with the money
-- (order.refunded). A refund received before this change was never announced that way: for it (false here)
-- the refund still restocks, so no returned unit is lost from stock or put back twice.
ALTER TABLE refunds ADD COLUMN restocked_on_receipt boolean NOT NULL DEFAULT false;
