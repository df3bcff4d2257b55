-- Group buying (拼团): a merchant's deal on one SKU (group price, group size, time limit, window); buyers'
-- groups of that deal; the seats of each group, one per order. A seat is claimed when marketing handles the
-- order's order.placed (the group row locked, so a group never seats more than its size), released when the
-- order is cancelled unpaid; a paid seat stays until the group ends.
CREATE TABLE group_deals (
    id               text PRIMARY KEY,
    merchant_id      text NOT NULL,
    sku_id           text NOT NULL,
    name             text NOT NULL,
    group_price_fen  bigint NOT NULL CHECK (group_price_fen > 0),
    group_size       int NOT NULL CHECK (group_size BETWEEN 2 AND 100),
    time_limit_hours int NOT NULL CHECK (time_limit_hours BETWEEN 1 AND 720),
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL CHECK (ends_at > starts_at),
    status           text NOT NULL CHECK (status IN ('active', 'ended')),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX group_deals_by_merchant ON group_deals (merchant_id, created_at DESC);
CREATE INDEX group_deals_by_sku ON group_deals (sku_id) WHERE status = 'active';

CREATE TABLE group_buys (
    id               text PRIMARY KEY,  -- made by orders when the opener places the order (shareable)
    deal_id          text NOT NULL REFERENCES group_deals (id),
    merchant_id      text NOT NULL,
    size             int NOT NULL,  -- the deal's size and price when the group opened: a later change of the
    group_price_fen  bigint NOT NULL,  -- deal is for groups opened after it
    status           text NOT NULL CHECK (status IN ('open', 'succeeded', 'failed')),
    opened_at        timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    ended_at         timestamptz
);
-- The deadline job claims open groups past their deadline with FOR UPDATE SKIP LOCKED.
CREATE INDEX group_buys_due ON group_buys (expires_at) WHERE status = 'open';

CREATE TABLE group_buy_members (
    order_id         text PRIMARY KEY,
    group_id         text NOT NULL REFERENCES group_buys (id),
    user_id          text NOT NULL,
    nickname         text NOT NULL DEFAULT '',  -- masked already: the group page shows it to strangers
    opener           boolean NOT NULL,
    status           text NOT NULL CHECK (status IN ('reserved', 'paid', 'released')),
    joined_at        timestamptz NOT NULL,
    paid_at          timestamptz
);
-- A buyer holds at most one seat of a group (a released seat frees them to try again).
CREATE UNIQUE INDEX group_buy_one_seat_per_buyer ON group_buy_members (group_id, user_id)
    WHERE status <> 'released';
CREATE INDEX group_buy_members_by_group ON group_buy_members (group_id, joined_at);
