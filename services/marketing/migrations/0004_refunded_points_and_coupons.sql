-- Partial refunds: the points an order spent come back as points with each refund (`refund`, one entry per
-- refund id), and a coupon of a wholly refunded order comes back while it has not expired.
ALTER TABLE points_ledger DROP CONSTRAINT points_ledger_kind_check;
ALTER TABLE points_ledger ADD CONSTRAINT points_ledger_kind_check
    CHECK (kind IN ('earn', 'spend', 'clawback', 'grant', 'release', 'repay', 'refund'));
