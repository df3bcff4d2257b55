-- Huabei instalments as each merchant offers them (花呗分期免息 is the seller's setting, not the buyer's).
-- A row in huabei_settings means the merchant has chosen: its offers are exactly its huabei_offers rows (none
-- at all = no instalments). A merchant without a row gets the mall's default (every term, the buyer pays).
CREATE TABLE huabei_settings (
    merchant_id  text PRIMARY KEY,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE huabei_offers (
    merchant_id     text NOT NULL REFERENCES huabei_settings (merchant_id) ON DELETE CASCADE,
    installments    int NOT NULL CHECK (installments IN (3, 6, 12)),
    fee_payer       text NOT NULL CHECK (fee_payer IN ('buyer', 'merchant')),
    min_amount_fen  bigint NOT NULL CHECK (min_amount_fen >= 0),
    PRIMARY KEY (merchant_id, installments)
);
