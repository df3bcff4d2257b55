-- Partial refunds and returns with goods.
-- Each order line gets an id clients name in a refund ({line_id, qty}).
ALTER TABLE order_lines ADD COLUMN id text;
UPDATE order_lines SET id = gen_random_uuid()::text WHERE id IS NULL;
ALTER TABLE order_lines ALTER COLUMN id SET NOT NULL;
CREATE UNIQUE INDEX order_lines_id ON order_lines (id);

-- A refund may take some units of some lines, and may need the goods back first:
--   requested -> (merchant approves, or says nothing in time) -> awaiting_return (with_return) | approved
--   awaiting_return -> (buyer's waybill) -> returning -> (merchant receives, or says nothing) -> approved
--   awaiting_return -> (no waybill in time) -> closed;  requested -> rejected
--   approved -> (payments) -> refunded | failed
-- amount_fen is the money back through the payment's leg (freight included), points_fen the spent points
-- given back as points.
ALTER TABLE refunds DROP CONSTRAINT refunds_status_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_status_check
    CHECK (status IN ('requested', 'awaiting_return', 'returning', 'approved', 'rejected', 'refunded', 'failed',
                      'closed'));
ALTER TABLE refunds ADD COLUMN points_fen bigint NOT NULL DEFAULT 0 CHECK (points_fen >= 0);
ALTER TABLE refunds ADD COLUMN freight_fen bigint NOT NULL DEFAULT 0 CHECK (freight_fen >= 0);
-- takes the order's last units (the order is REFUND_REQUESTED meanwhile); whole-order refunds from before
-- this migration did
ALTER TABLE refunds ADD COLUMN closes_order boolean NOT NULL DEFAULT true;
ALTER TABLE refunds ADD COLUMN shipped boolean NOT NULL DEFAULT false;  -- the goods had left the shop
UPDATE refunds SET shipped = previous_status IS NULL OR previous_status NOT IN ('PAID', 'READY_FOR_PICKUP') WHERE kind = 'return';
ALTER TABLE refunds ADD COLUMN with_return boolean NOT NULL DEFAULT false;
ALTER TABLE refunds ADD COLUMN requested_by text NOT NULL DEFAULT 'buyer' CHECK (requested_by IN ('buyer', 'merchant'));
ALTER TABLE refunds ADD COLUMN return_carrier text;
ALTER TABLE refunds ADD COLUMN return_tracking_no text;
ALTER TABLE refunds ADD COLUMN return_received_at timestamptz;
ALTER TABLE refunds ADD COLUMN reject_reason text;
ALTER TABLE refunds ADD COLUMN due_at timestamptz;          -- the deadline of its waiting state, if any
ALTER TABLE refunds ADD COLUMN timeout_reason text;         -- what a deadline decided, e.g. return_not_shipped
-- Several refunds of one order may be open at once (different units); the order's row lock serialises them.
DROP INDEX refunds_one_open_return;
ALTER TABLE refunds ADD COLUMN seq bigserial;  -- the order refunds were asked in, even within one instant
CREATE INDEX refunds_by_order ON refunds (order_id, seq);

-- The units and the share of the money and points each refund takes of each line.
CREATE TABLE refund_lines (
    refund_id   text NOT NULL REFERENCES refunds (refund_id),
    order_id    text NOT NULL,
    line_no     int NOT NULL,
    qty         int NOT NULL CHECK (qty > 0),
    cash_fen    bigint NOT NULL CHECK (cash_fen >= 0),
    points_fen  bigint NOT NULL CHECK (points_fen >= 0),
    PRIMARY KEY (refund_id, line_no),
    FOREIGN KEY (order_id, line_no) REFERENCES order_lines (order_id, line_no)
);
CREATE INDEX refund_lines_by_order ON refund_lines (order_id);
-- Refunds from before this migration took every unit of the order.
INSERT INTO refund_lines (refund_id, order_id, line_no, qty, cash_fen, points_fen)
SELECT r.refund_id, l.order_id, l.line_no, l.qty, 0, 0
FROM refunds r JOIN order_lines l ON l.order_id = r.order_id WHERE r.kind = 'return';

-- Refunds have deadlines too (the merchant's answer, the buyer's return, the merchant's receipt): one per
-- refund, in the same table and job as the order's own, told apart by `ref` (the refund id; '' for the order).
ALTER TABLE deadlines ADD COLUMN ref text NOT NULL DEFAULT '';
ALTER TABLE deadlines DROP CONSTRAINT deadlines_pkey;
ALTER TABLE deadlines ADD PRIMARY KEY (order_id, kind, ref);
ALTER TABLE deadlines DROP CONSTRAINT deadlines_kind_check;
ALTER TABLE deadlines ADD CONSTRAINT deadlines_kind_check CHECK (kind IN ('pay_by', 'auto_confirm', 'refund'));
-- Requests from before this migration still waiting for the merchant get the default answer deadline.
UPDATE refunds SET due_at = now() + interval '2 days' WHERE kind = 'return' AND status = 'requested';
INSERT INTO deadlines (order_id, kind, ref, due_at)
SELECT order_id, 'refund', refund_id, due_at FROM refunds WHERE kind = 'return' AND status = 'requested';
