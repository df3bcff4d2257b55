-- Flash sales (秒杀, issue 17). Scheduling a sale moves its units from the SKU's `available` to `reserved`
-- at once, so ordinary orders never take them; buyers are then admitted against the sale's own `remaining`
-- count, and the SKU's hot row is touched again only when an admitted order is paid.
CREATE TABLE flash_sales (
    id               text PRIMARY KEY,
    merchant_id      text NOT NULL,
    sku_id           text NOT NULL REFERENCES skus (id),
    price_fen        bigint NOT NULL CHECK (price_fen > 0),
    quantity         int NOT NULL CHECK (quantity > 0),
    remaining        int NOT NULL CHECK (remaining >= 0 AND remaining <= quantity),
    per_buyer_limit  int NOT NULL CHECK (per_buyer_limit > 0),
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL CHECK (ends_at > starts_at),
    -- Over, and what it still held given back to the SKU (by a job); units released later go there too.
    closed           boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX flash_sales_sku ON flash_sales (sku_id, ends_at);
CREATE INDEX flash_sales_merchant ON flash_sales (merchant_id, starts_at DESC);
CREATE INDEX flash_sales_window ON flash_sales (ends_at, starts_at);
CREATE INDEX flash_sales_open ON flash_sales (ends_at) WHERE NOT closed;

-- Units of a sale each buyer holds or bought (released units are given back): the per-buyer limit's count.
CREATE TABLE flash_buyers (
    sale_id  text NOT NULL REFERENCES flash_sales (id),
    user_id  text NOT NULL,
    units    int NOT NULL CHECK (units >= 0),
    PRIMARY KEY (sale_id, user_id)
);

-- One admitted order: held until paid (sold) or cancelled (released back to the sale).
CREATE TABLE flash_admissions (
    order_id  text PRIMARY KEY,
    sale_id   text NOT NULL REFERENCES flash_sales (id),
    user_id   text NOT NULL,
    qty       int NOT NULL CHECK (qty > 0),
    status    text NOT NULL CHECK (status IN ('held', 'sold', 'released')),
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX flash_admissions_sale ON flash_admissions (sale_id, status);
