-- Member cards in Alipay's card package (卡包), issue 19: the merchant's card template at Alipay, and per member
-- the Alipay card opened for them. `card_dirty`: Alipay's copy is behind (not opened yet, or the level or points
-- changed); the card job pushes it and clears the flag.
CREATE TABLE alipay_card_templates (
    merchant_id   text PRIMARY KEY,
    template_id   text NOT NULL,
    name          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE members
    ADD COLUMN alipay_user_id  text,
    ADD COLUMN alipay_card_no  text,
    ADD COLUMN card_dirty      boolean NOT NULL DEFAULT false;
CREATE INDEX members_card_dirty ON members (user_id, merchant_id) WHERE card_dirty;
