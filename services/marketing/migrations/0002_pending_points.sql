-- Points earned on an order stay pending until the order can no longer be refunded (MALL_POINTS_RELEASE_DAYS
-- after order.completed), so they can't be spent on another order and then kept after a refund.
-- A refund before release cancels pending points; a refund after release claws back from the balance and
-- what is not there becomes `debt`, paid first out of the next points that reach the balance.

ALTER TABLE points_accounts ADD COLUMN debt bigint NOT NULL DEFAULT 0 CHECK (debt >= 0);
-- Shortfalls recorded before this migration were never recovered: they become debt.
UPDATE points_accounts a SET debt = s.owed
FROM (SELECT user_id, sum(shortfall) AS owed FROM points_ledger GROUP BY user_id HAVING sum(shortfall) > 0) s
WHERE a.user_id = s.user_id;
INSERT INTO points_accounts (user_id, debt)
SELECT user_id, sum(shortfall) FROM points_ledger GROUP BY user_id HAVING sum(shortfall) > 0
ON CONFLICT (user_id) DO NOTHING;

-- Change of pending points by each entry (`delta` stays the change of the balance).
ALTER TABLE points_ledger ADD COLUMN pending bigint NOT NULL DEFAULT 0;
ALTER TABLE points_ledger DROP CONSTRAINT points_ledger_kind_check;
ALTER TABLE points_ledger ADD CONSTRAINT points_ledger_kind_check
    CHECK (kind IN ('earn', 'spend', 'clawback', 'grant', 'release', 'repay'));

-- Orders paid before this migration had their points credited at once: they count as released.
ALTER TABLE paid_orders ADD COLUMN points_state text NOT NULL DEFAULT 'released'
    CHECK (points_state IN ('pending', 'released', 'cancelled'));
ALTER TABLE paid_orders ADD COLUMN release_at timestamptz;   -- set by order.completed; NULL: not completed yet
ALTER TABLE paid_orders ADD COLUMN released_at timestamptz;
CREATE INDEX paid_orders_release ON paid_orders (release_at) WHERE points_state = 'pending';
