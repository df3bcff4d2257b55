-- Which version of a product's search words (domain.search_keys) search_words holds. Products saved before
-- 0012_search_words lack the pinyin of their hanzi words there (the migration could not compute it): they start
-- at 0, and catalog's job record_search_words (jobs.py) records their words in small batches at start, so no
-- operator has to. Saving a product records its words and the current version (store.catalogue.WORDS_VERSION).
ALTER TABLE products ADD COLUMN search_words_version smallint NOT NULL DEFAULT 0;
-- The job finds what is left without reading every product (empty once it has run).
CREATE INDEX products_search_words_behind ON products (id) WHERE search_words_version < 1;

-- Whether the product has a sellable SKU, kept with the SKU writes (store.catalogue.refresh_has_sellable_sku): a search
-- keeps only such products, and reads the flag from the row it already visits instead of probing the SKUs of
-- each of its hundreds of hits.
ALTER TABLE products ADD COLUMN has_sellable_sku boolean NOT NULL DEFAULT false;
UPDATE products p SET has_sellable_sku = true WHERE EXISTS (SELECT 1 FROM skus s WHERE s.product_id = p.id AND s.sellable);

-- Search's GIN indexes without a pending list: with fastupdate (the default) new entries wait in an unsorted
-- list until a vacuum merges it, and every search through the index reads all of it (up to 4 MB: 300-500 pages
-- after seeding 100,000 products, 20 ms of a 40 ms search). Products are saved far less often than searched,
-- so a save now updates the index itself. What the lists hold now is merged.
ALTER INDEX products_text_trgm SET (fastupdate = off);
ALTER INDEX products_pinyin_trgm SET (fastupdate = off);
ALTER INDEX products_initials_trgm SET (fastupdate = off);
ALTER INDEX products_text_grams SET (fastupdate = off);
ALTER INDEX products_initials_grams SET (fastupdate = off);
ALTER INDEX search_words_trgm SET (fastupdate = off);
SELECT gin_clean_pending_list(i) FROM unnest(ARRAY['products_text_trgm', 'products_pinyin_trgm',
    'products_initials_trgm', 'products_text_grams', 'products_initials_grams', 'search_words_trgm']::regclass[]) i;
