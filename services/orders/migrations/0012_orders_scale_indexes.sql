-- Order lists that cost the same at a million orders as at ten thousand (bench/orders_scale.py).
-- Each list reads its page straight off an index in its own order (created_at DESC, id): no sort of all the
-- buyer's or merchant's orders. The merchant's list has one index per filter it is most often narrowed by
-- (status, delivery method); a date range rides on created_at in each.
DROP INDEX orders_by_user;
CREATE INDEX orders_by_user ON orders (user_id, created_at DESC, id);
CREATE INDEX orders_by_merchant_time ON orders (merchant_id, created_at DESC, id);
DROP INDEX orders_by_merchant;
CREATE INDEX orders_by_merchant ON orders (merchant_id, status, created_at DESC, id);
CREATE INDEX orders_by_merchant_delivery ON orders (merchant_id, (delivery->>'method'), created_at DESC, id);
-- `q` (part of the order number, any case) is a substring search: trigrams find it without reading every id.
CREATE INDEX orders_id_trgm ON orders USING gin (lower(id) gin_trgm_ops);
