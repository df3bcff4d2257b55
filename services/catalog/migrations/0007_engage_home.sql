-- Home content (issue 20): banners and featured collections, a merchant's or the mall's (merchant_id NULL),
-- shown between starts_at and ends_at, pointing to a product, a category, a campaign or a mini-program page.
CREATE TABLE home_items (
    id           text PRIMARY KEY,
    merchant_id  text REFERENCES merchants (id),
    kind         text NOT NULL CHECK (kind IN ('banner', 'collection')),
    title        text NOT NULL,
    image        text NOT NULL DEFAULT '',
    target_kind  text CHECK (target_kind IN ('product', 'category', 'campaign', 'page')),
    target       text,
    product_ids  text[] NOT NULL DEFAULT '{}',  -- a collection's products, in the merchant's order
    position     int NOT NULL DEFAULT 0,
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz,  -- NULL: until removed
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((target_kind IS NULL) = (target IS NULL)),
    CHECK (ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX home_items_live ON home_items (coalesce(merchant_id, ''), kind, position, starts_at);
