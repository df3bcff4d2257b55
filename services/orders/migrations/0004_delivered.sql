-- DELIVERED: the carrier reports an express order signed for (fulfilment's shipment.delivered); auto-confirm
-- counts from then.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('PENDING', 'AWAITING_PAYMENT', 'PAID', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED',
                      'REFUND_REQUESTED', 'REFUNDED'));
ALTER TABLE orders ADD COLUMN delivered_at timestamptz;
