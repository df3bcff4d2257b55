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
