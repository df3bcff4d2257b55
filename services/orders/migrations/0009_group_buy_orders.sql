-- Group-buy (拼团) orders: the group the order opened or joined (marketing owns the groups) and where that
-- stands for the order: waiting (paid or not, held: not shippable, not refundable by request), succeeded
-- (goes on to fulfilment) or failed (refunded or cancelled by group_buy.failed).
ALTER TABLE orders ADD COLUMN group_id text;
ALTER TABLE orders ADD COLUMN group_state text CHECK (group_state IN ('waiting', 'succeeded', 'failed'));
-- A buyer is in a group once: a second live order for the same group is refused at placement (this index is
-- the last guard behind the check made under the buyer's placement lock).
CREATE UNIQUE INDEX orders_one_per_buyer_and_group ON orders (group_id, user_id)
    WHERE group_id IS NOT NULL AND status <> 'CANCELLED';
