-- A narrow table for search: one row per product a buyer can find (on sale, with a sellable SKU), holding only
-- what a search reads: its text, compact pinyin, initials, their grams and units sold. Products rows are wider
-- (name, description, image, the spaced pinyin...), and a product that cannot be bought was a hit to read and
-- throw away; here a common noun's 1,000-15,000 hits sit on fewer pages. Kept by a trigger on products, so every
-- write (saves, SKU writes through has_sellable_sku, sales through sold, COPY) reaches it in the same transaction;
-- a sale changes no indexed column, and the room left on each page (fillfactor) lets it be a HOT update, with no
-- write to the GIN indexes.
-- The pinyin key is now the compact pinyin only (domain.search_keys): the spaced syllables after it served the
-- trigram typo step that is gone (typos are corrected on search_words); a needle has no spaces, so it finds the
-- same rows in the compact key alone, with a smaller index and shorter rechecks. Keys saved before lose theirs
-- here (suggestions read the key's start only).
-- What only search read on products: suggestions keep the text's trigram and grams indexes and the btree
-- prefixes (0012_search_words); a product save no longer updates these three.
DROP INDEX products_pinyin_trgm;
DROP INDEX products_initials_trgm;
ALTER TABLE products DROP COLUMN initials_grams;
UPDATE products SET pinyin = split_part(pinyin, ' ', 1) WHERE strpos(pinyin, ' ') > 0;

CREATE TABLE product_search (
    id              text PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    sold            bigint NOT NULL,
    search_text     text NOT NULL,
    pinyin          text NOT NULL,
    initials        text NOT NULL,
    text_grams      text[] GENERATED ALWAYS AS (search_grams(search_text)) STORED,
    initials_grams  text[] GENERATED ALWAYS AS (search_grams(initials)) STORED
) WITH (fillfactor = 90);

CREATE FUNCTION product_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.active AND NEW.has_sellable_sku THEN
        INSERT INTO product_search AS s (id, sold, search_text, pinyin, initials)
        VALUES (NEW.id, NEW.sold, NEW.search_text, NEW.pinyin, NEW.initials)
        ON CONFLICT (id) DO UPDATE SET sold = EXCLUDED.sold, search_text = EXCLUDED.search_text,
            pinyin = EXCLUDED.pinyin, initials = EXCLUDED.initials
        WHERE (s.sold, s.search_text, s.pinyin, s.initials)
              IS DISTINCT FROM (EXCLUDED.sold, EXCLUDED.search_text, EXCLUDED.pinyin, EXCLUDED.initials);
    ELSE
        DELETE FROM product_search WHERE id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER products_search_sync
    AFTER INSERT OR UPDATE OF active, has_sellable_sku, sold, search_text, pinyin, initials ON products
    FOR EACH ROW EXECUTE FUNCTION product_search_sync();

INSERT INTO product_search (id, sold, search_text, pinyin, initials)
SELECT id, sold, search_text, pinyin, initials FROM products WHERE active AND has_sellable_sku;

-- The indexes search reads (store/search.py), without a pending list (see 0014_search_words_backfill). The 1-2
-- character grams are stored, not an index expression: a bitmap mixing them with a trigram index's rows is
-- rechecked row by row, and recomputing search_grams() there costs 100 µs a row (`手机 包邮` took 2.5 s).
CREATE INDEX product_search_text_trgm ON product_search USING gin (search_text gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX product_search_pinyin_trgm ON product_search USING gin (pinyin gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX product_search_initials_trgm ON product_search USING gin (initials gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX product_search_text_grams ON product_search USING gin (text_grams) WITH (fastupdate = off);
CREATE INDEX product_search_initials_grams ON product_search USING gin (initials_grams) WITH (fastupdate = off);
