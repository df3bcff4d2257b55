-- The catalogue's words, each once: every word of a product's search text and the pinyin of each word written
-- in hanzi (domain.search_keys; written with the product). The typo step of a search corrects a query word
-- that no product holds to the closest word here ("did you mean"), then searches as typed: trigram closeness
-- over a few thousand short words costs a few ms, where over every product's pinyin it cost hundreds.
-- Words are never removed: a word no product holds any more corrects to a search that finds nothing.
CREATE TABLE search_words (
    word  text PRIMARY KEY
);
CREATE INDEX search_words_trgm ON search_words USING gin (word gin_trgm_ops);

-- Products saved before this migration: their words as text now; the pinyin of their hanzi words is computed
-- by the service (pypinyin): catalog's job record_search_words records it at start (0014_search_words_backfill).
INSERT INTO search_words (word)
SELECT DISTINCT w FROM products, regexp_split_to_table(search_text, ' ') AS w WHERE w <> ''
ON CONFLICT DO NOTHING;

-- Suggestions match Latin letters as the start of the text, the pinyin or the initials: btree prefixes serve
-- LIKE 'x%' for any length (the trigram indexes need 3 characters), so the suggestion query ORs index bitmaps
-- instead of testing every product.
CREATE INDEX products_text_prefix ON products (search_text text_pattern_ops);
CREATE INDEX products_pinyin_prefix ON products (pinyin text_pattern_ops);
CREATE INDEX products_initials_prefix ON products (initials text_pattern_ops);

-- A search keeps the products that have a sellable SKU: one probe of this index per hit, answered from the
-- index alone (the skus_product probe read the SKU rows too).
CREATE INDEX skus_sellable_product ON skus (product_id) WHERE sellable;
