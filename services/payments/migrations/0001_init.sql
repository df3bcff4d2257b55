-- Orders as payments knows them: a copy of order.confirmed (the only source of the amount to pay).
CREATE TABLE payable_orders (
    order_id     text PRIMARY KEY,
    user_id      text NOT NULL,
    merchant_id  text NOT NULL,
    subject      text NOT NULL,
    payable_fen  bigint NOT NULL CHECK (payable_fen >= 0),
    deposit_fen  bigint NOT NULL DEFAULT 0 CHECK (deposit_fen >= 0),
    pay_by       timestamptz NOT NULL,
    status       text NOT NULL DEFAULT 'payable' CHECK (status IN ('payable', 'paid', 'cancelled')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- One attempt to pay an order. `amount_fen` is the order's price; `deposit_fen` a held deposit charged with it.
CREATE TABLE payments (
    id               text PRIMARY KEY,
    order_id         text NOT NULL REFERENCES payable_orders (order_id),
    user_id          text NOT NULL,
    merchant_id      text NOT NULL,
    method           text NOT NULL CHECK (method IN ('alipay', 'huabei', 'balance', 'pay_later')),
    status           text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'closed')),
    amount_fen       bigint NOT NULL CHECK (amount_fen >= 0),
    deposit_fen      bigint NOT NULL DEFAULT 0 CHECK (deposit_fen >= 0),
    refunded_fen     bigint NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0 AND refunded_fen <= amount_fen),
    installments     int,
    fee_payer        text,
    fee_fen          bigint,
    per_period_fen   jsonb,
    out_trade_no     text UNIQUE,
    trade_no         text,
    fail_reason      text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    paid_at          timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
-- No "one success per order" constraint: Alipay can take money for a trade we closed or superseded. Every
-- paid trade is reported as payment.confirmed; orders keeps one and has the others refunded.
CREATE INDEX payments_by_order ON payments (order_id);
CREATE INDEX payments_by_user ON payments (user_id, created_at DESC);

-- Our side of every Alipay trade (order payments and balance top-ups); the notify and the reconciler move it.
CREATE TABLE alipay_trades (
    out_trade_no  text PRIMARY KEY,
    purpose       text NOT NULL CHECK (purpose IN ('payment', 'top_up')),
    ref_id        text NOT NULL,
    user_id       text NOT NULL,
    amount_fen    bigint NOT NULL CHECK (amount_fen > 0),
    trade_no      text,
    status        text NOT NULL DEFAULT 'WAIT_BUYER_PAY',
    fund_channel  text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    paid_at       timestamptz,
    checked_at    timestamptz
);
CREATE INDEX alipay_trades_waiting ON alipay_trades (created_at) WHERE status = 'WAIT_BUYER_PAY';

-- Verified notifies, one row per (notify_id, trade_status): the same notify again is answered and ignored.
CREATE TABLE alipay_notifies (
    id            bigserial PRIMARY KEY,
    notify_id     text NOT NULL,
    trade_status  text NOT NULL,
    out_trade_no  text NOT NULL,
    params        jsonb NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (notify_id, trade_status)
);

-- Stored value. The balance row is a cache of the user's ledger sum, guarded so it never goes below zero.
CREATE TABLE balance_accounts (
    user_id      text PRIMARY KEY,
    balance_fen  bigint NOT NULL DEFAULT 0 CHECK (balance_fen >= 0),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Double entry: every movement is two rows with the same movement_id summing to zero.
-- Accounts: user:<id>, cash (money in from Alipay), bonus (top-up gifts), sales (paid orders).
CREATE TABLE ledger_entries (
    id           bigserial PRIMARY KEY,
    movement_id  uuid NOT NULL,
    account      text NOT NULL,
    amount_fen   bigint NOT NULL CHECK (amount_fen <> 0),
    kind         text NOT NULL,
    ref          text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (movement_id, account)
);
CREATE INDEX ledger_by_account ON ledger_entries (account, id DESC);

CREATE TABLE top_ups (
    id            text PRIMARY KEY,
    user_id       text NOT NULL,
    amount_fen    bigint NOT NULL CHECK (amount_fen > 0),
    bonus_fen     bigint NOT NULL DEFAULT 0 CHECK (bonus_fen >= 0),
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'credited', 'failed')),
    out_trade_no  text NOT NULL UNIQUE,
    trade_no      text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    credited_at   timestamptz
);

-- A refund per out_request_no (= orders' refund_id): the idempotency key towards Alipay as well.
CREATE TABLE refunds (
    refund_id    text PRIMARY KEY,
    payment_id   text,
    order_id     text NOT NULL,
    amount_fen   bigint NOT NULL,
    status       text NOT NULL CHECK (status IN ('succeeded', 'rejected')),
    reason       text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deposits (
    order_id      text PRIMARY KEY,
    user_id       text NOT NULL,
    payment_id    text NOT NULL,
    amount_fen    bigint NOT NULL CHECK (amount_fen > 0),
    credit_score  int,
    status        text NOT NULL CHECK (status IN ('waived', 'pending', 'held', 'released')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    released_at   timestamptz
);
CREATE INDEX deposits_by_user ON deposits (user_id, created_at DESC);

CREATE TABLE pay_later_bills (
    id            text PRIMARY KEY,
    payment_id    text NOT NULL UNIQUE,
    order_id      text NOT NULL,
    user_id       text NOT NULL,
    amount_fen    bigint NOT NULL,
    refunded_fen  bigint NOT NULL DEFAULT 0 CHECK (refunded_fen <= amount_fen),
    due_at        timestamptz NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'settled')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bills_by_user ON pay_later_bills (user_id, created_at DESC);
