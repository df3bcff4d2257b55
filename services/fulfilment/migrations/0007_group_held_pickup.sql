-- Group buying (拼团): a paid group-buy order waiting for its group gets no pickup code (the group may still
-- fail and be refunded in full); group_buy.succeeded issues it. early_payments keeps the flag when order.paid
-- overtakes order.placed; group_releases notes a success that overtook the order's order.paid.
ALTER TABLE deliveries ADD COLUMN group_held boolean NOT NULL DEFAULT false;
ALTER TABLE early_payments ADD COLUMN group_held boolean NOT NULL DEFAULT false;
CREATE TABLE group_releases (
    order_id    text PRIMARY KEY,
    noted_at    timestamptz NOT NULL DEFAULT now()
);
