-- Tracking through 快递100: a subscription per shipped waybill, made by a job (outbox-like, never inside the
-- event's transaction) and retried until the provider accepts it; the carrier's state; pushes counted once.
CREATE TABLE subscriptions (
    order_id     text PRIMARY KEY REFERENCES deliveries ON DELETE CASCADE,
    carrier      text NOT NULL,
    tracking_no  text NOT NULL,
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'refused')),
    attempts     integer NOT NULL DEFAULT 0,
    next_at      timestamptz NOT NULL,
    last_code    text,
    last_message text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_due ON subscriptions (next_at) WHERE state = 'pending';

ALTER TABLE deliveries ADD COLUMN tracking_state text;
ALTER TABLE deliveries ADD COLUMN delivered_at timestamptz;
CREATE INDEX deliveries_by_waybill ON deliveries (carrier, tracking_no) WHERE carrier IS NOT NULL;

-- 快递100 pushes the whole track every time (and again when unanswered): a line is kept once.
CREATE UNIQUE INDEX tracking_events_once ON tracking_events (order_id, at, text);
