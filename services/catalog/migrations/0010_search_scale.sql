-- Search at scale: every branch of the search query is served by an index (store/search.py builds the query).
-- pg_trgm's GIN indexes (0001) serve LIKE '%x%' only when x has 3 characters or more: shorter needles have no
-- trigram, so `手机` or the initials `sj` would read the whole index. search_grams() lists the 1- and
-- 2-character pieces of a text; stored beside the text (computed once on write: rechecking a row then reads the
-- array instead of recomputing it) and GIN-indexed, it finds the rows holding such a short needle, LIKE then
-- checks they hold it in one piece.
CREATE FUNCTION search_grams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}')
    FROM (SELECT substr(t, i, 1) AS g FROM generate_series(1, length(t)) i
          UNION ALL SELECT substr(t, i, 2) FROM generate_series(1, length(t) - 1) i) pieces
    WHERE strpos(g, ' ') = 0
$$;

ALTER TABLE products
    ADD COLUMN text_grams text[] GENERATED ALWAYS AS (search_grams(search_text)) STORED,
    ADD COLUMN initials_grams text[] GENERATED ALWAYS AS (search_grams(initials)) STORED;
CREATE INDEX products_text_grams ON products USING gin (text_grams);
CREATE INDEX products_initials_grams ON products USING gin (initials_grams);
