-- Pay-later as a credit line: bills are repaid through an Alipay trade, reminded before and marked overdue
-- after their due date; a fully refunded unpaid bill is cancelled (was 'settled').
ALTER TABLE pay_later_bills DROP CONSTRAINT pay_later_bills_status_check;
UPDATE pay_later_bills SET status = 'cancelled' WHERE status = 'settled';
ALTER TABLE pay_later_bills
    ADD CONSTRAINT pay_later_bills_status_check CHECK (status IN ('open', 'overdue', 'paid', 'cancelled')),
    ADD CONSTRAINT pay_later_bills_amount_check CHECK (amount_fen >= 0 AND refunded_fen >= 0),
    ADD COLUMN out_trade_no  text,          -- the repayment trade the buyer was last given
    ADD COLUMN paid_fen      bigint,        -- what the repayment trade took
    ADD COLUMN paid_at       timestamptz,
    ADD COLUMN reminded_at   timestamptz,   -- bill.due_soon emitted
    ADD COLUMN overdue_at    timestamptz;   -- bill.overdue emitted
CREATE INDEX bills_open_by_due ON pay_later_bills (due_at) WHERE status = 'open';
CREATE INDEX payments_pay_later_by_merchant ON payments (merchant_id) WHERE method = 'pay_later';

-- One row per buyer who ever used pay-later: the lock that serialises a buyer's pay-later payments, so
-- concurrent ones cannot together pass the limit (used credit itself is the sum of the open bills).
CREATE TABLE credit_lines (
    user_id     text PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Repayment trades of bills are Alipay trades like the others.
ALTER TABLE alipay_trades DROP CONSTRAINT alipay_trades_purpose_check;
ALTER TABLE alipay_trades ADD CONSTRAINT alipay_trades_purpose_check
    CHECK (purpose IN ('payment', 'top_up', 'bill'));
