-- How each group-buy (拼团) group ended (group_buy.succeeded / group_buy.failed), on the shop day it ended:
-- the success rate is succeeded / ended.
CREATE TABLE group_buy_outcomes (
    group_id     text PRIMARY KEY,
    merchant_id  text NOT NULL,
    deal_id      text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
    members      int NOT NULL,
    day          date NOT NULL
);
CREATE INDEX group_buy_outcomes_by_merchant ON group_buy_outcomes (merchant_id, day);
