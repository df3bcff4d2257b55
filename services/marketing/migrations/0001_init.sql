-- Marketing: campaigns, coupon templates and coupons, order locks, fission groups, points, members, stores.
-- Race safety lives here: counters are changed by conditional UPDATEs and uniqueness by constraints.

CREATE TABLE campaigns (
    id              text PRIMARY KEY,
    merchant_id     text,                       -- NULL: a platform campaign (seeded only)
    name            text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('coupon', 'fission')),
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'ended')),
    budget_fen      bigint CHECK (budget_fen IS NULL OR budget_fen > 0),
    -- Face value of every coupon issued so far: a claim reserves its worst-case cost against the budget.
    committed_fen   bigint NOT NULL DEFAULT 0,
    redeemed_fen    bigint NOT NULL DEFAULT 0,  -- what redeemed coupons actually cost
    fission_needed  int CHECK (fission_needed IS NULL OR fission_needed BETWEEN 1 AND 100),
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (budget_fen IS NULL OR committed_fen <= budget_fen),
    CHECK ((kind = 'fission') = (fission_needed IS NOT NULL))
);
CREATE INDEX campaigns_merchant ON campaigns (merchant_id);

CREATE TABLE coupon_templates (
    id              text PRIMARY KEY,
    campaign_id     text NOT NULL REFERENCES campaigns (id),
    merchant_id     text,
    name            text NOT NULL,
    -- public: listed and claimable; store_code: only by scanning a signed store code;
    -- fission_sharer / fission_friend: only issued by a fission group.
    channel         text NOT NULL CHECK (channel IN ('public', 'store_code', 'fission_sharer', 'fission_friend')),
    kind            text NOT NULL CHECK (kind IN ('fixed', 'percent')),
    amount_fen      bigint CHECK (amount_fen > 0),
    threshold_fen   bigint NOT NULL DEFAULT 0 CHECK (threshold_fen >= 0),
    percent_off_bp  int CHECK (percent_off_bp BETWEEN 1 AND 9999),
    cap_fen         bigint CHECK (cap_fen > 0),
    valid_until     timestamptz,
    valid_days      int CHECK (valid_days > 0),
    total_qty       int NOT NULL CHECK (total_qty > 0),
    issued_qty      int NOT NULL DEFAULT 0,
    per_user_limit  int NOT NULL DEFAULT 1 CHECK (per_user_limit > 0),
    store_id        text,
    category_id     text,
    min_credit_score int,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (issued_qty <= total_qty),
    CHECK ((kind = 'fixed' AND amount_fen IS NOT NULL) OR
           (kind = 'percent' AND percent_off_bp IS NOT NULL AND cap_fen IS NOT NULL)),
    CHECK ((valid_until IS NULL) <> (valid_days IS NULL))
);
CREATE INDEX templates_campaign ON coupon_templates (campaign_id);
CREATE INDEX templates_store ON coupon_templates (store_id) WHERE store_id IS NOT NULL;

-- How many coupons of a template each user holds: the per-user limit is a conditional upsert on this row.
CREATE TABLE template_claims (
    template_id     text NOT NULL REFERENCES coupon_templates (id),
    user_id         text NOT NULL,
    claimed         int NOT NULL,
    PRIMARY KEY (template_id, user_id)
);

CREATE TABLE coupons (
    id              text PRIMARY KEY,
    template_id     text NOT NULL REFERENCES coupon_templates (id),
    campaign_id     text NOT NULL REFERENCES campaigns (id),
    merchant_id     text,
    user_id         text NOT NULL,
    status          text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'locked', 'used')),
    source          text NOT NULL,              -- claim, store_code, fission
    claimed_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    order_id        text,
    discount_fen    bigint,
    used_at         timestamptz,
    CHECK ((status = 'available') = (order_id IS NULL))
);
CREATE INDEX coupons_user ON coupons (user_id, status);
-- One coupon per order at most, and an order holds at most one coupon.
CREATE UNIQUE INDEX coupons_order ON coupons (order_id) WHERE order_id IS NOT NULL;

-- What marketing holds for an order: created by order.placed (or by an early order.cancelled as a tombstone).
CREATE TABLE order_promotions (
    order_id        text PRIMARY KEY,
    user_id         text NOT NULL,
    merchant_id     text NOT NULL,
    status          text NOT NULL CHECK (status IN ('locked', 'rejected', 'released', 'redeemed')),
    coupon_id       text,
    discount_fen    bigint NOT NULL DEFAULT 0,
    points          int NOT NULL DEFAULT 0,
    reason          text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- 集分宝-style points: balance owned, of which `locked` is held by unpaid orders. Never negative.
CREATE TABLE points_accounts (
    user_id         text PRIMARY KEY,
    balance         bigint NOT NULL DEFAULT 0 CHECK (balance >= 0),
    locked          bigint NOT NULL DEFAULT 0 CHECK (locked >= 0),
    CHECK (locked <= balance)
);

CREATE TABLE points_ledger (
    id              bigserial PRIMARY KEY,
    user_id         text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('earn', 'spend', 'clawback', 'grant')),
    delta           bigint NOT NULL,
    shortfall       bigint NOT NULL DEFAULT 0 CHECK (shortfall >= 0),  -- clawback owed but not there
    order_id        text,
    ref             text NOT NULL,              -- order id, refund id, grant id: one entry per kind and ref
    created_at      timestamptz NOT NULL,
    UNIQUE (kind, ref)
);
CREATE INDEX points_ledger_user ON points_ledger (user_id, id DESC);

-- Paid orders: points earned and spend for member levels (net of refunds).
CREATE TABLE paid_orders (
    order_id        text PRIMARY KEY,
    user_id         text NOT NULL,
    merchant_id     text NOT NULL,
    paid_fen        bigint NOT NULL,
    refunded_fen    bigint NOT NULL DEFAULT 0,
    points_earned   bigint NOT NULL DEFAULT 0,
    points_clawed   bigint NOT NULL DEFAULT 0,   -- clawed back plus shortfall: what refunds asked back
    paid_at         timestamptz NOT NULL
);
CREATE INDEX paid_orders_member ON paid_orders (user_id, merchant_id, paid_at);

CREATE TABLE members (
    user_id         text NOT NULL,
    merchant_id     text NOT NULL,
    level           int NOT NULL DEFAULT 1,
    card_opened_at  timestamptz,
    PRIMARY KEY (user_id, merchant_id)
);

CREATE TABLE fission_groups (
    id              text PRIMARY KEY,
    campaign_id     text NOT NULL REFERENCES campaigns (id),
    sharer_id       text NOT NULL,
    needed          int NOT NULL,
    joined          int NOT NULL DEFAULT 0,
    unlocked_at     timestamptz,
    reward_coupon_id text,
    created_at      timestamptz NOT NULL,
    UNIQUE (campaign_id, sharer_id),
    CHECK (joined <= needed)
);

CREATE TABLE fission_joins (
    group_id        text NOT NULL REFERENCES fission_groups (id),
    user_id         text NOT NULL,
    friend_coupon_id text,
    joined_at       timestamptz NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

-- Local copy of the catalog's stores (from store.changed) for nearby offers.
CREATE TABLE stores (
    store_id        text PRIMARY KEY,
    merchant_id     text NOT NULL,
    name            text NOT NULL,
    address         text NOT NULL,
    lat             double precision NOT NULL,
    lng             double precision NOT NULL,
    active          boolean NOT NULL
);
CREATE INDEX stores_lat ON stores (lat, lng);
