-- Abuse limits: who holds a reservation (the per-buyer cap on unpaid units of one SKU), which buyers made a
-- query popular (a suggestion needs several distinct buyers), and terms never to suggest.

-- Older reservations have no buyer; they simply do not count towards anyone's cap.
ALTER TABLE reservations ADD COLUMN user_id text;
CREATE INDEX reservations_held_by_buyer ON reservations (user_id, sku_id) WHERE status = 'held';

-- A query counts once per buyer: `buyers` is the number of distinct signed-in buyers who searched it with hits.
ALTER TABLE search_queries ADD COLUMN buyers bigint NOT NULL DEFAULT 0;
CREATE TABLE search_query_buyers (
    q        text NOT NULL,
    user_id  text NOT NULL,
    PRIMARY KEY (q, user_id)
);
-- The merchants whose products a query found (a merchant's blocked terms suppress such queries).
CREATE TABLE search_query_merchants (
    q            text NOT NULL,
    merchant_id  text NOT NULL,
    PRIMARY KEY (q, merchant_id)
);

-- Terms never suggested (lower-case; matched as substrings). merchant_id NULL: blocked by the platform.
CREATE TABLE blocked_terms (
    id           text PRIMARY KEY,
    merchant_id  text REFERENCES merchants (id),
    term         text NOT NULL CHECK (term <> ''),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX blocked_terms_unique ON blocked_terms (coalesce(merchant_id, ''), term);
