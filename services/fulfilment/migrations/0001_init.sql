-- Buyers' address book: one default per buyer, enforced by a partial unique index (race-safe).
CREATE TABLE addresses (
    id           text PRIMARY KEY,
    user_id      text NOT NULL,
    name         text NOT NULL,
    phone        text NOT NULL,
    province     text NOT NULL,
    city         text NOT NULL,
    district     text NOT NULL,
    detail       text NOT NULL,
    region_code  text NOT NULL,
    is_default   boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX addresses_user ON addresses (user_id, created_at);
CREATE UNIQUE INDEX addresses_one_default ON addresses (user_id) WHERE is_default;

-- A merchant's express freight template (one per merchant) and its per-province rules.
CREATE TABLE freight_templates (
    merchant_id            text PRIMARY KEY,
    basis                  text NOT NULL CHECK (basis IN ('piece', 'weight')),
    free_above_fen         bigint CHECK (free_above_fen >= 0),
    default_item_weight_g  int NOT NULL DEFAULT 500 CHECK (default_item_weight_g > 0),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE freight_rules (
    merchant_id  text NOT NULL REFERENCES freight_templates ON DELETE CASCADE,
    position     int NOT NULL,
    provinces    text[] NOT NULL,
    first_units  int NOT NULL CHECK (first_units >= 1),
    first_fen    bigint NOT NULL CHECK (first_fen >= 0),
    extra_units  int NOT NULL CHECK (extra_units >= 1),
    extra_fen    bigint NOT NULL CHECK (extra_fen >= 0),
    PRIMARY KEY (merchant_id, position)
);

-- The merchants' stores, a copy kept from catalog's store.changed; pickup is offered where enabled.
CREATE TABLE stores (
    store_id        text PRIMARY KEY,
    merchant_id     text NOT NULL,
    name            text NOT NULL,
    address         text NOT NULL,
    active          boolean NOT NULL,
    pickup_enabled  boolean NOT NULL DEFAULT true,
    open_hours      text NOT NULL DEFAULT '09:00-21:00'
);
CREATE INDEX stores_merchant ON stores (merchant_id);

-- The delivery of each order, from order.placed: the method and its snapshot (address or store), the
-- freight; for pickup orders the code once paid and the pickup's progress.
CREATE TABLE deliveries (
    order_id      text PRIMARY KEY,
    user_id       text NOT NULL,
    merchant_id   text NOT NULL,
    method        text NOT NULL CHECK (method IN ('express', 'pickup')),
    store_id      text,
    address       jsonb,
    freight_fen   bigint NOT NULL DEFAULT 0,
    state         text NOT NULL DEFAULT 'placed'
                  CHECK (state IN ('placed', 'paid', 'ready', 'picked_up', 'cancelled')),
    pickup_code   text,
    ready_at      timestamptz,
    picked_up_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- A live code names one order of one merchant: unique per merchant while it can still be used.
CREATE UNIQUE INDEX deliveries_live_code ON deliveries (merchant_id, pickup_code)
    WHERE pickup_code IS NOT NULL AND state IN ('paid', 'ready');

-- order.paid for an order whose delivery is not known (yet): an order without delivery, or order.paid
-- overtaking order.placed, which then applies it. Rows of orders without delivery are a few bytes each.
CREATE TABLE early_payments (
    order_id    text PRIMARY KEY,
    noted_at    timestamptz NOT NULL DEFAULT now()
);
