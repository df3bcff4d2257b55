-- Pay-later bills collected by Alipay agreement deduction (商户代扣), issue 19: a buyer who signed a
-- withholding agreement has their due bills deducted (alipay.trade.pay with the agreement); others pay them.
CREATE TABLE deduction_agreements (
    user_id                text PRIMARY KEY,
    external_agreement_no  text NOT NULL UNIQUE,
    agreement_no           text,
    status                 text NOT NULL CHECK (status IN ('signing', 'active')),
    created_at             timestamptz NOT NULL,
    signed_at              timestamptz
);

-- Each due bill is deducted at most once by the job (a failed deduction leaves the bill to the buyer).
ALTER TABLE pay_later_bills ADD COLUMN deduction_tried_at timestamptz;
CREATE INDEX bills_to_deduct ON pay_later_bills (due_at) WHERE status IN ('open', 'overdue') AND deduction_tried_at IS NULL;
