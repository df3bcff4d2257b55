-- A Latin query's pinyin and initials hits read from a btree alone (store/search.py, keys_query), as 0017 does for
-- a Chinese word's text. The pinyin key has no words to list (a needle may span two syllables of two words), so
-- this lists every suffix of it instead, cut to its first KEY_CHARS (12) characters: a needle of at most 12
-- characters is in the key exactly when some listed suffix starts with it, a range of the btree. Initials the
-- same (cut to 8, the longest initials query), and the initials themselves for the prefix match. Kind in the
-- first character: 'p' pinyin suffix, 'i' initials suffix, 'I' the initials' start. ≈ 50 rows a product (673 MB at 100,000).
-- Kept by triggers on product_search like product_search_words; a sale writes here only when the tier changes.
CREATE FUNCTION product_search_key_list(pinyin text, initials text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT array(
        SELECT DISTINCT k FROM (
            SELECT 'p' || left(substr(pinyin, i), 12) FROM generate_series(1, length(pinyin)) i
            UNION ALL
            SELECT 'i' || left(substr(initials, i), 8) FROM generate_series(1, length(initials)) i
            UNION ALL
            SELECT 'I' || left(initials, 8) WHERE initials <> ''
        ) keys (k))
$$;

CREATE TABLE product_search_keys (
    key         text COLLATE "C" NOT NULL,
    id          text NOT NULL,
    sales_tier  int NOT NULL,
    PRIMARY KEY (key, id) INCLUDE (sales_tier)
);

CREATE FUNCTION product_search_keys_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM product_search_keys
        WHERE key = ANY (product_search_key_list(OLD.pinyin, OLD.initials)) AND id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO product_search_keys (key, id, sales_tier)
        SELECT k, NEW.id, NEW.sales_tier FROM unnest(product_search_key_list(NEW.pinyin, NEW.initials)) k;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER product_search_keys_written AFTER INSERT OR DELETE ON product_search
    FOR EACH ROW EXECUTE FUNCTION product_search_keys_sync();
CREATE TRIGGER product_search_keys_changed AFTER UPDATE ON product_search
    FOR EACH ROW WHEN ((OLD.pinyin, OLD.initials, OLD.sales_tier) IS DISTINCT FROM (NEW.pinyin, NEW.initials, NEW.sales_tier))
    EXECUTE FUNCTION product_search_keys_sync();

INSERT INTO product_search_keys (key, id, sales_tier)
SELECT k, p.id, p.sales_tier FROM product_search p, unnest(product_search_key_list(p.pinyin, p.initials)) k;
