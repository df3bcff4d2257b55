-- Footprints and hot words (issue 20).

-- The products a signed-in buyer viewed, newest first (kept to the newest MALL_FOOTPRINTS_SIZE).
CREATE TABLE footprints (
    user_id     text NOT NULL,
    product_id  text NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL,
    PRIMARY KEY (user_id, product_id)
);
CREATE INDEX footprints_recent ON footprints (user_id, at DESC);

-- The mall's curated hot words, in order (the platform's list), shown before the searched ones.
CREATE TABLE hot_words (
    word      text PRIMARY KEY,
    position  int NOT NULL
);

-- When a buyer first counted towards a query: a buyer pushes at most MALL_POPULAR_QUERIES_PER_BUYER_DAY
-- new queries a day towards popularity (one account cannot seed many queries for its friends to finish).
ALTER TABLE search_query_buyers ADD COLUMN at timestamptz NOT NULL DEFAULT now();
CREATE INDEX search_query_buyers_recent ON search_query_buyers (user_id, at);
