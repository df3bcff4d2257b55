-- Order lists that cost the same at a million orders as at ten thousand (bench/orders_scale.py).
-- Each list reads its page straight off an index in its own order (created_at DESC, id): no sort of all the
-- buyer's or merchant's orders. The merchant's list has one index per filter it is most often narrowed by
-- (status, delivery method); a date range rides on created_at in each.
DROP INDEX orders_by_user;
CREATE INDEX orders_by_user ON orders (user_id, created_at DESC, id);
CREATE INDEX orders_by_merchant_time ON orders (merchant_id, created_at DESC, id);
DROP INDEX orders_by_merchant;
CREATE INDEX orders_by_merchant ON orders (merchant_id, status, created_at DESC, id);
-- One partial index per delivery method (express, pickup): counting a page's `total` reads the index alone,
-- where an index on the expression would visit every counted row in the table.
CREATE INDEX orders_by_merchant_express ON orders (merchant_id, created_at DESC, id)
    WHERE delivery->>'method' = 'express';
CREATE INDEX orders_by_merchant_pickup ON orders (merchant_id, created_at DESC, id)
    WHERE delivery->>'method' = 'pickup';
-- `q` (part of the order number, any case) is a substring search. pg_trgm lives in catalog's schema (an
-- extension exists once per database), so orders indexes its ids' trigrams itself: the list asks for the ids
-- holding every trigram of `q` (GIN, built in), then checks the substring on those few.
CREATE FUNCTION id_trigrams(id text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(lower(id), i, 3)), '{}')
    FROM generate_series(1, length(id) - 2) AS i
$$;
CREATE INDEX orders_id_trigrams ON orders USING gin (id_trigrams(id));
