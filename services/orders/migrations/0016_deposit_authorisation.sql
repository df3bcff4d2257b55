-- A Sesame deposit-free rental waits for the buyer's freeze (payments' deposit.authorising): a `deposit_auth`
-- deadline closes it, with reason deposit_not_authorised, unless deposit.frozen came first (deposit_frozen_at).
ALTER TABLE orders ADD COLUMN deposit_frozen_at timestamptz;
ALTER TABLE deadlines DROP CONSTRAINT deadlines_kind_check;
ALTER TABLE deadlines ADD CONSTRAINT deadlines_kind_check
    CHECK (kind IN ('pay_by', 'auto_confirm', 'refund', 'deposit_auth'));
