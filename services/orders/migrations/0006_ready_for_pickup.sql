-- READY_FOR_PICKUP: a paid pickup order whose goods wait at the store (fulfilment's pickup.ready).
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('PENDING', 'AWAITING_PAYMENT', 'PAID', 'READY_FOR_PICKUP', 'SHIPPED', 'DELIVERED',
                      'COMPLETED', 'CANCELLED', 'REFUND_REQUESTED', 'REFUNDED'));
