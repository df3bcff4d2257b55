-- Buyers' one-time grants from my.requestSubscribeMessage: each allows one message with its template.
-- `alipay_user_id` is whom Alipay delivers to (the gateway's X-Alipay-User-Id at the time of the grant).
CREATE TABLE grants (
    grant_id        text PRIMARY KEY,
    user_id         text NOT NULL,
    alipay_user_id  text NOT NULL,
    template_id     text NOT NULL,
    granted_at      timestamptz NOT NULL,
    used_by         text  -- the message that spent it; NULL while unused
);
CREATE INDEX grants_unused ON grants (user_id, template_id, granted_at) WHERE used_by IS NULL;

-- Buyer messages to send through alipay.open.app.mini.templatemessage.send (an outbox of their own: the
-- event's transaction only writes the row; the job sends, retries with growing delays, then parks).
-- `dedupe_key` names the fact (kind and order or refund): one message per fact, however often it is reported.
CREATE TABLE messages (
    message_id       text PRIMARY KEY,
    dedupe_key       text NOT NULL UNIQUE,
    kind             text NOT NULL,
    user_id          text NOT NULL,
    alipay_user_id   text NOT NULL,
    template_id      text NOT NULL,
    page             text NOT NULL,
    data             jsonb NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'refused', 'parked')),
    attempts         int NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    last_error       text,
    created_at       timestamptz NOT NULL,
    sent_at          timestamptz
);
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status = 'pending';

-- Merchant alerts: what the console's stream shows (`seq` orders them and is the SSE event id) and what
-- goes to the merchant's webhook. `dedupe_key`: one alert per fact.
CREATE TABLE alerts (
    seq          bigserial PRIMARY KEY,
    alert_id     text NOT NULL UNIQUE,
    dedupe_key   text NOT NULL UNIQUE,
    merchant_id  text NOT NULL,
    kind         text NOT NULL,
    order_id     text,
    data         jsonb NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX alerts_merchant ON alerts (merchant_id, seq);

-- A merchant's webhook: where alerts are POSTed and the secret that signs them (made by the mall).
CREATE TABLE webhooks (
    merchant_id  text PRIMARY KEY,
    url          text NOT NULL,
    secret       text NOT NULL,
    updated_at   timestamptz NOT NULL
);

-- One alert to one webhook: retried with growing delays until the receiver answers 2xx, then given up.
CREATE TABLE webhook_deliveries (
    delivery_id      text PRIMARY KEY,
    alert_id         text NOT NULL REFERENCES alerts (alert_id),
    merchant_id      text NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         int NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    last_status      int,
    last_error       text,
    delivered_at     timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_merchant ON webhook_deliveries (merchant_id, alert_id);

-- Paid pickup orders the merchant has not yet marked ready: past `due_at` the merchant is alerted once.
-- order.placed says whether it is a pickup (`pickup`, NULL until known) and order.paid when it was paid, in
-- either order; `due_at` is set once both are known.
CREATE TABLE pickup_watches (
    order_id     text PRIMARY KEY,
    pickup       boolean,
    merchant_id  text NOT NULL,
    store_id     text,
    paid_at      timestamptz,
    due_at       timestamptz,
    state        text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'alerted', 'closed'))
);
CREATE INDEX pickup_watches_due ON pickup_watches (due_at) WHERE state = 'waiting' AND due_at IS NOT NULL;
