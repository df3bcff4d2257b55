-- Alipay's own products, switched on per merchant (issue 19): store checkout (当面付/刷脸付) and Sesame
-- deposit-free rentals by fund authorisation (芝麻信用免押). A merchant without a row has neither.
CREATE TABLE alipay_features (
    merchant_id     text PRIMARY KEY,
    store_checkout  boolean NOT NULL DEFAULT false,
    sesame_deposit  boolean NOT NULL DEFAULT false,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- A store charge: the scene Alipay was asked with, the store, and the clerk's Idempotency-Key (a retried
-- request finds its charge again instead of making another).
ALTER TABLE payments
    ADD COLUMN scene text CHECK (scene IN ('bar_code', 'security_code')),
    ADD COLUMN store_id text,
    ADD COLUMN charge_key text,
    ADD COLUMN buyer_alipay_id text;
CREATE UNIQUE INDEX payments_charge_key ON payments (merchant_id, charge_key) WHERE charge_key IS NOT NULL;
-- At most one store charge of an order waits for its outcome: never two payment codes charged at once.
CREATE UNIQUE INDEX payments_one_open_store_charge ON payments (order_id) WHERE scene IS NOT NULL AND status = 'pending';

-- A deposit is either added to the trade and refunded (`trade`) or a fund authorisation (`fund_auth`):
-- authorising (the buyer has the order string) -> frozen (auth_no known) -> released (unfrozen, part of it
-- perhaps turned into payment: charged_fen through the trade charge_trade_no).
ALTER TABLE deposits DROP CONSTRAINT deposits_status_check;
ALTER TABLE deposits
    ADD CONSTRAINT deposits_status_check
        CHECK (status IN ('waived', 'pending', 'held', 'released', 'authorising', 'frozen')),
    ADD COLUMN mode text NOT NULL DEFAULT 'trade' CHECK (mode IN ('trade', 'fund_auth')),
    ADD COLUMN auth_no text,
    ADD COLUMN credit_fen bigint,
    ADD COLUMN charged_fen bigint NOT NULL DEFAULT 0 CHECK (charged_fen >= 0),
    ADD COLUMN charge_trade_no text;
