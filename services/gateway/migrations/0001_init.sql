-- Users of the mini-program, keyed by Alipay's app-scoped open_id (notes §1.2); user_id is the 2088 id.
CREATE TABLE users (
    id              text PRIMARY KEY,
    app_id          text NOT NULL,
    open_id         text NOT NULL,
    alipay_user_id  text,
    nickname        text NOT NULL DEFAULT '',
    credit_score    integer,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_login_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (app_id, open_id)
);

-- Refresh tokens are stored hashed: a leaked table cannot be replayed.
CREATE TABLE refresh_tokens (
    token_hash  text PRIMARY KEY,
    user_id     text NOT NULL REFERENCES users (id),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE staff_accounts (
    username       text PRIMARY KEY,
    merchant_id    text NOT NULL,
    password_hash  text NOT NULL,
    display_name   text NOT NULL DEFAULT '',
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Fixed-window counters shared by every gateway replica.
CREATE TABLE rate_limits (
    bucket        text NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- First visit of a day per user and entry point: the row is what makes user.active once a day.
CREATE TABLE daily_visits (
    user_id  text NOT NULL,
    day      date NOT NULL,
    entry    text NOT NULL,
    PRIMARY KEY (user_id, day, entry)
);
