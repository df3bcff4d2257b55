-- Express orders shipped with a carrier and tracking number, and what is known of their way.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check
    CHECK (state IN ('placed', 'paid', 'ready', 'picked_up', 'shipped', 'cancelled'));
ALTER TABLE deliveries ADD COLUMN carrier text;
ALTER TABLE deliveries ADD COLUMN tracking_no text;
ALTER TABLE deliveries ADD COLUMN shipped_at timestamptz;

CREATE TABLE tracking_events (
    order_id    text NOT NULL REFERENCES deliveries ON DELETE CASCADE,
    seq         bigserial,
    at          timestamptz NOT NULL,
    state       text NOT NULL,
    text        text NOT NULL,
    PRIMARY KEY (order_id, seq)
);
