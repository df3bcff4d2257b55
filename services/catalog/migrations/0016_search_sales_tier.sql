-- Search reads a common word's best sellers off an index instead of ranking every hit (store/search.py): the
-- products in order of units sold. An index on `sold` itself would make every sale a non-HOT update, writing
-- the row's keys into the five GIN indexes; `sales_tier` (the bit length of `sold`: 0 for none sold, 1 for 1,
-- 2 for 2-3, 3 for 4-7 ...) changes only when a product's sales double, so a sale stays a HOT update. It only
-- has to grow with `sold`: a product of a lower tier has sold fewer units than every product of a higher one.
ALTER TABLE product_search
    ADD COLUMN sales_tier int GENERATED ALWAYS AS
        (length(ltrim(greatest(sold, 0)::bit(64)::text, '0'))) STORED;
CREATE INDEX product_search_sales_tier ON product_search (sales_tier);
