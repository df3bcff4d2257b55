-- Catalog: what is sold, where, at what price, and how many are left.
CREATE TABLE merchants (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stores (
    id           text PRIMARY KEY,
    merchant_id  text NOT NULL REFERENCES merchants (id),
    name         text NOT NULL,
    address      text NOT NULL,
    lat          double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lng          double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
    active       boolean NOT NULL DEFAULT true
);
CREATE INDEX stores_lat_lng ON stores (lat, lng);

CREATE TABLE categories (
    id         text PRIMARY KEY,
    parent_id  text REFERENCES categories (id),
    name       text NOT NULL,
    position   int NOT NULL DEFAULT 0
);

CREATE TABLE products (
    id           text PRIMARY KEY,
    merchant_id  text NOT NULL REFERENCES merchants (id),
    category_id  text REFERENCES categories (id),
    name         text NOT NULL,
    brand        text NOT NULL DEFAULT '',
    description  text NOT NULL DEFAULT '',
    image        text NOT NULL DEFAULT '',
    active       boolean NOT NULL DEFAULT true,
    sold         bigint NOT NULL DEFAULT 0,
    -- Search keys computed by the service (pypinyin): lower-case text, full pinyin, pinyin initials.
    search_text  text NOT NULL DEFAULT '',
    pinyin       text NOT NULL DEFAULT '',
    initials     text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_category ON products (category_id);
CREATE INDEX products_merchant ON products (merchant_id);
CREATE INDEX products_text_trgm ON products USING gin (search_text gin_trgm_ops);
CREATE INDEX products_pinyin_trgm ON products USING gin (pinyin gin_trgm_ops);
CREATE INDEX products_initials_trgm ON products USING gin (initials gin_trgm_ops);

CREATE TABLE product_stores (
    product_id  text NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    store_id    text NOT NULL REFERENCES stores (id),
    PRIMARY KEY (product_id, store_id)
);

CREATE TABLE skus (
    id           text PRIMARY KEY,
    product_id   text NOT NULL REFERENCES products (id),
    specs        jsonb NOT NULL DEFAULT '{}',
    price_fen    bigint NOT NULL CHECK (price_fen >= 0),
    deposit_fen  bigint NOT NULL DEFAULT 0 CHECK (deposit_fen >= 0),
    barcode      text UNIQUE,
    sellable     boolean NOT NULL DEFAULT true,
    -- available: may be reserved now; reserved: held for unpaid orders; sold: paid for.
    -- The CHECKs are the last line against oversell: a buggy decrement fails instead of going negative.
    available    bigint NOT NULL DEFAULT 0 CHECK (available >= 0),
    reserved     bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    sold         bigint NOT NULL DEFAULT 0 CHECK (sold >= 0),
    revision     bigint NOT NULL DEFAULT 1
);
CREATE INDEX skus_product ON skus (product_id);

-- One row per order that reached us, so late or repeated events find the order's state.
CREATE TABLE stock_orders (
    order_id    text PRIMARY KEY,
    user_id     text,
    status      text NOT NULL CHECK (status IN ('reserved', 'rejected', 'released', 'sold', 'cancelled_early')),
    reason      text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reservations (
    order_id    text NOT NULL,
    sku_id      text NOT NULL REFERENCES skus (id),
    qty         bigint NOT NULL CHECK (qty > 0),
    status      text NOT NULL CHECK (status IN ('held', 'released', 'sold')),
    restocked   bigint NOT NULL DEFAULT 0 CHECK (restocked >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, sku_id)
);

-- How often two products were paid for in one order (recommendations), stored in both directions.
CREATE TABLE bought_together (
    product_id  text NOT NULL REFERENCES products (id),
    other_id    text NOT NULL REFERENCES products (id),
    times       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (product_id, other_id)
);

CREATE TABLE search_history (
    user_id  text NOT NULL,
    q        text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, q)
);
CREATE INDEX search_history_newest ON search_history (user_id, at DESC);

CREATE TABLE search_queries (
    q        text PRIMARY KEY,
    pinyin   text NOT NULL DEFAULT '',
    times    bigint NOT NULL DEFAULT 0,
    last_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE favorite_products (
    user_id     text NOT NULL,
    product_id  text NOT NULL REFERENCES products (id),
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, product_id)
);

CREATE TABLE favorite_stores (
    user_id   text NOT NULL,
    store_id  text NOT NULL REFERENCES stores (id),
    at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, store_id)
);
