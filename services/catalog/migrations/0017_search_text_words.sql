-- A word's hits read from a btree alone (store/search.py, _by_words): one row per word of a findable product's
-- search text, with the product's sales tier. A needle with no space is in a text exactly when it is in one
-- of the text's words, so the products holding a Chinese query word are those listed under the catalogue
-- words that hold it (search_words, 0012: every word of a product's text, written with the product). Read
-- by an index-only scan, a common noun's ≈ 1,000 hits are counted and ranked by tier without a heap page
-- each (the trigram or grams index gives candidates whose rows all have to be read and tested).
-- Kept by triggers on product_search, so it follows every write there (saves, a product taken off sale, COPY).
-- A sale changes a row only when it moves the product to another tier (when its sales double).
CREATE TABLE product_search_words (
    word        text NOT NULL,
    id          text NOT NULL,
    sales_tier  int NOT NULL,
    PRIMARY KEY (word, id) INCLUDE (sales_tier)
);

CREATE FUNCTION product_search_words_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM product_search_words WHERE word = ANY (string_to_array(OLD.search_text, ' ')) AND id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO product_search_words (word, id, sales_tier)
        SELECT DISTINCT w, NEW.id, NEW.sales_tier FROM unnest(string_to_array(NEW.search_text, ' ')) w WHERE w <> '';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER product_search_words_written AFTER INSERT OR DELETE ON product_search
    FOR EACH ROW EXECUTE FUNCTION product_search_words_sync();
CREATE TRIGGER product_search_words_changed AFTER UPDATE ON product_search
    FOR EACH ROW WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text OR OLD.sales_tier IS DISTINCT FROM NEW.sales_tier)
    EXECUTE FUNCTION product_search_words_sync();

INSERT INTO product_search_words (word, id, sales_tier)
SELECT DISTINCT w, p.id, p.sales_tier FROM product_search p, unnest(string_to_array(p.search_text, ' ')) w
WHERE w <> '';
